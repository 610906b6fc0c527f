"""Events of the risks context; payloads carry ids, codes and levels, never personal details."""

from __future__ import annotations

import uuid
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class RiskPointAssessed(DomainEvent):
    """A risk point was recorded or re-assessed; ``level`` is the new four-colour level."""

    event_type: ClassVar[str] = "risks.risk_point_assessed"
    risk_point_id: uuid.UUID
    organisation_id: uuid.UUID
    region_code: str
    level: str
    previous_level: str | None = None


@register_event
class RiskPointDeactivated(DomainEvent):
    """A risk point was taken off the register (it stays on record)."""

    event_type: ClassVar[str] = "risks.risk_point_deactivated"
    risk_point_id: uuid.UUID
    organisation_id: uuid.UUID
    region_code: str


@register_event
class InstallationIdentified(DomainEvent):
    """An installation was identified or re-identified under GB 18218-2018."""

    event_type: ClassVar[str] = "risks.installation_identified"
    installation_id: uuid.UUID
    organisation_id: uuid.UUID
    region_code: str
    is_major: bool
    grade: int | None
    grade_changed: bool = False
