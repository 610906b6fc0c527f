"""Organisation, person and responsibility schemas; formats are checked here, rules in service."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)
from pydantic_core import PydanticCustomError

from yingji.orgs import validators


class OrgKind(StrEnum):
    """What an organisation is in the emergency-management picture."""

    BUREAU = "bureau"
    DEPARTMENT = "department"
    MEMBER_UNIT = "member_unit"
    ENTERPRISE = "enterprise"
    RESCUE_TEAM = "rescue_team"

    @property
    def label(self) -> str:
        """Return the Chinese name."""
        return _ORG_KIND_LABELS[self]


_ORG_KIND_LABELS = {
    OrgKind.BUREAU: "应急管理局",
    OrgKind.DEPARTMENT: "业务科室",
    OrgKind.MEMBER_UNIT: "成员单位",
    OrgKind.ENTERPRISE: "生产经营单位",
    OrgKind.RESCUE_TEAM: "救援队伍",
}


class TeamType(StrEnum):
    """The kind of a rescue team (救援队伍)."""

    COMPREHENSIVE = "comprehensive"
    PROFESSIONAL = "professional"
    SOCIAL = "social"

    @property
    def label(self) -> str:
        """Return the Chinese name."""
        return _TEAM_TYPE_LABELS[self]


_TEAM_TYPE_LABELS = {
    TeamType.COMPREHENSIVE: "综合性消防救援队伍",
    TeamType.PROFESSIONAL: "专业救援队伍",
    TeamType.SOCIAL: "社会应急力量",
}


class DutyType(StrEnum):
    """The hazard a responsible person (包保责任人) answers for."""

    FLOOD = "flood"
    GEOLOGICAL = "geological"
    SAFETY_PRODUCTION = "safety_production"
    FOREST_FIRE = "forest_fire"
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"
    URBAN_GAS = "urban_gas"
    EARTHQUAKE = "earthquake"
    GENERAL = "general"

    @property
    def label(self) -> str:
        """Return the Chinese name."""
        return _DUTY_LABELS[self]


_DUTY_LABELS = {
    DutyType.FLOOD: "防汛",
    DutyType.GEOLOGICAL: "地质灾害",
    DutyType.SAFETY_PRODUCTION: "安全生产",
    DutyType.FOREST_FIRE: "森林防火",
    DutyType.HAZARDOUS_CHEMICALS: "危险化学品",
    DutyType.URBAN_GAS: "城镇燃气",
    DutyType.EARTHQUAKE: "地震",
    DutyType.GENERAL: "综合",
}


def _checked(fn: Callable[[str], str], error_type: str) -> AfterValidator:
    """Wrap a validator so its message reaches the client without pydantic's prefix."""

    def run(value: str) -> str:
        try:
            return fn(value)
        except validators.FormatError as exc:
            raise PydanticCustomError(error_type, str(exc)) from exc

    return AfterValidator(run)


_Plain = _checked(validators.reject_control_chars, "control_characters")
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Plain
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Plain
]
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), _Plain
]
# The characters region codes may hold (see regions.schemas): digits, letters, '.', '_', '-'.
REGION_CODE_PATTERN = r"^[0-9A-Za-z._-]{1,32}$"
RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=REGION_CODE_PATTERN)]
CreditCode = Annotated[str, _checked(validators.normalise_credit_code, "credit_code")]
IndustryCode = Annotated[str, _checked(validators.normalise_industry_code, "industry_code")]
Phone = Annotated[str, _checked(validators.normalise_phone, "phone")]
Mobile = Annotated[
    str, _checked(lambda v: validators.normalise_phone(v, field="mobile", mobile=True), "mobile")
]
Email = Annotated[str, _checked(validators.normalise_email, "email")]
Lon = Annotated[float, Field(ge=validators.LON_RANGE[0], le=validators.LON_RANGE[1])]
Lat = Annotated[float, Field(ge=validators.LAT_RANGE[0], le=validators.LAT_RANGE[1])]
Headcount = Annotated[int, Field(ge=0, le=1_000_000)]

_FORBID = ConfigDict(extra="forbid")


