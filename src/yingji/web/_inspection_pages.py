"""Pages of inspections: plans, my tasks, and carrying out a task on a phone."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yingji.core.auth import service as auth_service
from yingji.core.auth.roles import Permission, Role, Scope
from yingji.core.errors import DomainError, NotFound
from yingji.core.http import UoW
from yingji.hazards import _checklist_store as checklist_store
from yingji.hazards import _inspections as inspections
from yingji.hazards.inspection_schemas import InspectionKind, PlanCreate
from yingji.hazards.inspection_states import TaskStatus
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrgKind
from yingji.web._nav import N_
from yingji.web._page_kit import (
    EXPIRED,
    FormProblem,
    PostedForm,
    csrf_ok,
    form_text,
    problem_of,
    refuse,
)
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)
MAX_OPTIONS: Final = 200
STATUS_LABELS: Final = {
    TaskStatus.PENDING.value: N_("Pending"),
    TaskStatus.IN_PROGRESS.value: N_("In progress"),
    TaskStatus.COMPLETED.value: N_("Completed"),
    TaskStatus.CANCELLED.value: N_("Cancelled"),
}
KIND_LABELS: Final = {
    InspectionKind.SELF.value: N_("Self-inspection"),
    InspectionKind.SUPERVISORY.value: N_("Supervisory inspection"),
}
_PLAN_FIELDS: Final = (
    "kind", "name", "checklist_id", "every_days", "starts_on", "enterprise_ids",
    "assignee_user_ids", "unannounced", "applicability",
)  # fmt: skip


def _parse_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _task_rows(session: Session, tasks: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for task in tasks:
        brief = inspections.task_brief(session, task)
        rows.append(
            {
                "task": brief,
                "status": STATUS_LABELS.get(brief.status.value, brief.status.value),
                "kind": KIND_LABELS.get(brief.kind.value, brief.kind.value),
            }
        )
    return rows


def _form_options(session: Session, web_user: WebUser) -> dict[str, Any]:
    actor = web_user.actor
    options: dict[str, Any] = {"can_plan": False, "plan_kind": ""}
    scope = actor.scope_for(Permission.INSPECTION_PLAN)
    if scope is None or actor.organisation_id is None:
        return options
    owner = orgs_service.organisation_facts(session, actor.organisation_id)
    options["checklists"] = [
        {"id": c.id, "title": c.title, "count": c.item_count}
        for c in checklist_store.list_checklists(session, actor=actor)
    ]
    if owner.kind == OrgKind.ENTERPRISE:
        options.update(can_plan=True, plan_kind=InspectionKind.SELF.value)
        return options
    if scope is not Scope.REGION:
        return options
    enterprises, _ = orgs_service.list_organisations(
        session, actor=actor, kind=OrgKind.ENTERPRISE, active=True, limit=MAX_OPTIONS, offset=0
    )
    inspectors = []
    if actor.scope_for(Permission.USER_READ) is not None:
        for role in (Role.INSPECTOR, Role.SPECIALIST):
            users, _ = auth_service.list_users(
                session, actor=actor, role=role, active=True, limit=MAX_OPTIONS
            )
            inspectors += [u for u in users if u.organisation_id == actor.organisation_id]
    options.update(
        can_plan=True,
        plan_kind=InspectionKind.SUPERVISORY.value,
        enterprises=[{"id": str(e.id), "name": e.name} for e in enterprises],
        inspectors=[{"id": str(u.id), "name": u.display_name or u.username} for u in inspectors],
    )
    return options


def _overview(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    problem: FormProblem | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    actor = web_user.actor
    try:
        mine, _ = inspections.list_tasks(session, actor=actor, mine=True, open_only=True, limit=50)
        visible, total = inspections.list_tasks(session, actor=actor, limit=50)
        plans, _ = inspections.list_plans(session, actor=actor, limit=50)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    context = prevention_context(session, web_user, "inspections")
    context.update(
        my_tasks=_task_rows(session, mine),
        tasks=_task_rows(session, visible),
        total=total,
        plans=plans,
        kind_labels=KIND_LABELS,
        problem=problem,
        values=values or {"starts_on": date.today().isoformat(), "every_days": "7"},
        **_form_options(session, web_user),
    )
    status = problem.status if problem else 200
    return render(request, "inspections/index.html", context, status_code=status)


@router.get("/inspections")
def inspection_overview(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """My open tasks, the tasks and plans the user may see, and the form of a new plan."""
    return _overview(request, uow.session, web_user)


def _plan_from(form: Any, kind: str) -> PlanCreate:
    every = form_text(form, "every_days") or ""
    tags = [t.strip() for t in (form_text(form, "applicability") or "").split(",") if t.strip()]
    return PlanCreate.model_validate(
        {
            "kind": kind,
            "name": form_text(form, "name") or "",
            "checklist_id": form_text(form, "checklist_id") or "",
            "every_days": int(every) if every.isdigit() else None,
            "starts_on": form_text(form, "starts_on") or "",
            "enterprise_ids": [v for v in form.getlist("enterprise_ids") if isinstance(v, str)],
            "assignee_user_ids": [
                v for v in form.getlist("assignee_user_ids") if isinstance(v, str)
            ],
            "unannounced": form_text(form, "unannounced") == "on",
            "applicability": tags,
        }
    )


@router.post("/inspections/plans")
def create_plan(request: Request, uow: UoW, web_user: PageUser, form: PostedForm) -> Response:
    """Create a plan from the form and go back to the overview."""
    session = uow.session
    values = {name: form_text(form, name) or "" for name in _PLAN_FIELDS}
    if not csrf_ok(web_user, form):
        problem = FormProblem(403, EXPIRED)
        return _overview(request, session, web_user, problem=problem, values=values)
    kind = _form_options(session, web_user).get("plan_kind") or InspectionKind.SELF.value
    try:
        data = _plan_from(form, kind)
        inspections.create_plan(session, actor=web_user.actor, data=data)
    except (DomainError, ValidationError) as exc:
        problem = problem_of(exc, _PLAN_FIELDS)
        return _overview(request, session, web_user, problem=problem, values=values)
    uow.commit()
    return RedirectResponse("/inspections?created=1", status_code=303)


@router.get("/inspections/tasks/{task_id}")
def task_page(request: Request, uow: UoW, web_user: PageUser, task_id: str) -> Response:
    """Carry out a task on a phone: one card per item, answers saved as they are given."""
    session = uow.session
    parsed = _parse_id(task_id)
    try:
        if parsed is None:
            raise NotFound("no such task", field="task_id")
        task = inspections.get_task(session, actor=web_user.actor, task_id=parsed)
        detail = inspections.task_read(session, task, detail=True)
        try:
            inspections.require_executor(session, web_user.actor, task)
            can_execute = detail.status in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)
        except DomainError:
            can_execute = False
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    context = prevention_context(session, web_user, "inspections")
    context.update(
        task=detail,
        status_label=STATUS_LABELS.get(detail.status.value, detail.status.value),
        kind_label=KIND_LABELS.get(detail.kind.value, detail.kind.value),
        can_execute=can_execute,
    )
    return render(request, "inspections/task.html", context)
