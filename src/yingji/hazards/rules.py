"""Pure guards for the hazard lifecycle: what must be true before each step (cn-rules §3.6).

The service calls these before ``states.ensure_allowed`` changes a status; each refusal is an
``InvalidInput`` (or ``Forbidden``) whose ``field`` names the offending input. The pydantic
models are structural only: a half-filled plan can be saved as a draft, and the guard says
which item is still missing when rectification is to start. Length and count limits live here,
as public constants the schemas may reuse, so every refusal has the same shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from pydantic import BaseModel, ConfigDict

from yingji.core.errors import Forbidden, InvalidInput
from yingji.hazards.states import HazardGrade

TEXT_MAX: Final = 4000
REASON_MAX: Final = 500
ATTACHMENTS_MAX: Final = 50

# The six items are [S2] (cn-rules §3.6); the article number is recalled, not read from the
# official text [S1]: confirm it before quoting it in a legal document.
_CLAUSE_PLAN: Final = "安监总局令第16号 第十五条"
_LAW_41: Final = "《安全生产法》第四十一条"


class RectificationPlan(BaseModel):
    """The 重大事故隐患治理方案 required before a major hazard is rectified.

    安监总局令第16号《安全生产事故隐患排查治理暂行规定》第十五条: 重大事故隐患治理方案应当包括
    ①治理的目标和任务 ②采取的方法和措施 ③经费和物资的落实 ④负责治理的机构和人员
    ⑤治理的时限和要求 ⑥安全措施和应急预案 (cn-rules §3.6, the “五落实/五到位”).
    Items ④ and ⑤ are each split in two fields so the person and the date are machine-readable.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    goal_and_tasks: str = ""
    """① 治理的目标和任务."""
    methods_and_measures: str = ""
    """② 采取的方法和措施."""
    funds_and_materials: str = ""
    """③ 经费和物资的落实."""
    responsible_organisation: str = ""
    """④ 负责治理的机构 (a department or team of the enterprise, as written)."""
    responsible_person_id: uuid.UUID | None = None
    """④ 负责治理的人员: the accountable person; the service checks that the person exists."""
    deadline: date | None = None
    """⑤ 治理的时限."""
    requirements: str = ""
    """⑤ 治理的要求 (what counts as done)."""
    safety_measures_and_contingency_plan: str = ""
    """⑥ 安全措施和应急预案 (measures while the hazard persists, and the plan if it fails)."""


# The plan's items in clause order, with the Chinese names used in refusals.
PLAN_ITEMS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "goal_and_tasks": "治理的目标和任务",
        "methods_and_measures": "采取的方法和措施",
        "funds_and_materials": "经费和物资的落实",
        "responsible_organisation": "负责治理的机构",
        "responsible_person_id": "负责治理的人员",
        "deadline": "治理的时限",
        "requirements": "治理的要求",
        "safety_measures_and_contingency_plan": "安全措施和应急预案",
    }
)


# 16号令 第十五条 asks a general hazard only to be rectified at once by someone: who, by when.
_GENERAL_REQUIRED: Final = ("responsible_person_id", "deadline")


class GeneralRectification(BaseModel):
    """Who rectifies a general hazard and by when (16号令 第十五条: 立即组织整改)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    responsible_person_id: uuid.UUID | None = None
    deadline: date | None = None
    measures: str = ""
    """Optional: what will be done."""


class RectificationEvidence(BaseModel):
    """What the rectifier submits: a note of what was done plus attachments (photos, reports)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    note: str = ""
    attachment_ids: tuple[uuid.UUID, ...] = ()


def check_can_start_rectification(
    grade: HazardGrade,
    plan_or_general: RectificationPlan | GeneralRectification,
    *,
    today: date,
) -> None:
    """Refuse to start rectifying unless the grade's plan is complete and its deadline not past.

    ``today`` is the caller's local date (the bureau's time zone), so a deadline of today is
    accepted. A major hazard needs a ``RectificationPlan`` with every item filled; a general one
    needs a responsible person and a deadline (a full plan also satisfies it).
    """
    if grade.requires_plan and not isinstance(plan_or_general, RectificationPlan):
        raise InvalidInput(
            f"a {grade.zh} needs the full 治理方案 ({_CLAUSE_PLAN}) before rectification",
            field="plan",
        )
    required = tuple(PLAN_ITEMS) if grade.requires_plan else _GENERAL_REQUIRED
    missing = [name for name in required if _blank(getattr(plan_or_general, name))]
    if missing:
        names = "、".join(PLAN_ITEMS[name] for name in missing)
        basis = f" ({_CLAUSE_PLAN})" if grade.requires_plan else ""
        raise InvalidInput(
            f"{missing[0]} is required before rectification: missing {names}{basis}",
            field=missing[0],
            missing=missing,
        )
    _check_text_lengths(plan_or_general)
    deadline = plan_or_general.deadline
    if deadline is not None and deadline < today:
        raise InvalidInput(
            f"deadline {deadline.isoformat()} is in the past (today is {today.isoformat()})",
            field="deadline",
        )


def check_verifier(verifier_id: uuid.UUID, rectifier_id: uuid.UUID) -> None:
    """Refuse a verification by the person who submitted the rectification.

    ``Forbidden`` (403), not ``InvalidInput``: the request is well formed, but the acting
    person may not do this (segregation of duties), exactly like a missing permission. The
    service passes the actor's user id as ``verifier_id`` and the submitter of the current
    rectification round as ``rectifier_id``.
    """
    if verifier_id == rectifier_id:
        raise Forbidden("the person who rectified a hazard cannot verify it", field="verifier_id")


def check_rejection(reason: str) -> str:
    """Return the stripped reason for rejecting a report; refuse it if empty or too long."""
    return _check_reason(reason, field="reason")


