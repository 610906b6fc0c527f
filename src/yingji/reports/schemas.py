"""Request and response models of public reports (举报) and their rewards."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yingji.hazards.states import HazardGrade
from yingji.reports._rewards import (
    AccidentGrade,
    ClaimRule,
    ConcealmentRule,
    FineRule,
    RewardBasis,
    RewardInputs,
    RewardRules,
)
from yingji.reports.states import ReportAction, ReportStatus, RewardAction, RewardStatus

__all__ = [
    "AccidentGrade",
    "ClaimRule",
    "ConcealmentRule",
    "FineRule",
    "RewardBasis",
    "RewardInputs",
    "RewardRules",
]

_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
REGION_CODE = r"^[0-9]{6}([0-9]{3}){0,3}$"


class ReportCategory(StrEnum):
    """What the public reports (安监总财〔2018〕19号 第二条, and 其他)."""

    MAJOR_HAZARD = "major_hazard"  # 重大事故隐患
    ILLEGAL_ACTIVITY = "illegal_activity"  # 安全生产违法行为
    CONCEALED_ACCIDENT = "concealed_accident"  # 瞒报谎报事故
    OTHER = "other"  # 其他


LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000, pattern=_NO_CONTROL)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300, pattern=_ONE_LINE)
]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=_NO_CONTROL),
]
Note = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=_NO_CONTROL)
]
FormToken = Annotated[str, StringConstraints(max_length=80, pattern=r"^[0-9A-Za-z.]*$")]
TrackingCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=_ONE_LINE)
]


class ReportCreate(BaseModel):
    """A report as the public submits it. ``website`` is a honeypot: people leave it empty."""

    model_config = ConfigDict(extra="forbid")

    category: ReportCategory
    text: LongText
    place: ShortText | None = None
    enterprise_name: Annotated[str, StringConstraints(max_length=200, pattern=_ONE_LINE)] | None = (
        None
    )
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    region_code: Annotated[str, StringConstraints(pattern=REGION_CODE)] | None = None
    anonymous: bool = True
    reporter_name: Annotated[str, StringConstraints(max_length=100, pattern=_ONE_LINE)] | None = (
        None
    )
    reporter_phone: Annotated[str, StringConstraints(max_length=30, pattern=_ONE_LINE)] | None = (
        None
    )
    attachment_ids: Annotated[list[uuid.UUID], Field(max_length=5)] = []
    form_token: FormToken = ""
    website: Annotated[str, StringConstraints(max_length=200)] = ""


class ReportReceipt(BaseModel):
    """What the reporter gets back once: the tracking code (shown only this time)."""

    tracking_code: str
    received_on: date
    due_on: date


class TrackRequest(BaseModel):
    """A tracking code, sent in the body so it stays out of URLs and logs."""

    model_config = ConfigDict(extra="forbid")
    code: TrackingCode


class TrackRead(BaseModel):
    """What a tracking code shows: the same shape whether the code is known or not."""

    found: bool
    received_on: date | None = None
    status: ReportStatus | None = None
    due_on: date | None = None
    public_note: str | None = None
    reward_notice: bool = False
    reward_claim_by: date | None = None


class FormTokenRead(BaseModel):
    """A signed token for the public report form (its CSRF equivalent)."""

    form_token: str


class PublicUploadRead(BaseModel):
    """A file uploaded by the public, to be claimed by a report."""

    id: uuid.UUID
    content_type: str
    size: int


class ReportRead(BaseModel):
    """A report as the bureau sees it (the reporter's identity only to triage roles)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    category: ReportCategory
    text: str
    place: str | None
    enterprise_name: str | None
    lon: float | None
    lat: float | None
    region_code: str | None
    anonymous: bool
    reporter_name: str | None = None
    reporter_phone: str | None = None
    attachment_ids: list[str]
    status: ReportStatus
    received_at: datetime
    due_on: date
    overdue: bool = False
    extended: bool
    extension_reason: str | None
    triaged_by: uuid.UUID | None
    triaged_at: datetime | None
    rejection_reason: str | None
    hazard_id: uuid.UUID | None
    enterprise_id: uuid.UUID | None
    public_note: str | None
    concluded_at: datetime | None
    reward_status: RewardStatus
    reward_basis: RewardBasis | None
    reward_inputs: dict[str, Any] | None
    reward_amount: Decimal | None
    reward_proposed_by: uuid.UUID | None
    reward_approved_by: uuid.UUID | None
    reward_notified_on: date | None
    reward_claim_by: date | None
    reward_paid_at: datetime | None
    is_demo: bool
    allowed_actions: list[ReportAction] = []
    allowed_reward_actions: list[RewardAction] = []


class ReportList(BaseModel):
    """One page of reports."""

    items: list[ReportRead]
    total: int
    limit: int
    offset: int


class AcceptBody(BaseModel):
    """Accept a report: file a new hazard against the enterprise concerned (``enterprise_id``
    and ``title``), or link a repeated report of the same matter to its existing hazard
    (``duplicate_of_hazard_id``; only the first valid reporter of a matter is rewarded)."""

    model_config = ConfigDict(extra="forbid")
    enterprise_id: uuid.UUID | None = None
    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=_ONE_LINE)]
        | None
    ) = None
    duplicate_of_hazard_id: uuid.UUID | None = None
    proposed_grade: HazardGrade | None = None
    public_note: Note | None = None


class RejectBody(BaseModel):
    """Reject a report (不予受理) with the reason; the public note is what the reporter reads."""

    model_config = ConfigDict(extra="forbid")
    reason: Reason
    public_note: Note | None = None


class ExtendBody(BaseModel):
    """Extend the handling time limit once, with the reason (told to the reporter)."""

    model_config = ConfigDict(extra="forbid")
    reason: Reason
    public_note: Note | None = None


class ConcludeBody(BaseModel):
    """Conclude the verification: true or not, with a note for the reporter."""

    model_config = ConfigDict(extra="forbid")
    verified: bool
    public_note: Note | None = None


class RewardProposeBody(BaseModel):
    """Propose a reward: the basis and its inputs; the amount is computed from the rules."""

    model_config = ConfigDict(extra="forbid")
    basis: RewardBasis
    inputs: RewardInputs


class RewardDecisionBody(BaseModel):
    """Approve or refuse a proposed reward."""

    model_config = ConfigDict(extra="forbid")
    approve: bool = True
    note: Note | None = None


class RewardRulesRead(BaseModel):
    """The rules that apply in a region, and where they come from."""

    region_code: str
    source_region_code: str | None  # None: the national defaults
    basis: str
    rules: RewardRules


class RewardRulesWrite(BaseModel):
    """A region's own rule set and the local document it comes from."""

    model_config = ConfigDict(extra="forbid")
    basis: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=_ONE_LINE),
    ]
    rules: RewardRules
