"""Events of the warnings context; payloads carry ids, codes and levels, never tokens."""

from __future__ import annotations

import uuid
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class WarningChanged(DomainEvent):
    """A warning moved in its lifecycle (drafted, submitted, rejected, issued, updated, …)."""

    event_type: ClassVar[str] = "warnings.warning_changed"
    warning_id: uuid.UUID
    identifier: str
    action: str
    status: str
    previous_status: str | None = None
    level: int
    hazard_type: str
    region_code: str
    version: int


@register_event
class TargetAcknowledged(DomainEvent):
    """A person answered a warning (叫应): by link, SMS reply, key press or in the app."""

    event_type: ClassVar[str] = "warnings.target_acknowledged"
    warning_id: uuid.UUID
    target_id: uuid.UUID
    channel: str
    late: bool = False
    region_code: str


@register_event
class TargetEscalated(DomainEvent):
    """A person did not answer in time (未叫应): their superior is called."""

    event_type: ClassVar[str] = "warnings.target_escalated"
    warning_id: uuid.UUID
    target_id: uuid.UUID
    region_code: str
    superior_target_ids: list[uuid.UUID]


@register_event
class SupervisionFlagged(DomainEvent):
    """A red warning has been in force without a response: the level above must 督导."""

    event_type: ClassVar[str] = "warnings.supervision_flagged"
    warning_id: uuid.UUID
    region_code: str
    to_region_code: str | None
    minutes_without_response: int


@register_event
class EvacuationReported(DomainEvent):
    """People evacuated were reported for a region of a warning."""

    event_type: ClassVar[str] = "warnings.evacuation_reported"
    warning_id: uuid.UUID
    report_id: uuid.UUID
    region_code: str
    evacuated: int
