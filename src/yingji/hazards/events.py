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


@register_event
class HazardTransitioned(DomainEvent):
    """A hazard took one step of its lifecycle (``hazards.states.TRANSITIONS``)."""

    event_type: ClassVar[str] = "hazards.hazard_transitioned"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID
    region_code: str
    action: str
    from_status: str
    to_status: str
    grade: str | None


@register_event
class HazardPlanSaved(DomainEvent):
    """A rectification plan (or a general hazard's person and deadline) was saved as a draft."""

    event_type: ClassVar[str] = "hazards.hazard_plan_saved"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID


@register_event
class MajorHazardReported(DomainEvent):
    """A confirmed major hazard was reported to the supervising departments (安全生产法 第四十一条).

    ``obligations`` are the ``rules.ObligationKind`` values the confirmation triggered;
    ``recipient_ids`` the bureaus and departments whose region covers the enterprise and whose
    supervised industries include it.
    """

    event_type: ClassVar[str] = "hazards.major_hazard_reported"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID
    region_code: str
    obligations: tuple[str, ...]
    recipient_ids: tuple[uuid.UUID, ...]


@register_event
class HazardEscalated(DomainEvent):
    """An overdue hazard was escalated: level 1 the enterprise's superior, 2 the department."""

    event_type: ClassVar[str] = "hazards.hazard_escalated"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID
    region_code: str
    level: int
    recipient_ids: tuple[uuid.UUID, ...]


@register_event
class HazardSupervisionListed(DomainEvent):
    """A major hazard was put on supervised listing (挂牌督办)."""

    event_type: ClassVar[str] = "hazards.supervision_listed"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID
    supervising_org_id: uuid.UUID
    deadline: str


@register_event
class HazardSupervisionLifted(DomainEvent):
    """A supervised listing was lifted after verification (摘牌)."""

    event_type: ClassVar[str] = "hazards.supervision_lifted"
    hazard_id: uuid.UUID
    enterprise_id: uuid.UUID
    supervising_org_id: uuid.UUID | None
