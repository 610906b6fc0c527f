"""Request and response models of checklists, inspection plans, tasks and findings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yingji.hazards.inspection_states import TaskAction, TaskStatus
from yingji.hazards.rules import ATTACHMENTS_MAX, TEXT_MAX

_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_CONTROL)
]
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=_NO_CONTROL)
]
ChecklistKey = Annotated[str, StringConstraints(min_length=1, max_length=80)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX)]


class InspectionKind(StrEnum):
    """Who inspects: the enterprise itself, or a bureau supervising it."""

    SELF = "self"
    SUPERVISORY = "supervisory"


class FindingResult(StrEnum):
    """The answer to one checklist item."""

    PASS = "pass"
    FAIL = "fail"
    NA = "na"


class ItemRead(BaseModel):
    """One checklist item as shown to an inspector."""

    id: str
    clause: str
    text: str
    applicability: list[str]
    major_by_definition: bool
    missing: bool = False
    truncated: bool = False
    cites: str | None = None


class ChecklistSummary(BaseModel):
    """A checklist in a list: official or custom, with its size and provenance."""

    id: str
    title: str
    official: bool
    issuer: str
    document_number: str
    confidence: str | None
    complete: bool
    item_count: int
    major_item_count: int
    applicability_tags: list[str]
    sources: dict[str, str] = {}
    custom_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    active: bool = True


class ChecklistRead(ChecklistSummary):
    """A checklist with its items."""

    items: list[ItemRead]


class ChecklistList(BaseModel):
    """Every checklist the caller may use."""

    items: list[ChecklistSummary]
    total: int


class CustomChecklistWrite(BaseModel):
    """A custom checklist: the same shape as an official one (see risks.checklists)."""

    model_config = ConfigDict(extra="forbid")

    content: Annotated[dict[str, Any], Field(description="a checklist: id, title, issuer, items")]


class PlanCreate(BaseModel):
    """A new inspection plan."""

    model_config = ConfigDict(extra="forbid")

    kind: InspectionKind
    name: Name
    checklist_id: ChecklistKey
    applicability: Annotated[list[Tag], Field(max_length=20)] = []
    enterprise_ids: Annotated[list[uuid.UUID], Field(max_length=500)] = []
    assignee_user_ids: Annotated[list[uuid.UUID], Field(max_length=50)] = []
    unannounced: bool = False
    every_days: Annotated[int, Field(ge=1, le=366)] | None = None
    starts_on: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
    ends_on: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))] | None = None
    task_days: Annotated[int, Field(ge=1, le=90)] = 7


class PlanRead(BaseModel):
    """An inspection plan."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: InspectionKind
    name: str
    owner_org_id: uuid.UUID
    region_code: str
    checklist_id: str
    applicability: list[str]
    enterprise_ids: list[str]
    assignee_user_ids: list[str]
    unannounced: bool
    every_days: int | None
    starts_on: date
    ends_on: date | None
    next_due_on: date | None
    task_days: int
    active: bool
    created_at: datetime


class PlanList(BaseModel):
    """One page of plans."""

    items: list[PlanRead]
    total: int
    limit: int
    offset: int


class FindingWrite(BaseModel):
    """The answer to one item: pass, fail or not applicable, with a note and photos."""

    model_config = ConfigDict(extra="forbid")

    result: FindingResult
    note: Note = ""
    attachment_ids: Annotated[list[uuid.UUID], Field(max_length=ATTACHMENTS_MAX)] = []


class FindingRead(BaseModel):
    """A recorded answer."""

    model_config = ConfigDict(from_attributes=True)

    item_id: str
    result: FindingResult
    note: str
    attachment_ids: list[str]
    hazard_id: uuid.UUID | None
    recorded_at: datetime


class TaskSummary(BaseModel):
    """The counts of a completed task."""

    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    hazards_created: int = 0
    major_hazards: int = 0


class TaskRead(BaseModel):
    """An inspection task (without its items)."""

    id: uuid.UUID
    plan_id: uuid.UUID | None
    kind: InspectionKind
    enterprise_id: uuid.UUID
    enterprise_name: str = ""
    region_code: str
    industry_code: str | None
    checklist_id: str
    checklist_title: str = ""
    applicability: list[str]
    assignee_user_id: uuid.UUID | None
    unannounced: bool
    due_on: date
    status: TaskStatus
    started_at: datetime | None
    completed_at: datetime | None
    summary: TaskSummary | None
    allowed_actions: list[TaskAction]
    item_count: int = 0
    answered_count: int = 0


class TaskItem(ItemRead):
    """An item of a task with its answer, if given."""

    finding: FindingRead | None = None


class TaskDetail(TaskRead):
    """A task with its items and findings."""

    items: list[TaskItem]


class TaskList(BaseModel):
    """One page of tasks."""

    items: list[TaskRead]
    total: int
    limit: int
    offset: int
