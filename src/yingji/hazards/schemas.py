"""Request and response models of the hazards context (hazards, inspections, checklists)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yingji.hazards.rules import (
    ATTACHMENTS_MAX,
    REASON_MAX,
    TEXT_MAX,
    GeneralRectification,
    RectificationPlan,
)
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


_CODE = r"^[0-9A-Za-z]{1,32}$"


class HazardFilter(BaseModel):
    """The board's filters; every field is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    status: list[HazardStatus] | None = Field(default=None, max_length=10)
    grade: HazardGrade | None = None
    source: HazardSource | None = None
    region_code: Annotated[str, StringConstraints(pattern=_CODE)] | None = None
    """A region code: its whole subtree."""
    industry_code: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{0,4}$")] | None = None
    """A GB/T 4754 code prefix, e.g. ``C26``."""
    enterprise_id: uuid.UUID | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    q: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=100, pattern=_NO_CONTROL)
        ]
        | None
    ) = None
    """A hazard number, or words of the title."""
    reported_from: date | None = None
    reported_to: date | None = None


class FullPlanBody(RectificationPlan):
    """The full 治理方案 of a major hazard (五落实), tagged ``kind="full"``."""

    kind: Literal["full"] = "full"


class GeneralPlanBody(GeneralRectification):
    """A general hazard's responsible person and deadline, tagged ``kind="general"``."""

    kind: Literal["general"] = "general"


PlanBody = Annotated[FullPlanBody | GeneralPlanBody, Field(discriminator="kind")]

Note = Annotated[str, StringConstraints(max_length=TEXT_MAX, pattern=_NO_CONTROL)]


def plan_model(body: FullPlanBody | GeneralPlanBody) -> RectificationPlan | GeneralRectification:
    """Return the rules model of a tagged plan body."""
    data = body.model_dump(exclude={"kind"})
    if isinstance(body, FullPlanBody):
        return RectificationPlan.model_validate(data)
    return GeneralRectification.model_validate(data)


class ConfirmBody(BaseModel):
    """Confirm a reported hazard with its grade (一般/重大)."""

    model_config = ConfigDict(extra="forbid")

    grade: HazardGrade
    note: Note = ""


class RejectBody(BaseModel):
    """Refuse a reported hazard (不予确认) with the reason."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=REASON_MAX, pattern=_NO_CONTROL)]


class PlanSave(BaseModel):
    """Save the plan as a draft."""

    model_config = ConfigDict(extra="forbid")

    plan: PlanBody


class StartBody(BaseModel):
    """Start rectification, with a plan or the saved one."""

    model_config = ConfigDict(extra="forbid")

    plan: PlanBody | None = None


class SubmitBody(BaseModel):
    """Submit the rectification: what was done and the attachments that show it."""

    model_config = ConfigDict(extra="forbid")

    note: Note
    attachment_ids: AttachmentIds = []


class VerifyBody(BaseModel):
    """The result of 验收: passed, or failed with the reason."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    note: Note = ""
    reason: Annotated[str, StringConstraints(max_length=REASON_MAX, pattern=_NO_CONTROL)] = ""


class CloseBody(BaseModel):
    """Close (销号) a verified hazard."""

    model_config = ConfigDict(extra="forbid")


class SupervisionCreate(BaseModel):
    """Put a major hazard under 挂牌督办."""

    model_config = ConfigDict(extra="forbid")

    supervising_org_id: uuid.UUID
    deadline: date
    note: Note = ""


class SupervisionLift(BaseModel):
    """Lift a 挂牌督办 listing after verification."""

    model_config = ConfigDict(extra="forbid")

    note: Note = ""
