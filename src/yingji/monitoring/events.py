"""Events of the monitoring context; payloads carry ids, codes and levels, never credentials."""

from __future__ import annotations

import uuid
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class ObjectRegistered(DomainEvent):
    """A monitored object was registered."""

    event_type: ClassVar[str] = "monitoring.object_registered"
    object_id: uuid.UUID
    kind: str
    region_code: str
    enterprise_id: uuid.UUID | None = None


@register_event
class GatewayRegistered(DomainEvent):
    """A gateway was registered, or its credential was replaced (``rotated``)."""

    event_type: ClassVar[str] = "monitoring.gateway_registered"
    gateway_id: uuid.UUID
    code: str
    region_code: str
    rotated: bool = False


@register_event
class SensorRegistered(DomainEvent):
    """A sensor was registered on a gateway and an object."""

    event_type: ClassVar[str] = "monitoring.sensor_registered"
    sensor_id: int
    object_id: uuid.UUID
    gateway_id: uuid.UUID
    kind: str


@register_event
class SensorStatusChanged(DomainEvent):
    """A sensor's status changed (online, offline, fault, maintenance)."""

    event_type: ClassVar[str] = "monitoring.sensor_status_changed"
    sensor_id: int
    object_id: uuid.UUID
    status: str
    previous: str


@register_event
class AlarmChanged(DomainEvent):
    """An alarm was raised or changed; ``reading_*`` is the reading that caused it, if any.

    ``action``: raised, escalate (level rose), lowered, reactivate, clear, acknowledge,
    assigned, disposed.
    """

    event_type: ClassVar[str] = "monitoring.alarm_changed"
    alarm_id: uuid.UUID
    action: str
    status: str
    previous_status: str | None = None
    severity: str
    rule: str
    object_id: uuid.UUID
    sensor_id: int | None = None
    group_id: int | None = None
    enterprise_id: uuid.UUID | None = None
    reading_ts: int | None = None
    """Epoch milliseconds of the reading."""
    reading_value: float | None = None
    escalation_level: int = 0
    handled: bool = False


@register_event
class AlarmEscalated(DomainEvent):
    """Nobody acknowledged an alarm in time: it goes to the county (1), then the city (2)."""

    event_type: ClassVar[str] = "monitoring.alarm_escalated"
    alarm_id: uuid.UUID
    step: int
    to_region_code: str | None = None
    severity: str
    object_id: uuid.UUID
    sensor_id: int | None = None
    enterprise_id: uuid.UUID | None = None