class OrganisationUpdate(BaseModel):
    """Fields to change; an explicit null clears an optional field. The kind never changes."""

    model_config = _FORBID

    name: Name | None = None
    parent_id: uuid.UUID | None = None
    region_code: RegionCode | None = None
    credit_code: CreditCode | None = None
    industry_code: IndustryCode | None = None
    address: Address | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    phone: Phone | None = None
    team_type: TeamType | None = None
    headcount: Headcount | None = None
    # A department's or member unit's supervised industries: GB/T 4754 section or division
    # codes ("C", "C26"); a bureau user of that organisation sees only those industries.
    supervised_industries: Annotated[list[IndustryCode], Field(max_length=100)] | None = None


class OrganisationCreate(OrganisationUpdate):
    """A new organisation."""

    kind: OrgKind
    name: Name
    region_code: RegionCode
    is_demo: bool = False


class OrganisationRead(BaseModel):
    """An organisation as shown to a user."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: OrgKind
    name: str
    parent_id: uuid.UUID | None
    region_code: str
    credit_code: str | None
    industry_code: str | None
    address: str | None
    lon: float | None
    lat: float | None
    phone: str | None
    team_type: TeamType | None
    headcount: int | None
    supervised_industries: list[str] | None = None
    active: bool
    is_demo: bool
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        """Return the Chinese name of the kind."""
        return self.kind.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def industry_name(self) -> str | None:
        """Return the GB/T 4754 name of the industry (None for a code not in the catalogue)."""
        if not self.industry_code:
            return None
        try:
            return validators.industry_name(self.industry_code)
        except validators.FormatError:  # rows written before a rule change must still display
            return None


class OrganisationList(BaseModel):
    """One page of organisations."""

    items: list[OrganisationRead]
    total: int
    limit: int
    offset: int


class PersonUpdate(BaseModel):
    """Fields to change; an explicit null clears an optional field."""

    model_config = _FORBID

    name: ShortText | None = None
    organisation_id: uuid.UUID | None = None
    region_code: RegionCode | None = None
    position: ShortText | None = None
    mobile: Mobile | None = None
    phone: Phone | None = None
    email: Email | None = None


class PersonCreate(PersonUpdate):
    """A new person."""

    name: ShortText
    region_code: RegionCode
    is_demo: bool = False


class PersonRead(BaseModel):
    """A person as shown to a user."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    organisation_id: uuid.UUID | None
    region_code: str
    position: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    active: bool
    is_demo: bool
    created_at: datetime
    updated_at: datetime


class PersonList(BaseModel):
    """One page of persons."""

    items: list[PersonRead]
    total: int
    limit: int
    offset: int


class ResponsibilityCreate(BaseModel):
    """A new responsible-person assignment (包保责任)."""

    model_config = _FORBID

    person_id: uuid.UUID
    region_code: RegionCode
    duty_type: DutyType
    title: ShortText | None = None
    is_primary: bool = True
    starts_on: date | None = None
    ends_on: date | None = None


class ResponsibilityRead(BaseModel):
    """An assignment as shown to a user."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    region_code: str
    duty_type: DutyType
    title: str | None
    is_primary: bool
    starts_on: date | None
    ends_on: date | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duty_label(self) -> str:
        """Return the Chinese name of the duty."""
        return self.duty_type.label


class ResponsibilityList(BaseModel):
    """One page of assignments."""

    items: list[ResponsibilityRead]
    total: int
    limit: int
    offset: int


class ResponsiblePerson(BaseModel):
    """Whom to reach for a region and duty on a day (what the warnings module targets)."""

    model_config = ConfigDict(frozen=True)

    person_id: uuid.UUID
    name: str
    organisation_id: uuid.UUID | None
    mobile: str | None
    phone: str | None
    region_code: str  # the region the assignment covers
    duty_type: DutyType
    title: str | None
    is_primary: bool


class ResponsibleRow(NamedTuple):
    """``ResponsiblePerson``'s fields as a plain row, for fan-outs of 100,000 persons."""

    person_id: uuid.UUID
    name: str
    organisation_id: uuid.UUID | None
    mobile: str | None
    phone: str | None
    region_code: str
    duty_type: str  # a DutyType value
    title: str | None
    is_primary: bool


class IndustryRead(BaseModel):
    """A GB/T 4754-2017 section (门类) or division (大类)."""

    code: str
    name: str
    section: str
    level: str
