"""Load and check the GB 18218-2018 tables shipped in yingji/risks/data (tables 1–6)."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

STANDARD: Final = "GB 18218-2018"
CSV_NAME: Final = "gb18218_2018.csv"
PARAMS_NAME: Final = "gb18218_2018_params.toml"

_CAS_RE: Final = re.compile(r"^\d{2,7}-\d{2}-\d$")
# A CAS cell may hold several numbers, each optionally labelled:
# "74-82-8（甲烷）；8006-14-2（天然气）".
_CAS_LABEL_RE: Final = re.compile(r"[（(][^）)]*[）)]")
# Row 15's third alias is an image in the text copy; the CSV keeps a bracketed placeholder [U].
_PLACEHOLDER_RE: Final = re.compile(r"^\[.*\]$")


class MajorHazardGrade(StrEnum):
    """Grade of a major hazard (GB 18218-2018 4.3.3 表6); 一级 is the most severe."""

    FIRST = "一级"
    SECOND = "二级"
    THIRD = "三级"
    FOURTH = "四级"


def normalise(text: str) -> str:
    """Fold full-width forms and spacing so that exact-name lookups ignore typing accidents."""
    return unicodedata.normalize("NFKC", text).strip()


def normalise_symbols(values: Iterable[str]) -> tuple[str, ...]:
    """Normalise hazard class symbols ("w5.1" -> "W5.1"), dropping blanks and repeats."""
    return tuple(dict.fromkeys(normalise(v).upper() for v in values if normalise(v)))


def cas_check_digit_ok(cas: str) -> bool:
    """Say whether a CAS registry number has the right shape and check digit."""
    if not _CAS_RE.match(cas):
        return False
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    # CAS rule: weight the digits 1, 2, 3, … from the right, sum, take mod 10.
    total = sum(weight * int(d) for weight, d in enumerate(reversed(body), start=1))
    return total % 10 == check


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=1)  # 序号 within its table
    critical_quantity_t: Decimal = Field(gt=0)  # 临界量 Q in tonnes
    beta: Decimal | None = Field(default=None, gt=0)
    confidence: str
    source: str
    note: str


class NamedSubstance(_Row):
    """A Table 1 row: a named hazardous chemical with its own critical quantity."""

    name: str
    aliases: tuple[str, ...]
    cas_numbers: tuple[str, ...]
    beta_source: str  # 表3 when beta is set; otherwise β comes from Table 4 by hazard class

    @field_validator("cas_numbers")
    @classmethod
    def _cas_valid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [cas for cas in value if not cas_check_digit_ok(cas)]
        if bad:
            raise ValueError(f"CAS numbers fail the check digit: {bad}")
        return value


class HazardCategory(_Row):
    """A Table 2 row: a hazard class symbol (J1…W11) with its critical quantity and β."""

    group: str  # 大类: 健康危害 / 物理危险
    category: str  # 类别, e.g. 易燃液体
    symbol: str
    description: str  # 危险性分类及说明
    quantity_note: str  # 临界量说明, e.g. W3's "150（净重）"


class AlphaBand(BaseModel):
    """One row of Table 5: exposed people outside the plant -> α."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    min_people: int = Field(ge=0)
    max_people: int | None = None
    alpha: Decimal = Field(gt=0)


class GradeBand(BaseModel):
    """One row of Table 6: the inclusive lower bound of R for a grade."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grade: MajorHazardGrade
    min_r: Decimal = Field(ge=0)


class Table1Beta(BaseModel):
    """A practice β for a Table 1 row on which the standard is silent [U]."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    beta: Decimal = Field(gt=0)
    basis: str
    note: str


