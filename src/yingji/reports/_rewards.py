"""Reward amounts of 安全生产领域举报奖励办法 (安监总财〔2018〕19号): configuration, a pure rule.

The national defaults ship in ``data/reward_rules.toml``; a region may override them with its
own 办法 (a RewardRuleSet row); the nearest configured ancestor of the report's region applies.
"""

from __future__ import annotations

import tomllib
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from yingji.core.errors import InvalidInput

Money = Annotated[Decimal, Field(ge=0, le=100_000_000, max_digits=12, decimal_places=2)]


class RewardBasis(StrEnum):
    """What the reward is computed from."""

    FINE = "fine"  # 重大事故隐患、违法生产经营建设: a share of the administrative fine
    CONCEALMENT = "concealment"  # 瞒报、谎报事故: per concealed death by accident grade


class AccidentGrade(StrEnum):
    """The final grade of a concealed or misreported accident (生产安全事故报告和调查处理条例)."""

    GENERAL = "general"  # 一般
    LARGER = "larger"  # 较大
    MAJOR = "major"  # 重大
    ESPECIALLY_MAJOR = "especially_major"  # 特别重大


class FineRule(BaseModel):
    """A percentage of the fine, clamped to a minimum and a maximum."""

    model_config = ConfigDict(extra="forbid")
    percent: Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
    minimum: Money
    maximum: Money


class ConcealmentRule(BaseModel):
    """An amount per concealed death by accident grade, with a maximum per report."""

    model_config = ConfigDict(extra="forbid")
    per_death: dict[AccidentGrade, Money]
    maximum: Money


class ClaimRule(BaseModel):
    """How long the reporter has to collect a notified reward."""

    model_config = ConfigDict(extra="forbid")
    days: Annotated[int, Field(ge=1, le=3650)]


class RewardRules(BaseModel):
    """A complete rule set (national or regional)."""

    model_config = ConfigDict(extra="forbid")
    fine: FineRule
    concealment: ConcealmentRule
    claim: ClaimRule


class RewardInputs(BaseModel):
    """What the proposer enters: the fine, or the accident grade and concealed deaths."""

    model_config = ConfigDict(extra="forbid")
    fine_amount: Money | None = None
    accident_grade: AccidentGrade | None = None
    concealed_deaths: Annotated[int, Field(ge=1, le=10_000)] | None = None


@lru_cache(maxsize=1)
def _national_raw() -> dict[str, Any]:
    text = resources.files("yingji.reports").joinpath("data/reward_rules.toml").read_text("utf-8")
    return tomllib.loads(text)


def national_basis() -> str:
    """Return the document the national defaults come from."""
    return str(_national_raw()["basis"])


def national_rules() -> RewardRules:
    """Return the national default rules."""
    raw = {k: v for k, v in _national_raw().items() if k != "basis"}
    return RewardRules.model_validate(raw)


def parse_rules(raw: dict[str, Any], *, field: str = "rules") -> RewardRules:
    """Validate a stored or submitted rule set, naming the bad field."""
    try:
        rules = RewardRules.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{where}: {first.get('msg')}", field=f"{field}.{where}") from exc
    if rules.fine.minimum > rules.fine.maximum:
        raise InvalidInput("the minimum is above the maximum", field=f"{field}.fine.minimum")
    return rules


_CENT = Decimal("0.01")


def compute(rules: RewardRules, basis: RewardBasis, inputs: RewardInputs) -> Decimal:
    """Return the reward amount of a verified report, never above the rule set's maximum.

    ``fine``: percent of the fine, at least the minimum, at most the maximum (a fine of 10,000
    gives the 3,000 minimum; 1,000,000 gives 150,000; 3,000,000 is capped at 300,000).
    ``concealment``: the grade's amount per concealed death, at most the maximum.
    """
    if basis is RewardBasis.FINE:
        if inputs.fine_amount is None:
            raise InvalidInput("the fine amount is needed", field="inputs.fine_amount")
        if inputs.fine_amount <= 0:
            raise InvalidInput("no fine was imposed", field="inputs.fine_amount")
        share = inputs.fine_amount * rules.fine.percent / Decimal(100)
        amount = min(max(share, rules.fine.minimum), rules.fine.maximum)
    else:
        if inputs.accident_grade is None:
            raise InvalidInput("the accident grade is needed", field="inputs.accident_grade")
        if inputs.concealed_deaths is None:
            raise InvalidInput(
                "the number of concealed deaths is needed", field="inputs.concealed_deaths"
            )
        per_death = rules.concealment.per_death.get(inputs.accident_grade)
        if per_death is None:
            raise InvalidInput(
                "the rule set has no amount for this grade", field="inputs.accident_grade"
            )
        amount = min(per_death * inputs.concealed_deaths, rules.concealment.maximum)
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)
