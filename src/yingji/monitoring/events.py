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