class SeveralClassesPractice(BaseModel):
    """How β is chosen when a substance has several hazard classes [U]; the code implements it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Literals: a config that asks for another rule is refused rather than silently ignored.
    beta_rule: Literal["class_setting_lowest_q"]
    tie_break: Literal["max_beta"]
    note: str


class Tables(BaseModel):
    """All of GB 18218-2018's tables, checked against each other."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    substances: tuple[NamedSubstance, ...]
    categories: Mapping[str, HazardCategory]  # by symbol, in Table 2 order
    table4_beta: Mapping[str, Decimal]
    alpha_bands: tuple[AlphaBand, ...]
    grade_bands: tuple[GradeBand, ...]
    practice_beta: Mapping[int, Table1Beta]  # Table 1 序号 -> [U] β
    several_classes: SeveralClassesPractice
    practice_confidence: str

    _by_cas: dict[str, tuple[NamedSubstance, ...]] = PrivateAttr(default_factory=dict)
    _by_name: dict[str, tuple[NamedSubstance, ...]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Tables:
        seqs = [s.seq for s in self.substances]
        if seqs != list(range(1, len(seqs) + 1)):
            raise ValueError("Table 1 序号 must run 1..n without gaps")
        if set(self.table4_beta) != set(self.categories):
            raise ValueError("Table 4 must give β for exactly the Table 2 symbols")
        for symbol, category in self.categories.items():
            if category.beta != self.table4_beta[symbol]:
                raise ValueError(f"Table 2 CSV β of {symbol} disagrees with Table 4")
        self._check_alpha()
        self._check_grades()
        for seq in self.practice_beta:
            if not 1 <= seq <= len(self.substances) or self.substances[seq - 1].beta is not None:
                raise ValueError(f"practice β for 序号 {seq} must name a Table 1 row without β")
        return self

    def model_post_init(self, context: Any, /) -> None:
        """Build the CAS and name indexes once."""
        cas_index: defaultdict[str, list[NamedSubstance]] = defaultdict(list)
        name_index: defaultdict[str, list[NamedSubstance]] = defaultdict(list)
        for row in self.substances:
            for cas in row.cas_numbers:
                cas_index[cas].append(row)
            for name in dict.fromkeys(normalise(n) for n in (row.name, *row.aliases)):
                name_index[name].append(row)
        self._by_cas = {k: tuple(v) for k, v in cas_index.items()}
        self._by_name = {k: tuple(v) for k, v in name_index.items()}

    def _check_alpha(self) -> None:
        # Bands, from the top, must tile 0..∞ with no gap or overlap (4.3.2 表5).
        expected_max: int | None = None
        for band in self.alpha_bands:
            if band.max_people != expected_max:
                raise ValueError(f"Table 5 band {band.label} leaves a gap or overlaps")
            expected_max = band.min_people - 1
        if expected_max != -1:
            raise ValueError("Table 5 must reach 0 people")

    def _check_grades(self) -> None:
        bounds = [band.min_r for band in self.grade_bands]
        grades = [band.grade for band in self.grade_bands]
        if grades != list(MajorHazardGrade) or bounds != sorted(bounds, reverse=True):
            raise ValueError("Table 6 must list 一级..四级 with falling lower bounds")
        if bounds[-1] != 0:
            raise ValueError("Table 6 四级 must start at R = 0")

    def substance(self, seq: int) -> NamedSubstance | None:
        """Return the Table 1 row with this 序号, if any."""
        return self.substances[seq - 1] if 1 <= seq <= len(self.substances) else None

    def by_cas(self, cas: str) -> tuple[NamedSubstance, ...]:
        """Return the Table 1 rows listing this CAS number (several for 硝化纤维素, 硝酸铵)."""
        return self._by_cas.get(normalise(cas), ())

    def by_name(self, name: str) -> tuple[NamedSubstance, ...]:
        """Return the Table 1 rows whose name or an alias is exactly this name."""
        return self._by_name.get(normalise(name), ())


def _split(cell: str, separators: str) -> tuple[str, ...]:
    parts = re.split(f"[{separators}]", cell)
    return tuple(p.strip() for p in parts if p.strip())


def _read_csv() -> tuple[list[NamedSubstance], list[HazardCategory]]:
    text = resources.files("yingji.risks").joinpath("data", CSV_NAME).read_text("utf-8")
    named: list[NamedSubstance] = []
    classes: list[HazardCategory] = []
    for raw in csv.DictReader(io.StringIO(text)):
        common = {
            "seq": int(raw["序号"]),
            "critical_quantity_t": Decimal(raw["临界量Q(t)"]),
            "beta": Decimal(raw["beta"]) if raw["beta"] else None,
            "confidence": raw["confidence"],
            "source": raw["source"],
            "note": raw["note"],
        }
        if raw["table"] == "1":
            aliases = _split(raw["别名"], "；、")  # 、 separates row 14's two aliases
            named.append(
                NamedSubstance(
                    **common,
                    name=raw["危险化学品名称和说明"],
                    aliases=tuple(a for a in aliases if not _PLACEHOLDER_RE.match(a)),
                    cas_numbers=_split(_CAS_LABEL_RE.sub("", raw["CAS号"]), "；"),
                    beta_source=raw["beta来源"],
                )
            )
        elif raw["table"] == "2":
            classes.append(
                HazardCategory(
                    **common,
                    group=raw["大类"],
                    category=raw["类别"],
                    symbol=raw["符号"],
                    description=raw["危险性分类及说明"],
                    quantity_note=raw["临界量说明"],
                )
            )
        else:
            raise ValueError(f"{CSV_NAME}: unknown table {raw['table']!r}")
    return named, classes


@cache
def load_tables() -> Tables:
    """Load, validate and cache GB 18218-2018 tables 1–6 from the packaged data files."""
    named, classes = _read_csv()
    params_text = resources.files("yingji.risks").joinpath("data", PARAMS_NAME).read_text("utf-8")
    # Decimal floats keep 1.2 and 1.5 exact, so grade boundaries are decided exactly.
    params = tomllib.loads(params_text, parse_float=Decimal)
    practice = params["practice"]
    return Tables(
        substances=tuple(named),
        categories={c.symbol: c for c in classes},
        table4_beta={k: Decimal(v) for k, v in params["table4"]["beta"].items()},
        alpha_bands=tuple(AlphaBand(**b) for b in params["table5"]["bands"]),
        grade_bands=tuple(GradeBand(**g) for g in params["table6"]["grades"]),
        practice_beta={p["seq"]: Table1Beta(**p) for p in practice["table1_beta"]},
        several_classes=SeveralClassesPractice(**practice["several_classes"]),
        practice_confidence=practice["confidence"],
    )
