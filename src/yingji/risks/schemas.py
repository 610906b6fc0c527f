"""Request and response models of the risks context: risk points, measures, installations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from yingji.risks.assessment import RiskLevel
from yingji.risks.major_hazard import UnitKind

_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_ONE_LINE)
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=_ONE_LINE)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300, pattern=_ONE_LINE)]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=_ONE_LINE)
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_NO_CONTROL),
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_NO_CONTROL)
]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
FactorName = Annotated[str, StringConstraints(min_length=1, max_length=8, pattern=r"^[A-Za-z]+$")]
FactorValue = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
Factors = Annotated[dict[FactorName, FactorValue], Field(max_length=6)]
BandSetName = Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]
# Quantities are exact decimal text in tonnes: at most 10⁹ t, to the gram (GB 18218 q).
Quantity = Annotated[str, StringConstraints(max_length=20, pattern=r"^\d{1,10}(\.\d{1,6})?$")]
HazardClass = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12, pattern=_ONE_LINE)
]
Cas = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20, pattern=_ONE_LINE)]


class RiskPointKind(StrEnum):
    """What a risk point is (cn-rules §3.1: 场所、设施设备、作业活动)."""

    PLACE = "place"
    INSTALLATION = "installation"
    DEVICE = "device"
    ACTIVITY = "activity"


class AssessmentMethod(StrEnum):
    """The assessment method, stored in lower case; ``assessment.assess`` takes it upper case."""

    LEC = "lec"
    LS = "ls"
    MES = "mes"


class ControlLevel(StrEnum):
    """Who holds a control: 公司级、部门级、车间级、班组级 (分级管控)."""

    ENTERPRISE = "enterprise"
    DEPARTMENT = "department"
    WORKSHOP = "workshop"
    TEAM = "team"


class MeasureKind(StrEnum):
    """Kind of control measure: 工程技术、管理、培训教育、个体防护、应急处置."""

    ENGINEERING = "engineering"
    MANAGEMENT = "management"
    TRAINING = "training"
    PPE = "ppe"
    EMERGENCY = "emergency"


class ControlMeasureIn(BaseModel):
    """One control measure as entered."""

    model_config = ConfigDict(extra="forbid")

    kind: MeasureKind
    description: Text
    control_level: ControlLevel
    responsible_person_id: uuid.UUID | None = None


class RiskPointCreate(BaseModel):
    """A risk point of an enterprise with its assessment and control measures."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: uuid.UUID
    name: Name
    kind: RiskPointKind
    code: Code | None = None
    location: Place | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    hazard_factors: Annotated[list[Tag], Field(max_length=30)] = []
    accident_types: Annotated[list[Tag], Field(max_length=30)] = []
    method: AssessmentMethod
    factors: Factors
    bands: BandSetName | None = None
    control_level: ControlLevel
    responsible_person_id: uuid.UUID | None = None
    reassess_on: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))] | None = None
    measures: Annotated[list[ControlMeasureIn], Field(max_length=50)] = []
    is_demo: bool = False


class RiskPointUpdate(BaseModel):
    """Changes to a risk point; a new assessment (method, factors, bands) needs a ``reason``.

    ``measures``, when given, replaces the whole list.
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: RiskPointKind | None = None
    code: Code | None = None
    location: Place | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    hazard_factors: Annotated[list[Tag], Field(max_length=30)] | None = None
    accident_types: Annotated[list[Tag], Field(max_length=30)] | None = None
    method: AssessmentMethod | None = None
    factors: Factors | None = None
    bands: BandSetName | None = None
    control_level: ControlLevel | None = None
    responsible_person_id: uuid.UUID | None = None
    reassess_on: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))] | None = None
    measures: Annotated[list[ControlMeasureIn], Field(max_length=50)] | None = None
    reason: Reason | None = None


class ControlMeasureRead(BaseModel):
    """A control measure as shown."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: MeasureKind
    description: str
    control_level: ControlLevel
    responsible_person_id: uuid.UUID | None
    position: int


