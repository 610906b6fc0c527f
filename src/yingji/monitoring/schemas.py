"""Request and response models of the monitoring context: the registry and ingestion results."""

from __future__ import annotations

import tomllib
import uuid
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Literal, NamedTuple

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from yingji.monitoring.states import Disposition
from yingji.orgs.schemas import RegionCode

_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
# Codes travel in MQTT topics and payloads: no '/', '+', '#' or spaces.
DeviceCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"
    ),
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_ONE_LINE)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_ONE_LINE)
]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]


class ObjectKind(StrEnum):
    """What a monitored object is (the seeds' list of 城市生命线 and 危化 targets)."""

    INSTALLATION = "installation"  # 重大危险源 / 危化装置
    CHEMICAL_PLANT = "chemical_plant"
    GAS_PIPELINE = "gas_pipeline"  # 燃气管网
    UNDERGROUND_PIPELINE = "underground_pipeline"  # 供水、排水、热力管网
    BRIDGE = "bridge"
    TUNNEL = "tunnel"
    HIGH_RISE = "high_rise"
    RESERVOIR_DAM = "reservoir_dam"
    TAILINGS_POND = "tailings_pond"
    SLOPE = "slope"  # 边坡、地质灾害隐患点
    FERRY = "ferry"
    FOREST = "forest"
    OTHER = "other"


class SensorStatus(StrEnum):
    """A sensor's operating status: set by the platform (online/offline) or by people."""

    ONLINE = "online"
    OFFLINE = "offline"
    FAULT = "fault"
    MAINTENANCE = "maintenance"


class SensorKind(NamedTuple):
    """A kind of sensor (data/sensor_kinds.toml): its unit and default physical range."""

    key: str
    zh: str
    en: str
    unit: str
    range_min: float
    range_max: float


@cache
def sensor_kinds() -> dict[str, SensorKind]:
    """Return the sensor kinds the registry accepts, by key."""
    text = (
        resources.files("yingji.monitoring").joinpath("data/sensor_kinds.toml").read_text("utf-8")
    )
    raw = tomllib.loads(text)
    return {
        key: SensorKind(
            key, v["zh"], v["en"], v["unit"], float(v["range"][0]), float(v["range"][1])
        )
        for key, v in raw.items()
    }


class ObjectCreate(BaseModel):
    """Register a monitored object."""

    model_config = ConfigDict(extra="forbid")

    code: DeviceCode
    name: Name
    kind: ObjectKind
    region_code: RegionCode
    enterprise_id: uuid.UUID | None = None
    risk_point_id: uuid.UUID | None = None
    installation_id: uuid.UUID | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    is_demo: bool = False


class ObjectRead(BaseModel):
    """A monitored object."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    kind: str
    region_code: str
    enterprise_id: uuid.UUID | None
    risk_point_id: uuid.UUID | None
    installation_id: uuid.UUID | None
    lon: float | None
    lat: float | None
    is_demo: bool
    created_at: datetime


class ObjectList(BaseModel):
    """One page of objects."""

    items: list[ObjectRead]
    total: int
    limit: int
    offset: int


class GatewayCreate(BaseModel):
    """Register a gateway; the answer carries its credential, shown this once."""

    model_config = ConfigDict(extra="forbid")

    code: DeviceCode
    name: Name
    region_code: RegionCode
    organisation_id: uuid.UUID | None = None
    is_demo: bool = False


class GatewayRead(BaseModel):
    """A gateway with its ingestion counters."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    region_code: str
    organisation_id: uuid.UUID | None
    active: bool
    last_seen_at: datetime | None
    accepted: int
    duplicates: int
    rejected: dict[str, int] = Field(default_factory=dict)
    is_demo: bool


class GatewayCredential(BaseModel):
    """A gateway and its new HTTP credential (never stored or shown again)."""

    gateway: GatewayRead
    token: str
    topic: str


class GatewayList(BaseModel):
    """One page of gateways."""

    items: list[GatewayRead]
    total: int
    limit: int
    offset: int


