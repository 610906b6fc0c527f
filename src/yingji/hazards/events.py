"""Events of the hazards context; payloads carry ids and codes, never personal details."""

from __future__ import annotations

import uuid
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class HazardReported(DomainEvent):
    """A hazard was recorded, from any source."""

    event_type: ClassVar[str] = "hazards.hazard_reported"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID
    region_code: str
    source: str
    major_by_definition: bool
