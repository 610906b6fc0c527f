"""Pages of hazard records: the board, a hazard's page with its actions, the supervised list.

Enterprise users see their own enterprise's hazards ("my hazards") through the same board: the
service filters by the actor's scope. Every action form posts to ``/hazards/{id}/act`` with an
``action`` field and goes through the same services as the API.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.audit import search_entries
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError, InvalidInput, NotFound
from yingji.core.http import UoW
from yingji.hazards import service
from yingji.hazards.rules import (
    PLAN_ITEMS,
    GeneralRectification,
    RectificationEvidence,
    RectificationPlan,
)
from yingji.hazards.schemas import HazardFilter
from yingji.hazards.states import HazardAction, HazardGrade, HazardSource, HazardStatus
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrgKind
from yingji.web._nav import N_
from yingji.web._page_kit import (
    EXPIRED,
    PER_PAGE,
    FormProblem,
    PostedForm,
    clean_region_code,
    clean_search,
    csrf_ok,
    error_page,
    form_text,
    local_time,
    page_number,
    pager,
    problem_of,
    refuse,
    region_names,
    region_options,
)
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)

STATUS_LABELS: Final[dict[str, str]] = {
    HazardStatus.REPORTED: N_("Reported"),
    HazardStatus.CONFIRMED: N_("Confirmed"),
    HazardStatus.REJECTED: N_("Rejected"),
    HazardStatus.RECTIFYING: N_("Under rectification"),
    HazardStatus.RECTIFIED: N_("Rectified, awaiting verification"),
    HazardStatus.VERIFIED: N_("Verified, awaiting closing"),
    HazardStatus.CLOSED: N_("Closed"),
}
GRADE_LABELS: Final[dict[str, str]] = {
    HazardGrade.GENERAL: N_("General hazard"),
    HazardGrade.MAJOR: N_("Major hazard"),
}
SOURCE_LABELS: Final[dict[str, str]] = {
    HazardSource.SELF_INSPECTION: N_("Self-inspection"),
    HazardSource.SUPERVISORY_INSPECTION: N_("Supervisory inspection"),
    HazardSource.PUBLIC_REPORT: N_("Public report"),
    HazardSource.MONITORING_ALARM: N_("Monitoring alarm"),
    HazardSource.ACCIDENT_LESSON: N_("Accident lesson"),
}
PLAN_LABELS: Final[dict[str, str]] = {
    "goal_and_tasks": N_("Goal and tasks"),
    "methods_and_measures": N_("Methods and measures"),
    "funds_and_materials": N_("Funds and materials"),
    "responsible_organisation": N_("Responsible organisation"),
    "responsible_person_id": N_("Responsible person"),
    "deadline": N_("Deadline"),
    "requirements": N_("Requirements"),
    "safety_measures_and_contingency_plan": N_("Safety measures and contingency plan"),
}
AUDIT_LABELS: Final[dict[str, str]] = {
    "hazard.reported": N_("Reported"),
    "hazard.confirmed": N_("Confirmed"),
    "hazard.rejected": N_("Rejected"),
    "hazard.plan_saved": N_("Plan saved"),
    "hazard.rectification_started": N_("Rectification started"),
    "hazard.rectified": N_("Rectification submitted"),
    "hazard.verified": N_("Verification passed"),
    "hazard.verification_failed": N_("Verification failed"),
    "hazard.closed": N_("Closed"),
    "hazard.escalated": N_("Escalated as overdue"),
    "hazard.supervision_listed": N_("Put under supervised listing"),
    "hazard.supervision_lifted": N_("Supervised listing lifted"),
}
_FORM_FIELDS: Final = (
    "grade", "note", "reason", "attachment_ids", "supervising_org_id", "deadline", "plan",
    "responsible_person_id", "measures", *PLAN_ITEMS,
)  # fmt: skip
_TIMELINE_MAX: Final = 100
_NO_SUCH_HAZARD = NotFound("no such hazard", field="hazard_id")


def _filters(
    params: dict[str, str], *, supervised: bool | None
) -> tuple[HazardFilter, dict[str, str]]:
    """Return the board's filters from a query string (nonsense values are ignored)."""
    kept: dict[str, str] = {}
    values: dict[str, Any] = {}
    status = params.get("status", "")
    if status in STATUS_LABELS:
        values["status"], kept["status"] = [status], status
    for name, labels in (("grade", GRADE_LABELS), ("source", SOURCE_LABELS)):
        if params.get(name, "") in labels:
            values[name] = kept[name] = params[name]
    region = clean_region_code(params.get("region"))
    if region:
        values["region_code"] = kept["region"] = region
    for flag in ("overdue",):
        if params.get(flag) in ("1", "0"):
            values[flag], kept[flag] = params[flag] == "1", params[flag]
    q = clean_search(params.get("q"))
    if q:
        values["q"] = kept["q"] = q
    for name in ("reported_from", "reported_to"):
        try:
            values[name] = date.fromisoformat(params.get(name, ""))
            kept[name] = params[name]
        except ValueError:
            pass
    if supervised is not None:
        values["supervised"] = supervised
    try:
        return HazardFilter.model_validate(values), kept
    except ValidationError:
        return HazardFilter(supervised=supervised), {}


