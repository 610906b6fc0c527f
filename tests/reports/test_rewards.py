"""Reward amounts of 安监总财〔2018〕19号, computed from the national defaults (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yingji.core.errors import InvalidInput
from yingji.reports import _rewards, _tracking
from yingji.reports._rewards import AccidentGrade, RewardBasis, RewardInputs

RULES = _rewards.national_rules()


@pytest.mark.parametrize(
    ("fine", "amount"),
    [
        ("10000", "3000.00"),
        ("1000000", "150000.00"),
        ("3000000", "300000.00"),
        ("30000", "4500.00"),
    ],
)
def test_share_of_the_fine(fine: str, amount: str) -> None:
    inputs = RewardInputs(fine_amount=Decimal(fine))
    assert _rewards.compute(RULES, RewardBasis.FINE, inputs) == Decimal(amount)


def test_concealment_per_death_by_grade() -> None:
    inputs = RewardInputs(accident_grade=AccidentGrade.LARGER, concealed_deaths=2)
    assert _rewards.compute(RULES, RewardBasis.CONCEALMENT, inputs) == Decimal("80000.00")
    many = RewardInputs(accident_grade=AccidentGrade.ESPECIALLY_MAJOR, concealed_deaths=10)
    assert _rewards.compute(RULES, RewardBasis.CONCEALMENT, many) == Decimal("300000.00")


def test_missing_inputs_name_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        _rewards.compute(RULES, RewardBasis.FINE, RewardInputs())
    assert caught.value.field == "inputs.fine_amount"
    with pytest.raises(InvalidInput) as caught:
        _rewards.compute(
            RULES, RewardBasis.CONCEALMENT, RewardInputs(accident_grade=AccidentGrade.MAJOR)
        )
    assert caught.value.field == "inputs.concealed_deaths"


def test_parse_rules_refuses_a_minimum_above_the_maximum() -> None:
    raw = RULES.model_dump(mode="json")
    raw["fine"]["minimum"] = "500000"
    with pytest.raises(InvalidInput):
        _rewards.parse_rules(raw)


def test_tracking_codes_are_long_grouped_and_forgiving() -> None:
    code = _tracking.new_code()
    groups = code.split("-")
    assert len(groups) == 5 and all(len(g) == 4 for g in groups)
    assert _tracking.code_hash(code.lower().replace("-", " ")) == _tracking.code_hash(code)
    assert _tracking.new_code() != code


def test_form_tokens_are_bound_and_expire() -> None:
    token = _tracking.form_token("s" * 32, "client-a", now=1000)
    assert _tracking.form_token_valid("s" * 32, "client-a", token, max_age_seconds=60, now=1010)
    assert not _tracking.form_token_valid("s" * 32, "client-b", token, max_age_seconds=60, now=1010)
    assert not _tracking.form_token_valid("s" * 32, "client-a", token, max_age_seconds=60, now=2000)
    assert not _tracking.form_token_valid("s" * 32, "client-a", "x.y", max_age_seconds=60)