def check_verification_failure(reason: str) -> str:
    """Return the stripped reason a verification failed; the rectifier needs it to try again."""
    return _check_reason(reason, field="reason")


def check_evidence(evidence: RectificationEvidence) -> None:
    """Refuse a rectification without a note and at least one distinct attachment."""
    if not evidence.note:
        raise InvalidInput("note is required: say what was done to remove the hazard", field="note")
    if len(evidence.note) > TEXT_MAX:
        raise InvalidInput(f"note is longer than {TEXT_MAX} characters", field="note")
    ids = evidence.attachment_ids
    if not ids:
        raise InvalidInput(
            "attachment_ids needs at least one attachment (e.g. a photo after rectification)",
            field="attachment_ids",
        )
    if len(ids) > ATTACHMENTS_MAX:
        raise InvalidInput(
            f"attachment_ids has {len(ids)} items; at most {ATTACHMENTS_MAX}",
            field="attachment_ids",
        )
    if len(set(ids)) != len(ids):
        raise InvalidInput("attachment_ids lists an attachment twice", field="attachment_ids")


class DutyHolder(StrEnum):
    """Who owes an obligation."""

    ENTERPRISE = "enterprise"  # 生产经营单位
    SUPERVISING_DEPARTMENT = "supervising_department"  # 负有安全生产监督管理职责的部门


class ObligationKind(StrEnum):
    """What must happen once a hazard is confirmed; the service turns each into an event."""

    NOTIFY_EMPLOYEES = "notify_employees"
    REPORT_TO_SUPERVISING_DEPARTMENT = "report_to_supervising_department"
    REPORT_TO_WORKERS_CONGRESS = "report_to_workers_congress"
    ENTER_SUPERVISION = "enter_supervision"


class ReportingObligation(BaseModel):
    """One duty triggered by confirming a hazard, with its legal basis quoted verbatim."""

    model_config = ConfigDict(frozen=True)

    kind: ObligationKind
    duty_holder: DutyHolder
    recipient: str
    timing: str | None
    """The law's own word for when (``及时``), or None where it sets no time."""
    basis: str
    quote: str
    contents: tuple[str, ...] = ()
    contents_basis: str | None = None


# 《安全生产法》(2021-06-10) 第四十一条, quoted from /work/shared/domain/laws (LawRefBook mirror).
_Q_RECORD = (
    "事故隐患排查治理情况应当如实记录，并通过职工大会或者职工代表大会、信息公示栏等方式"
    "向从业人员通报。"
)
_Q_MAJOR_REPORT = (
    "其中，重大事故隐患排查治理情况应当及时向负有安全生产监督管理职责的部门和职工大会"
    "或者职工代表大会报告。"
)
_Q_SUPERVISION = (
    "县级以上地方各级人民政府负有安全生产监督管理职责的部门应当将重大事故隐患纳入相关信息系统，"
    "建立健全重大事故隐患治理督办制度，督促生产经营单位消除重大事故隐患。"
)

_NOTIFY_EMPLOYEES = ReportingObligation(
    kind=ObligationKind.NOTIFY_EMPLOYEES,
    duty_holder=DutyHolder.ENTERPRISE,
    recipient="从业人员（职工大会或者职工代表大会、信息公示栏等方式）",
    timing=None,
    basis=f"{_LAW_41}第二款",
    quote=_Q_RECORD,
)
_MAJOR_OBLIGATIONS: Final = (
    _NOTIFY_EMPLOYEES,
    ReportingObligation(
        kind=ObligationKind.REPORT_TO_SUPERVISING_DEPARTMENT,
        duty_holder=DutyHolder.ENTERPRISE,
        recipient="负有安全生产监督管理职责的部门",
        timing="及时",
        basis=f"{_LAW_41}第二款",
        quote=_Q_MAJOR_REPORT,
        # cn-rules §3.6 [S1]: the written report's contents under 16号令; article not verified.
        contents=("现状及原因", "危害程度和整改难易程度分析", "治理方案"),
        contents_basis="安监总局令第16号（cn-rules §3.6 [S1]）",
    ),
    ReportingObligation(
        kind=ObligationKind.REPORT_TO_WORKERS_CONGRESS,
        duty_holder=DutyHolder.ENTERPRISE,
        recipient="职工大会或者职工代表大会",
        timing="及时",
        basis=f"{_LAW_41}第二款",
        quote=_Q_MAJOR_REPORT,
    ),
    ReportingObligation(
        kind=ObligationKind.ENTER_SUPERVISION,
        duty_holder=DutyHolder.SUPERVISING_DEPARTMENT,
        recipient="相关信息系统；重大事故隐患治理督办",
        timing=None,
        basis=f"{_LAW_41}第三款",
        quote=_Q_SUPERVISION,
    ),
)


def reporting_obligations(grade: HazardGrade) -> tuple[ReportingObligation, ...]:
    """Return the duties that confirming a hazard of ``grade`` triggers (安全生产法 Art. 41).

    Every hazard's 排查治理情况 must be recorded and made known to the employees (第二款); a
    major one must also be reported to the supervising department and the workers' congress
    (第二款), and the department must enter it into its system and supervise it (第三款).
    """
    if grade is HazardGrade.MAJOR:
        return _MAJOR_OBLIGATIONS
    return (_NOTIFY_EMPLOYEES,)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value)


def _check_text_lengths(model: BaseModel) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, str) and len(value) > TEXT_MAX:
            raise InvalidInput(f"{name} is longer than {TEXT_MAX} characters", field=name)


def _check_reason(reason: str, *, field: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput(f"{field} is required", field=field)
    if len(text) > REASON_MAX:
        raise InvalidInput(f"{field} is longer than {REASON_MAX} characters", field=field)
    return text