def _rows(session: Session, web_user: WebUser, hazards: list[Any]) -> list[dict[str, Any]]:
    names = region_names(session, web_user.actor, [h.region_code for h in hazards])
    return [
        {
            "hazard": h,
            "status": STATUS_LABELS.get(h.status, h.status),
            "grade": GRADE_LABELS.get(h.grade or "", ""),
            "source": SOURCE_LABELS.get(h.source, h.source),
            "region": names[h.region_code],
            "reported_at": local_time(h.reported_at),
            "deadline": (h.supervision_deadline if h.supervised else None) or h.deadline,
        }
        for h in hazards
    ]


def _board(request: Request, uow: UoW, web_user: PageUser, *, supervised: bool | None) -> Response:
    params = dict(request.query_params)
    filters, kept = _filters(params, supervised=supervised)
    number = page_number(params.get("page"))
    try:
        hazards, total = service.list_hazards(
            uow.session, actor=web_user.actor, filters=filters, limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )  # fmt: skip
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    path = "/hazards/supervised" if supervised else "/hazards"
    actor = web_user.actor
    context = prevention_context(uow.session, web_user, "supervised" if supervised else "hazards")
    own = actor.scope_for(Permission.HAZARD_READ) is Scope.OWN_ORG
    context.update(
        rows=_rows(uow.session, web_user, hazards),
        path=path,
        supervised_page=bool(supervised),
        own=own,
        values=kept,
        statuses=STATUS_LABELS,
        grades=GRADE_LABELS,
        sources=SOURCE_LABELS,
        regions=[] if own else region_options(uow.session, actor),
        can_report=actor.scope_for(Permission.HAZARD_REPORT) is not None,
        pager=pager(path, kept, number, total),
    )
    return render(request, "hazards/board.html", context)


