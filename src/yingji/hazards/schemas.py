"""Request and response models of the hazards context (hazards, inspections, checklists)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yingji.hazards.rules import ATTACHMENTS_MAX, TEXT_MAX
from yingji.hazards.states import HazardAction, HazardGrade, HazardSource, HazardStatus

_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_CONTROL)
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=TEXT_MAX)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
AttachmentIds = Annotated[list[uuid.UUID], Field(max_length=ATTACHMENTS_MAX)]


class HazardCreate(BaseModel):
    """A hazard as reported: which enterprise, what, where, from which source.

    ``proposed_grade`` is the reporter's view; a failed item of a 重大事故隐患判定标准
    (``checklist_item_id``) makes it major by definition whatever is proposed.
    """

    model_config = ConfigDict(extra="forbid")

    enterprise_id: uuid.UUID
    title: Title
    description: Text = ""
    location: Place | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    source: HazardSource
    proposed_grade: HazardGrade | None = None
    checklist_id: Annotated[str, StringConstraints(max_length=80)] | None = None
    checklist_item_id: Annotated[str, StringConstraints(max_length=40)] | None = None
    risk_point_id: uuid.UUID | None = None
    external_ref: Annotated[str, StringConstraints(max_length=100)] | None = None
    attachment_ids: AttachmentIds = []


class HazardRead(BaseModel):
    """A hazard as shown to a user, with the actions its status allows."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: str
    enterprise_id: uuid.UUID
    region_code: str
    industry_code: str | None
    title: str
    description: str
    location: str | None
    lon: float | None
    lat: float | None
    source: HazardSource
    status: HazardStatus
    grade: HazardGrade | None
    major_by_definition: bool
    checklist_id: str | None
    checklist_item_id: str | None
    clause: str | None
    risk_point_id: uuid.UUID | None
    inspection_task_id: uuid.UUID | None
    public_report_id: uuid.UUID | None
    reported_by: uuid.UUID | None
    reported_at: datetime
    confirmed_at: datetime | None
    rejected_reason: str | None
    responsible_person_id: uuid.UUID | None
    deadline: date | None
    plan: dict[str, Any] | None
    rectified_at: datetime | None
    evidence: dict[str, Any] | None
    verification_rounds: int
    verified_at: datetime | None
    verification_note: str | None
    closed_at: datetime | None
    overdue: bool
    escalation_level: int
    supervised: bool
    supervising_org_id: uuid.UUID | None
    supervision_deadline: date | None
    supervision_lifted_at: datetime | None
    reported_to_department_at: datetime | None
    is_demo: bool
    version: int
    updated_at: datetime
    allowed_actions: list[HazardAction] = []


class HazardList(BaseModel):
    """One page of hazards."""

    items: list[HazardRead]
    total: int
    limit: int
    offset: int
