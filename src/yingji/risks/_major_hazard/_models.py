"""Inputs and results of major-hazard identification (GB 18218-2018 clause 4)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yingji.risks._major_hazard._tables import (
    STANDARD,
    MajorHazardGrade,
    normalise,
    normalise_symbols,
)


class UnitKind(StrEnum):
    """The kind of unit identified (GB 18218-2018 3.5, 3.6, 4.1.1)."""

    PRODUCTION = "production"  # 生产单元: bounded by shut-off valves (切断阀)
    STORAGE = "storage"  # 储存单元: a tank farm's fire dike (防火堤) or a separate warehouse


class NoteCode(StrEnum):
    """What a note on an identification is about."""

    BETA_PRACTICE = "beta_practice"  # β follows a practice rule where the standard is silent [U]
    BETA_MISSING = "beta_missing"  # no β: not in Table 3 and no hazard class given for Table 4
    R_UNAVAILABLE = "r_unavailable"  # R (and so the grade) needs every β
    NOT_IN_TABLE1 = "not_in_table1"  # Q came from Table 2 by hazard class (4.1.2 b)
    NET_WEIGHT = "net_weight"  # W3 aerosols: Q, and so q, is net weight (净重)


class Note(BaseModel):
    """A flag on a result: a practice choice, a missing value, or a unit to respect."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: NoteCode
    item: int | None = None  # 0-based index into the unit's items; None for the whole unit
    confidence: Literal["[T]", "[U]"]  # [U]: the standard is silent; configuration, not fact
    message: str


class SubstanceAmount(BaseModel):
    """One hazardous chemical present in a unit and its quantity q in tonnes.

    Name it by Table 1 序号 (``seq``), CAS number or exact name/alias; a substance not in
    Table 1 is described by its hazard classes (Table 2 symbols such as ``"W5.1"``). For tanks,
    containers, equipment and warehouses q is the design maximum (设计最大量, 4.2.2).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Bounded to the gram and to 10⁹ t so that absurd input is refused, not ground through.
    quantity_t: Decimal = Field(gt=0, le=10**9, decimal_places=6, allow_inf_nan=False)
    seq: int | None = Field(default=None, ge=1)
    cas: str | None = None
    name: str | None = None
    hazard_classes: tuple[str, ...] = ()
    label: str | None = None  # free text shown in results and diffs, e.g. "T-101 储罐"

    @field_validator("cas", "name", "label")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (normalise(value) or None) if value is not None else None

    @field_validator("hazard_classes")
    @classmethod
    def _symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return normalise_symbols(value)

    @model_validator(mode="after")
    def _identified(self) -> SubstanceAmount:
        if self.seq is None and self.cas is None and self.name is None and not self.hazard_classes:
            raise ValueError("give seq, cas, name or hazard_classes")
        return self


class CriticalQuantity(BaseModel):
    """The critical quantity Q of one substance and its correction factor β."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    critical_quantity_t: Decimal
    basis: str  # clause and table row that set Q
    seq: int | None  # Table 1 序号, when listed
    name: str | None  # Table 1 name, when listed
    symbol: str | None  # Table 2 symbol that set Q (or β, for Table 1 rows outside Table 3)
    beta: Decimal | None
    beta_basis: str | None
    beta_confirmed: bool  # False when β is missing or follows a [U] practice rule
    notes: tuple[Note, ...] = ()


class Contribution(BaseModel):
    """One item's share of S and R: q, Q, q/Q and β."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int
    key: str  # stable identity used to pair items when comparing two identifications
    display: str  # the label, else the Table 1 name, else what identified the item
    seq: int | None
    name: str | None  # Table 1 name, when listed
    cas: str | None
    hazard_classes: tuple[str, ...]
    quantity_t: Decimal
    critical_quantity_t: Decimal
    q_basis: str
    ratio: float  # q/Q
    beta: Decimal | None
    beta_basis: str | None
    beta_confirmed: bool


class Identification(BaseModel):
    """The result for one unit: S, whether it is a major hazard, R and the grade, with notes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    standard: str = STANDARD
    unit_kind: UnitKind
    items: tuple[Contribution, ...]
    s: float  # 4.2.1 b) formula (1)
    is_major: bool
    criterion: str  # which 4.2.1 rule decided is_major
    exposed_people: int
    alpha: Decimal
    alpha_basis: str
    r: float | None  # 4.3.2 formula (2); None when some β is unknown
    grade: MajorHazardGrade | None  # None unless a major hazard with a known R
    notes: tuple[Note, ...]