class RiskPointRead(BaseModel):
    """A risk point as shown, with its level's Chinese name and colour."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation_id: uuid.UUID
    region_code: str
    industry_code: str | None
    code: str | None
    name: str
    kind: RiskPointKind
    location: str | None
    lon: float | None
    lat: float | None
    hazard_factors: list[str]
    accident_types: list[str]
    method: AssessmentMethod
    factors: dict[str, Any]
    bands: str
    score: float
    level: RiskLevel
    level_zh: str = ""
    colour: str = ""
    level_confirmed: bool
    assessed_on: date
    reassess_on: date | None
    control_level: ControlLevel
    responsible_person_id: uuid.UUID | None
    active: bool
    is_demo: bool
    updated_at: datetime
    measures: list[ControlMeasureRead] = []


class RiskPointList(BaseModel):
    """One page of risk points."""

    items: list[RiskPointRead]
    total: int
    limit: int
    offset: int


class SubstanceIn(BaseModel):
    """A hazardous chemical of an installation: Table 1 序号, CAS or name, or hazard classes."""

    model_config = ConfigDict(extra="forbid")

    label: Name
    seq: Annotated[int, Field(ge=1, le=1000)] | None = None
    cas: Cas | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    hazard_classes: Annotated[list[HazardClass], Field(max_length=10)] = []
    quantity_t: Quantity

    @field_validator("quantity_t")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Decimal(value) <= 0:
            raise ValueError("quantity_t must be greater than 0")
        return value


class InstallationCreate(BaseModel):
    """A production or storage unit to identify under GB 18218-2018."""

    model_config = ConfigDict(extra="forbid")

    organisation_id: uuid.UUID
    name: Name
    unit_kind: UnitKind
    exposed_people: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    lon: Lon | None = None
    lat: Lat | None = None
    responsible_person_id: uuid.UUID | None = None
    substances: Annotated[list[SubstanceIn], Field(min_length=1, max_length=100)]
    is_demo: bool = False


class SubstancesUpdate(BaseModel):
    """A new stock list of an installation and why it changed."""

    model_config = ConfigDict(extra="forbid")

    substances: Annotated[list[SubstanceIn], Field(min_length=1, max_length=100)]
    exposed_people: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    reason: Reason


class SubstanceRead(BaseModel):
    """A substance as stored."""

    model_config = ConfigDict(from_attributes=True)

    label: str
    seq: int | None
    cas: str | None
    name: str | None
    hazard_classes: list[str]
    quantity_t: str


class InstallationRead(BaseModel):
    """An installation with its stored S, R and grade (1..4 = 一级..四级)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation_id: uuid.UUID
    region_code: str
    industry_code: str | None
    name: str
    unit_kind: UnitKind
    exposed_people: int
    lon: float | None
    lat: float | None
    s_exact: str
    s_value: float
    is_major: bool
    alpha: float | None
    r_exact: str | None
    r_value: float | None
    grade: int | None
    grade_zh: str | None = None
    last_change_reason: str | None
    responsible_person_id: uuid.UUID | None
    active: bool
    is_demo: bool
    updated_at: datetime
    substances: list[SubstanceRead] = []


class InstallationList(BaseModel):
    """One page of installations."""

    items: list[InstallationRead]
    total: int
    limit: int
    offset: int


class RiskSummaryRow(TypedDict):
    """Counts of active risk points per level for one region or industry."""

    key: str
    name: str
    major: int
    considerable: int
    general: int
    low: int


class RiskSummaryRowRead(BaseModel):
    """One row of the city summary."""

    key: str
    name: str
    major: int
    considerable: int
    general: int
    low: int


class GroupBy(StrEnum):
    """How the city summary groups risk points."""

    REGION = "region"
    INDUSTRY = "industry"