@router.get("/hazards")
def hazard_board(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """The hazard board (bureau) or "my hazards" (enterprise), with filters and pages."""
    return _board(request, uow, web_user, supervised=None)


@router.get("/hazards/supervised")
def supervised_list(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """The hazards under 挂牌督办."""
    return _board(request, uow, web_user, supervised=True)


def _timeline(session: Session, hazard_id: uuid.UUID) -> list[dict[str, str]]:
    """Return the audit entries of one hazard, oldest first (the caller checked it may read it)."""
    entries, _ = search_entries(
        session, actor=system_actor(source="web"), entity_type="hazard",
        entity_id=str(hazard_id), limit=_TIMELINE_MAX,
    )  # fmt: skip
    return [
        {
            "at": local_time(e.at),
            "what": AUDIT_LABELS.get(e.action, e.action),
            "who": e.actor,
            "note": str((e.after or {}).get("note") or ""),
        }
        for e in reversed(entries)
    ]


def _org_name(session: Session, organisation_id: uuid.UUID | None) -> str:
    if organisation_id is None:
        return ""
    try:
        return orgs_service.organisation_facts(session, organisation_id).name
    except DomainError:
        return ""


def _departments(session: Session, hazard: Any) -> list[str]:
    """Return the names of the departments a major hazard was reported to."""
    if hazard.reported_to_department_at is None:
        return []
    ids = service.supervising_recipients(session, hazard.enterprise_id)
    return [_org_name(session, i) for i in ids]


def _plan_items(session: Session, plan: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the saved plan's items as (label, text), the person by name."""
    items: list[tuple[str, str]] = []
    for key, label in PLAN_LABELS.items():
        if key not in plan:
            continue
        value = plan[key]
        if key == "responsible_person_id" and value:
            with contextlib.suppress(DomainError):
                value = orgs_service.get_person(
                    session, actor=system_actor(source="web"), person_id=uuid.UUID(value)
                ).name
        items.append((label, str(value or "")))
    return items


def _supervisors(session: Session, web_user: WebUser) -> list[dict[str, str]]:
    """Return the bureaus and departments the user may pick as a supervising unit."""
    options: list[dict[str, str]] = []
    for kind in (OrgKind.BUREAU, OrgKind.DEPARTMENT):
        try:
            rows, _ = orgs_service.list_organisations(
                session, actor=web_user.actor, kind=kind, limit=200
            )
        except DomainError:
            continue
        options.extend({"id": str(o.id), "name": o.name} for o in rows)
    return options


def _detail(
    request: Request,
    session: Session,
    web_user: WebUser,
    hazard_id: uuid.UUID,
    *,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    actor = web_user.actor
    try:
        hazard = service.get_hazard(session, actor=actor, hazard_id=hazard_id)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    allowed = service.allowed_for(session, actor, hazard)
    can_supervise = actor.scope_for(Permission.HAZARD_SUPERVISE) is not None
    can_plan = (
        hazard.status == HazardStatus.CONFIRMED and HazardAction.START_RECTIFICATION in allowed
    )
    plan = service.plan_of(hazard)
    plan_values = plan.model_dump(mode="json") if plan is not None else {}
    context = prevention_context(
        session, web_user, "supervised" if hazard.supervised else "hazards"
    )
    context.update(
        h=hazard,
        status=STATUS_LABELS.get(hazard.status, hazard.status),
        grade=GRADE_LABELS.get(hazard.grade or "", ""),
        source=SOURCE_LABELS.get(hazard.source, hazard.source),
        enterprise=_org_name(session, hazard.enterprise_id),
        region=region_names(session, actor, [hazard.region_code])[hazard.region_code],
        reported_at=local_time(hazard.reported_at),
        reported_to=local_time(hazard.reported_to_department_at),
        departments=_departments(session, hazard),
        supervisor=_org_name(session, hazard.supervising_org_id),
        plan_items=_plan_items(session, plan_values),
        plan_labels=PLAN_LABELS,
        major=hazard.grade == HazardGrade.MAJOR,
        allowed=[a.value for a in allowed],
        can_plan=can_plan,
        can_list=can_supervise and not hazard.supervised and hazard.grade == HazardGrade.MAJOR
        and hazard.status in ("confirmed", "rectifying", "rectified"),
        can_lift=can_supervise and hazard.supervised and hazard.status == HazardStatus.VERIFIED,
        supervisors=_supervisors(session, web_user) if can_supervise else [],
        grades=GRADE_LABELS,
        values={**{k: str(v) for k, v in plan_values.items() if v is not None}, **(values or {})},
        problem=problem,
        timeline=_timeline(session, hazard.id),
        done=request.query_params.get("done") == "1" and problem is None,
    )  # fmt: skip
    status = problem.status if problem else 200
    return render(request, "hazards/detail.html", context, status_code=status)


@router.get("/hazards/{hazard_id:uuid}")
def hazard_detail(request: Request, uow: UoW, web_user: PageUser, hazard_id: uuid.UUID) -> Response:
    """Show a hazard, its plan, evidence and timeline, and the forms of the allowed actions."""
    return _detail(request, uow.session, web_user, hazard_id)


def _uuid(form: FormData, name: str) -> uuid.UUID | None:
    raw = form_text(form, name)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInput(f"{name} is not a valid id", field=name) from None


def _date(form: FormData, name: str) -> date | None:
    raw = form_text(form, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} is not a date (YYYY-MM-DD)", field=name) from None


def _plan_from(form: FormData, major: bool) -> RectificationPlan | GeneralRectification:
    if major:
        texts = {
            k: form_text(form, k) or "" for k in PLAN_ITEMS
            if k not in ("responsible_person_id", "deadline")
        }  # fmt: skip
        return RectificationPlan(
            **texts, responsible_person_id=_uuid(form, "responsible_person_id"),
            deadline=_date(form, "deadline"),
        )  # fmt: skip
    return GeneralRectification(
        responsible_person_id=_uuid(form, "responsible_person_id"),
        deadline=_date(form, "deadline"),
        measures=form_text(form, "measures") or "",
    )


def _attachment_ids(form: FormData) -> tuple[uuid.UUID, ...]:
    raw = (form_text(form, "attachment_ids") or "").replace(",", " ").split()
    try:
        return tuple(uuid.UUID(x) for x in raw[:100])
    except ValueError:
        raise InvalidInput("attachment_ids holds an invalid id", field="attachment_ids") from None


def _act(session: Session, web_user: WebUser, hazard_id: uuid.UUID, form: FormData) -> None:
    actor, action = web_user.actor, form_text(form, "action") or ""
    kw: dict[str, Any] = {"actor": actor, "hazard_id": hazard_id}
    note = form_text(form, "note") or ""
    if action == "confirm":
        grade = form_text(form, "grade") or ""
        if grade not in GRADE_LABELS:
            raise InvalidInput("choose a grade", field="grade")
        service.confirm_hazard(session, **kw, grade=HazardGrade(grade), note=note)
    elif action == "reject":
        service.reject_hazard(session, **kw, reason=form_text(form, "reason") or "")
    elif action in ("plan", "start_rectification"):
        current = service.get_hazard(session, actor=actor, hazard_id=hazard_id)
        plan = _plan_from(form, current.grade == HazardGrade.MAJOR)
        if action == "plan":
            service.save_plan(session, **kw, plan=plan)
        else:
            service.start_rectification(session, **kw, plan=plan)
    elif action == "submit_rectification":
        evidence = RectificationEvidence(note=note, attachment_ids=_attachment_ids(form))
        service.submit_rectification(session, **kw, evidence=evidence)
    elif action in ("verify_pass", "verify_fail"):
        service.verify_hazard(
            session, **kw, passed=action == "verify_pass", note=note,
            reason=form_text(form, "reason") or "",
        )  # fmt: skip
    elif action == "close":
        service.close_hazard(session, **kw)
    elif action == "supervise":
        org = _uuid(form, "supervising_org_id")
        deadline = _date(form, "deadline")
        if org is None:
            raise InvalidInput("choose the supervising unit", field="supervising_org_id")
        if deadline is None:
            raise InvalidInput("give the supervision deadline", field="deadline")
        service.list_supervision(
            session, **kw, supervising_org_id=org, deadline=deadline, note=note
        )
    elif action == "lift":
        service.lift_supervision(session, **kw, note=note)
    else:
        raise InvalidInput(f"unknown action {action[:40]!r}", field="action")


@router.post("/hazards/{hazard_id:uuid}/act")
def hazard_act(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, hazard_id: uuid.UUID
) -> Response:
    """Carry out one action of the hazard page, then show the page again."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    try:
        _act(uow.session, web_user, hazard_id, form)
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        values = {k: v for k in _FORM_FIELDS if isinstance(v := form.get(k), str)}
        return _detail(
            request, uow.session, web_user, hazard_id, values=values,
            problem=problem_of(exc, _FORM_FIELDS),
        )  # fmt: skip
    uow.commit()
    return RedirectResponse(f"/hazards/{hazard_id}?done=1", status_code=303)
