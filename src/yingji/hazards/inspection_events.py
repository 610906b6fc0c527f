"""Events of checklists and inspections; payloads carry ids and codes only."""

from __future__ import annotations

import uuid
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class ChecklistSaved(DomainEvent):
    """A custom checklist was created, changed or deactivated."""

    event_type: ClassVar[str] = "hazards.checklist_saved"
    checklist_id: uuid.UUID
    key: str
    active: bool


@register_event
class InspectionPlanSaved(DomainEvent):
    """An inspection plan was created or deactivated."""

    event_type: ClassVar[str] = "hazards.inspection_plan_saved"
    plan_id: uuid.UUID
    kind: str
    active: bool


@register_event
class InspectionTaskCreated(DomainEvent):
    """A plan produced a task for one enterprise."""

    event_type: ClassVar[str] = "hazards.inspection_task_created"
    task_id: uuid.UUID
    plan_id: uuid.UUID | None
    enterprise_id: uuid.UUID
    region_code: str
    assignee_user_id: uuid.UUID | None


@register_event
class InspectionFindingRecorded(DomainEvent):
    """A checklist item of a task was answered (pass, fail or not applicable)."""

    event_type: ClassVar[str] = "hazards.inspection_finding_recorded"
    task_id: uuid.UUID
    item_id: str
    result: str


@register_event
class InspectionTaskStatusChanged(DomainEvent):
    """A task was started, completed or cancelled."""

    event_type: ClassVar[str] = "hazards.inspection_task_status_changed"
    task_id: uuid.UUID
    enterprise_id: uuid.UUID
    status: str
    hazards_created: int = 0
    major_hazards: int = 0
