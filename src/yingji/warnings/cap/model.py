"""CAP 1.2 alerts as frozen dataclasses, so a warning can be built, compared and exported purely.

Field names are the CAP 1.2 element names in snake case (``msgType`` → ``msg_type``,
``senderName`` → ``sender_name``, ``info`` → ``infos``…); repeated elements are tuples. Every
time is an aware datetime: CAP has no local times (§3.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Alert",
    "Area",
    "Category",
    "Certainty",
    "Circle",
    "EventCode",
    "Geocode",
    "Info",
    "MsgType",
    "Parameter",
    "Point",
    "Reference",
    "Resource",
    "ResponseType",
    "Scope",
    "Severity",
    "Status",
    "Urgency",
]


class Status(StrEnum):
    """``alert/status`` (CAP 1.2 §3.2.1)."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    """``alert/msgType``: Update and Cancel supersede the messages in ``references``."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    """``alert/scope``: Private messages go only to ``addresses``."""

    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(StrEnum):
    """``info/category`` (CAP 1.2 §3.2.2)."""

    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    """``info/responseType``: what the audience should do."""

    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    """``info/urgency``."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    """``info/severity``; Chinese levels 红/橙/黄/蓝 map onto the first four (data/cap.toml)."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    """``info/certainty``."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


def _require_aware(name: str, moment: datetime | None) -> None:
    """Refuse naive datetimes early: CAP times always carry an offset (§3.3.2)."""
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware (CAP times carry an offset)")


@dataclass(frozen=True)
class EventCode:
    """``info/eventCode``: a system-specific code for the event type (e.g. GB/T 35561)."""

    value_name: str
    value: str


@dataclass(frozen=True)
class Parameter:
    """``info/parameter``: a system-specific additional value."""

    value_name: str
    value: str


@dataclass(frozen=True)
class Geocode:
    """``area/geocode``: a coded area, e.g. a GB/T 2260 region code."""

    value_name: str
    value: str


@dataclass(frozen=True)
class Point:
    """A WGS 84 point, ``lat,lon`` in CAP."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Circle:
    """``area/circle``: ``lat,lon radius`` with the radius in kilometres."""

    center: Point
    radius_km: float


@dataclass(frozen=True)
class Area:
    """``info/area``: a description plus optional shapes and codes."""

    area_desc: str
    polygons: tuple[tuple[Point, ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[Geocode, ...] = ()
    altitude: Decimal | None = None
    ceiling: Decimal | None = None


@dataclass(frozen=True)
class Resource:
    """``info/resource``: a file (image, audio…) that goes with the message."""

    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class Info:
    """``alert/info``: the message in one language (yingji writes zh-CN and, optionally, en)."""

    category: tuple[Category, ...]
    event: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    language: str = "en-US"  # the CAP 1.2 default when <language> is absent
    response_type: tuple[ResponseType, ...] = ()
    audience: str | None = None
    event_codes: tuple[EventCode, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[Parameter, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()

    def __post_init__(self) -> None:
        """Refuse an info without a category or with naive times."""
        if not self.category:
            raise ValueError("an info needs at least one category")
        for name in ("effective", "onset", "expires"):
            _require_aware(name, getattr(self, name))


@dataclass(frozen=True)
class Reference:
    """One entry of ``alert/references``: ``sender,identifier,sent`` of an earlier message."""

    sender: str
    identifier: str
    sent: datetime

    def __post_init__(self) -> None:
        """Refuse a naive ``sent``."""
        _require_aware("reference sent", self.sent)


@dataclass(frozen=True)
class Alert:
    """``alert``: the envelope, with 0..n ``info`` blocks (yingji emits 1..n)."""

    identifier: str
    sender: str
    sent: datetime
    status: Status
    msg_type: MsgType
    scope: Scope
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None  # space-delimited, names with spaces in double quotes
    code: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    incidents: str | None = None  # space-delimited incident identifiers
    infos: tuple[Info, ...] = field(default=())

    def __post_init__(self) -> None:
        """Refuse a naive ``sent``."""
        _require_aware("sent", self.sent)

    def info_for(self, language: str) -> Info | None:
        """Return the info block in a language (``zh`` matches ``zh-CN``), or the first one."""
        wanted = language.lower()
        for info in self.infos:
            if info.language.lower() == wanted:
                return info
        for info in self.infos:
            if info.language.lower().split("-")[0] == wanted.split("-")[0]:
                return info
        return self.infos[0] if self.infos else None