class SensorCreate(BaseModel):
    """Register a sensor of a gateway on an object."""

    model_config = ConfigDict(extra="forbid")

    code: DeviceCode
    name: Name
    gateway_id: uuid.UUID
    object_id: uuid.UUID
    kind: Annotated[str, StringConstraints(max_length=30, pattern=r"^[a-z_]+$")]
    unit: Annotated[str, StringConstraints(max_length=16, pattern=_ONE_LINE)] | None = None
    """Defaults to the kind's unit; if given, it must be that unit."""
    range_min: Finite | None = None
    range_max: Finite | None = None
    """The instrument's physical range; defaults to the kind's."""
    interval_seconds: Annotated[int, Field(ge=1, le=86_400)] = 60
    lon: Lon | None = None
    lat: Lat | None = None
    is_demo: bool = False

    @field_validator("range_max")
    @classmethod
    def _above_range_min(cls, high: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("range_min")
        if high is not None and low is not None and low >= high:
            raise ValueError("range_max must be above range_min")
        return high


class SensorStatusUpdate(BaseModel):
    """Set a sensor's status by hand (fault, maintenance, back online)."""

    model_config = ConfigDict(extra="forbid")

    status: SensorStatus
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=_ONE_LINE),
    ]


class SensorRead(BaseModel):
    """A sensor with its latest reading."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    gateway_id: uuid.UUID
    object_id: uuid.UUID
    kind: str
    unit: str
    range_min: float
    range_max: float
    interval_seconds: int
    status: str
    lon: float | None
    lat: float | None
    is_demo: bool
    latest_ts: int | None = None
    """Epoch milliseconds of the latest reading."""
    latest_value: float | None = None


class SensorList(BaseModel):
    """One page of sensors."""

    items: list[SensorRead]
    total: int
    limit: int
    offset: int


class MinutePoint(BaseModel):
    """One minute of a sensor's readings."""

    minute: int
    """Epoch minutes (UTC)."""
    count: int
    mean: float
    min: float
    max: float


class SensorHistory(BaseModel):
    """A sensor's per-minute history over a time range."""

    sensor_id: int
    unit: str
    points: list[MinutePoint]


class IngestOutcome(BaseModel):
    """What became of a gateway's payload."""

    stored: int
    duplicates: int
    rejected: dict[str, int]


# --- rules and alarms ---------------------------------------------------------------------------

_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_NO_CONTROL),
]


SensorNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]


class RuleOverride(BaseModel):
    """The fields of a sensor's rule that differ from its kind's defaults (none: the defaults)."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["above", "below"] | None = None
    blue: Finite | None = None
    yellow: Finite | None = None
    orange: Finite | None = None
    red: Finite | None = None
    deadband: Annotated[float, Field(ge=0, le=1e9)] | None = None
    duration: Annotated[float, Field(ge=0, le=86_400)] | None = None
    rate_limit: Annotated[float, Field(gt=0, le=1e9)] | None = None
    rate_level: Annotated[int, Field(ge=1, le=4)] | None = None
    stale_after: Annotated[float, Field(gt=0, le=30 * 86_400)] | None = None
    stale_level: Annotated[int, Field(ge=1, le=4)] | None = None


class MaintenanceWindowCreate(BaseModel):
    """Plan a maintenance window of a sensor."""

    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Reason


class AlarmGroupCreate(BaseModel):
    """Combine k of n sensors of an object into an object alarm."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    sensor_ids: Annotated[list[SensorNumber], Field(min_length=2, max_length=50)]
    k: Annotated[int, Field(ge=1, le=50)]
    min_level: Annotated[int, Field(ge=1, le=4)] = 2


class AlarmRead(BaseModel):
    """An alarm, with the actions the caller may take on it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sensor_id: int | None
    group_id: int | None
    object_id: uuid.UUID
    rule: str
    severity: str
    peak_severity: str
    status: str
    handled: bool
    first_value: float | None
    first_ts: int
    last_value: float | None
    last_ts: int
    started_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    assigned_to: uuid.UUID | None
    disposition: str | None
    disposition_note: str | None
    escalation_level: int
    actions: list[str] = Field(default_factory=list)


class AlarmList(BaseModel):
    """One page of alarms."""

    items: list[AlarmRead]
    total: int
    limit: int
    offset: int


class AssignBody(BaseModel):
    """Assign an alarm to a user."""

    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class DisposeBody(BaseModel):
    """What an alarm was, with a note."""

    model_config = ConfigDict(extra="forbid")

    disposition: Disposition
    note: Note
