"""Inspection plans, their tasks and the findings of carrying a task out.

An enterprise plans its own self-inspection; a bureau plans supervisory inspections of
enterprises in its region and supervised industries, assigned to its inspectors. An unannounced
(四不两直) task stays hidden from the enterprise until it is completed. Completing a task turns
every failed item into a hazard prefilled from the item.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth import service as auth
from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Role, Scope
from yingji.core.db import fetch_page, utcnow
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.core.files import link
from yingji.hazards import _access, _checklist_store, _records
from yingji.hazards import inspection_events as events
from yingji.hazards.inspection_schemas import (
    FindingRead,
    FindingResult,
    FindingWrite,
    InspectionKind,
    PlanCreate,
    TaskDetail,
    TaskItem,
    TaskRead,
    TaskSummary,
)
from yingji.hazards.inspection_states import TaskAction, TaskStatus, allowed_actions, ensure_allowed
from yingji.hazards.models import InspectionFinding, InspectionPlan, InspectionTask
from yingji.hazards.schemas import HazardCreate
from yingji.hazards.states import HazardSource
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.risks.checklists import Checklist, ChecklistItem

PLAN = "inspection_plan"
TASK = "inspection_task"
FINDING = "inspection_finding"
TITLE_CHARS: Final = 60  # a hazard's title: the start of the failed item's text
_PLAN_FIELDS = (
    "kind", "name", "owner_org_id", "region_code", "checklist_id", "applicability",
    "enterprise_ids", "assignee_user_ids", "unannounced", "every_days", "starts_on", "ends_on",
    "next_due_on", "task_days", "active",
)  # fmt: skip
_TASK_FIELDS = (
    "plan_id", "kind", "enterprise_id", "region_code", "checklist_id", "assignee_user_id",
    "unannounced", "due_on", "status", "started_at", "completed_at", "completed_by", "summary",
)  # fmt: skip
# Roles whose users carry out a bureau's supervisory inspections.
_INSPECTOR_ROLES: Final = frozenset({Role.INSPECTOR, Role.SPECIALIST})


# --- plans -----------------------------------------------------------------------------------


def _tasks_items(checklist: Checklist, applicability: Sequence[str]) -> tuple[ChecklistItem, ...]:
    tags = set(applicability) if applicability else None
    return checklist.items_for(applicability=tags)


def create_plan(session: Session, *, actor: Actor, data: PlanCreate) -> InspectionPlan:
    """Create a self-inspection plan (enterprise) or a supervisory plan (bureau)."""
    scope = actor.require(Permission.INSPECTION_PLAN)
    if actor.organisation_id is None:
        raise Forbidden("only a user of an organisation plans inspections")
    owner = orgs.organisation_facts(session, actor.organisation_id)
    checklist = _checklist_store.usable(session, actor=actor, checklist_id=data.checklist_id)
    if not _tasks_items(checklist, data.applicability):
        raise InvalidInput("no item of the checklist applies to these tags", field="applicability")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise InvalidInput("ends_on is before starts_on", field="ends_on")
    if data.kind is InspectionKind.SELF:
        enterprise_ids, assignees = _self_plan(session, actor, owner, data)
    else:
        if scope is not Scope.REGION or owner.kind == OrgKind.ENTERPRISE:
            raise Forbidden("only a bureau plans supervisory inspections")
        enterprise_ids, assignees = _supervisory_plan(session, actor, data)
    plan = InspectionPlan(
        kind=data.kind.value,
        name=data.name,
        owner_org_id=owner.id,
        region_code=owner.region_code,
        region_path=owner.region_path,
        checklist_id=checklist.id,
        applicability=list(dict.fromkeys(data.applicability)),
        enterprise_ids=[str(e) for e in enterprise_ids],
        assignee_user_ids=[str(u) for u in assignees],
        unannounced=data.unannounced,
        every_days=data.every_days,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        next_due_on=data.starts_on,
        task_days=data.task_days,
        active=True,
        created_by=actor.user_id,
    )
    session.add(plan)
    session.flush()
    _plan_changed(session, actor, plan, "inspection_plan.created", before=None)
    return plan


def _self_plan(
    session: Session, actor: Actor, owner: orgs.OrgFacts, data: PlanCreate
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    if owner.kind != OrgKind.ENTERPRISE:
        raise InvalidInput("a self-inspection plan is made by an enterprise", field="kind")
    if data.unannounced:
        raise InvalidInput("a self-inspection cannot be unannounced", field="unannounced")
    if data.enterprise_ids and set(data.enterprise_ids) != {owner.id}:
        raise Forbidden("an enterprise plans self-inspections of itself only")
    assignees = list(dict.fromkeys(data.assignee_user_ids))
    for user_id in assignees:
        user = _user(session, user_id)
        if user.organisation_id != owner.id:
            raise InvalidInput(
                f"user {user_id} is not of this enterprise", field="assignee_user_ids"
            )
    return [owner.id], assignees


def _supervisory_plan(
    session: Session, actor: Actor, data: PlanCreate
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    enterprise_ids = list(dict.fromkeys(data.enterprise_ids))
    if not enterprise_ids:
        raise InvalidInput("name the enterprises to inspect", field="enterprise_ids")
    facts = []
    for enterprise_id in enterprise_ids:
        ent = orgs.organisation_facts(session, enterprise_id, field="enterprise_ids")
        if ent.kind != OrgKind.ENTERPRISE or not ent.active:
            raise InvalidInput(
                f"{enterprise_id} is not an active enterprise", field="enterprise_ids"
            )
        _access.require(
            session,
            actor,
            Permission.INSPECTION_PLAN,
            region_path=ent.region_path,
            organisation_id=ent.id,
            industry_code=ent.industry_code,
            what="enterprise",
        )
        facts.append(ent)
    assignees = list(dict.fromkeys(data.assignee_user_ids))
    if not assignees:
        raise InvalidInput("assign at least one inspector", field="assignee_user_ids")
    for user_id in assignees:
        user = _user(session, user_id)
        if (
            not user.active
            or user.organisation_id != actor.organisation_id
            or Role(user.role) not in _INSPECTOR_ROLES
        ):
            raise InvalidInput(
                f"user {user_id} is not an active inspector of your bureau",
                field="assignee_user_ids",
            )
    return enterprise_ids, assignees


def _user(session: Session, user_id: uuid.UUID) -> Any:
    try:
        return auth.get_user(session, user_id=user_id)
    except NotFound:
        raise InvalidInput(f"unknown user {user_id}", field="assignee_user_ids") from None


def _plan_visible(actor: Actor) -> Any:
    scope = actor.require(Permission.INSPECTION_READ)
    if scope is Scope.OWN_ORG:
        if actor.organisation_id is None:
            return InspectionPlan.id.is_(None)
        return and_(
            InspectionPlan.owner_org_id == actor.organisation_id,
            InspectionPlan.kind == InspectionKind.SELF.value,
        )
    low, high = subtree_range(actor.region_path)
    return and_(InspectionPlan.region_path >= low, InspectionPlan.region_path < high)


def list_plans(
    session: Session, *, actor: Actor, active: bool | None = True, limit: int = 50, offset: int = 0
) -> tuple[list[InspectionPlan], int]:
    """Return the plans the actor may see (an enterprise sees its own self-inspection plans)."""
    stmt = select(InspectionPlan).where(_plan_visible(actor))
    if active is not None:
        stmt = stmt.where(InspectionPlan.active.is_(active))
    return fetch_page(
        session,
        stmt,
        order_by=[InspectionPlan.created_at.desc(), InspectionPlan.id],
        limit=limit,
        offset=offset,
    )


def get_plan(session: Session, *, actor: Actor, plan_id: uuid.UUID) -> InspectionPlan:
    """Return one plan the actor may see."""
    plan = session.scalar(
        select(InspectionPlan).where(InspectionPlan.id == plan_id, _plan_visible(actor))
    )
    if plan is None:
        raise NotFound(f"inspection plan {plan_id} does not exist", field="plan_id")
    return plan


def deactivate_plan(session: Session, *, actor: Actor, plan_id: uuid.UUID) -> InspectionPlan:
    """Stop a plan producing tasks (tasks already made stay)."""
    plan = get_plan(session, actor=actor, plan_id=plan_id)
    actor.require(Permission.INSPECTION_PLAN)
    actor.require_org(plan.owner_org_id, what="inspection plan")
    before = snapshot(plan, _PLAN_FIELDS)
    plan.active = False
    plan.next_due_on = None
    session.flush()
    _plan_changed(session, actor, plan, "inspection_plan.deactivated", before=before)
    return plan


def _plan_changed(
    session: Session, actor: Actor, plan: InspectionPlan, action: str, *, before: Any
) -> None:
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type=PLAN,
        entity_id=plan.id,
        region_path=plan.region_path,
        before=before,
        after=snapshot(plan, _PLAN_FIELDS),
    )
    record_event(
        session,
        events.InspectionPlanSaved(plan_id=plan.id, kind=plan.kind, active=plan.active),
        actor=actor,
    )


# --- the scheduler ---------------------------------------------------------------------------


def create_due_tasks(session: Session, *, actor: Actor, today: date) -> int:
    """Create the tasks of every active plan due on or before ``today``; return how many.

    Idempotent: each plan's ``next_due_on`` moves past ``today`` (or to None for a one-off plan)
    in the same transaction, and a plan already holding a task for a due date gets no other.
    Periods missed while the job did not run produce one task, not a backlog.
    """
    stmt = (
        select(InspectionPlan)
        .where(
            InspectionPlan.active.is_(True),
            InspectionPlan.next_due_on.is_not(None),
            InspectionPlan.next_due_on <= today,
        )
        .order_by(InspectionPlan.id)
        .with_for_update(skip_locked=True)
    )
    created = 0
    for plan in session.scalars(stmt).all():
        created += run_plan(session, actor=actor, plan=plan, today=today)
    session.flush()
    return created


def run_plan(session: Session, *, actor: Actor, plan: InspectionPlan, today: date) -> int:
    """Create the tasks of one plan if it is due by ``today`` and advance it; return how many."""
    due = plan.next_due_on
    if not plan.active or due is None or due > today:
        return 0
    before = snapshot(plan, ("next_due_on",))
    created = 0
    if plan.ends_on is None or due <= plan.ends_on:
        created = _make_tasks(session, actor, plan, due)
    if plan.every_days is None or (plan.ends_on is not None and due > plan.ends_on):
        plan.next_due_on = None
    else:
        step = timedelta(days=plan.every_days)
        nxt = due + step
        while nxt <= today:
            nxt += step
        plan.next_due_on = nxt if plan.ends_on is None or nxt <= plan.ends_on else None
    session.flush()
    record_change(
        session,
        actor=actor,
        action="inspection_plan.advanced",
        entity_type=PLAN,
        entity_id=plan.id,
        region_path=plan.region_path,
        before=before,
        after=snapshot(plan, ("next_due_on",)),
    )
    return created


def _make_tasks(session: Session, actor: Actor, plan: InspectionPlan, due: date) -> int:
    exists = session.scalar(
        select(InspectionTask.id).where(
            InspectionTask.plan_id == plan.id,
            InspectionTask.due_on == due + timedelta(days=plan.task_days),
        )
    )
    if exists is not None:
        return 0
    assignees = [uuid.UUID(u) for u in plan.assignee_user_ids]
    made = 0
    for index, raw in enumerate(plan.enterprise_ids):
        ent = orgs.organisation_facts(session, uuid.UUID(raw))
        if not ent.active:
            continue
        task = InspectionTask(
            plan_id=plan.id,
            kind=plan.kind,
            enterprise_id=ent.id,
            region_code=ent.region_code,
            region_path=ent.region_path,
            industry_code=ent.industry_code,
            checklist_id=plan.checklist_id,
            applicability=list(plan.applicability),
            assignee_user_id=assignees[index % len(assignees)] if assignees else None,
            unannounced=plan.unannounced,
            due_on=due + timedelta(days=plan.task_days),
            status=TaskStatus.PENDING.value,
            created_by=actor.user_id,
        )
        session.add(task)
        session.flush()
        _task_changed(session, actor, task, "inspection_task.created", before=None)
        record_event(
            session,
            events.InspectionTaskCreated(
                task_id=task.id,
                plan_id=plan.id,
                enterprise_id=task.enterprise_id,
                region_code=task.region_code,
                assignee_user_id=task.assignee_user_id,
            ),
            actor=actor,
        )
        made += 1
    return made


# --- tasks -----------------------------------------------------------------------------------


def _task_visible(session: Session, actor: Actor) -> Any:
    condition = _access.visible(
        session,
        actor,
        Permission.INSPECTION_READ,
        region_path=InspectionTask.region_path,
        organisation=InspectionTask.enterprise_id,
        industry=InspectionTask.industry_code,
    )
    if actor.scope_for(Permission.INSPECTION_READ) is Scope.OWN_ORG:
        # 四不两直: the enterprise does not learn of an unannounced inspection before it is done.
        hidden = and_(
            InspectionTask.unannounced.is_(True),
            InspectionTask.status != TaskStatus.COMPLETED.value,
        )
        condition = and_(condition, ~hidden)
    if actor.user_id is not None:
        condition = or_(condition, InspectionTask.assignee_user_id == actor.user_id)
    return condition


def list_tasks(
    session: Session,
    *,
    actor: Actor,
    mine: bool = False,
    enterprise_id: uuid.UUID | None = None,
    status: TaskStatus | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InspectionTask], int]:
    """Return the tasks the actor may see: theirs, their region's or their enterprise's."""
    stmt = select(InspectionTask).where(_task_visible(session, actor))
    if mine:
        if actor.scope_for(Permission.INSPECTION_READ) is Scope.OWN_ORG:
            stmt = stmt.where(
                InspectionTask.kind == InspectionKind.SELF.value,
                or_(
                    InspectionTask.assignee_user_id.is_(None),
                    InspectionTask.assignee_user_id == actor.user_id,
                ),
            )
        else:
            stmt = stmt.where(InspectionTask.assignee_user_id == actor.user_id)
    if enterprise_id is not None:
        stmt = stmt.where(InspectionTask.enterprise_id == enterprise_id)
    if status is not None:
        stmt = stmt.where(InspectionTask.status == status.value)
    if open_only:
        stmt = stmt.where(
            InspectionTask.status.in_([TaskStatus.PENDING.value, TaskStatus.IN_PROGRESS.value])
        )
    return fetch_page(
        session,
        stmt,
        order_by=[InspectionTask.due_on, InspectionTask.id],
        limit=limit,
        offset=offset,
    )


def get_task(session: Session, *, actor: Actor, task_id: uuid.UUID) -> InspectionTask:
    """Return one task the actor may see (404 for a hidden unannounced one)."""
    task = session.scalar(
        select(InspectionTask).where(InspectionTask.id == task_id, _task_visible(session, actor))
    )
    if task is None:
        raise NotFound(f"inspection task {task_id} does not exist", field="task_id")
    return task


def _load_for_update(session: Session, task_id: uuid.UUID) -> InspectionTask:
    task = session.scalar(
        select(InspectionTask).where(InspectionTask.id == task_id).with_for_update()
    )
    if task is None:
        raise NotFound(f"inspection task {task_id} does not exist", field="task_id")
    return task


def require_executor(session: Session, actor: Actor, task: InspectionTask) -> None:
    """Raise unless the actor may carry out the task: its assignee, or for a self-inspection a
    user of the enterprise."""
    scope = actor.require(Permission.INSPECTION_EXECUTE)
    if task.kind == InspectionKind.SELF.value and scope is Scope.OWN_ORG:
        actor.require_org(task.enterprise_id, what="inspection task")
        if task.assignee_user_id is not None and task.assignee_user_id != actor.user_id:
            raise Forbidden("this self-inspection is assigned to another user")
        return
    if actor.user_id is None or task.assignee_user_id != actor.user_id:
        raise Forbidden("only the assigned inspector carries out this inspection")
    _access.require(
        session,
        actor,
        Permission.INSPECTION_EXECUTE,
        region_path=task.region_path,
        organisation_id=task.enterprise_id,
        industry_code=task.industry_code,
        what="inspection task",
    )


def _executable(session: Session, actor: Actor, task_id: uuid.UUID) -> InspectionTask:
    get_task(session, actor=actor, task_id=task_id)
    task = _load_for_update(session, task_id)
    require_executor(session, actor, task)
    return task


def task_items(session: Session, task: InspectionTask) -> tuple[ChecklistItem, ...]:
    """Return the items a task checks (its checklist filtered by its applicability tags)."""
    checklist = _checklist_store.resolve(session, task.checklist_id)
    return _tasks_items(checklist, task.applicability)


def _transition(
    session: Session, actor: Actor, task: InspectionTask, action: TaskAction, **extra: int
) -> None:
    before = snapshot(task, _TASK_FIELDS)
    target = ensure_allowed(TaskStatus(task.status), action)
    now = utcnow()
    task.status = target.value
    if action is TaskAction.START:
        task.started_at = now
    elif action is TaskAction.COMPLETE:
        task.completed_at = now
        task.completed_by = actor.user_id
    session.flush()
    _task_changed(session, actor, task, f"inspection_task.{target.value}", before=before)
    record_event(
        session,
        events.InspectionTaskStatusChanged(
            task_id=task.id,
            enterprise_id=task.enterprise_id,
            status=task.status,
            hazards_created=extra.get("hazards", 0),
            major_hazards=extra.get("major", 0),
        ),
        actor=actor,
    )


def start_task(session: Session, *, actor: Actor, task_id: uuid.UUID) -> InspectionTask:
    """Begin carrying out a pending task."""
    task = _executable(session, actor, task_id)
    _transition(session, actor, task, TaskAction.START)
    return task


def cancel_task(session: Session, *, actor: Actor, task_id: uuid.UUID) -> InspectionTask:
    """Cancel a task that is not finished (by a planner of its owner, never the inspected)."""
    task = get_task(session, actor=actor, task_id=task_id)
    task = _load_for_update(session, task_id)
    scope = actor.require(Permission.INSPECTION_PLAN)
    if scope is Scope.OWN_ORG and task.kind != InspectionKind.SELF.value:
        raise Forbidden("an enterprise cannot cancel a supervisory inspection")
    _access.require(
        session,
        actor,
        Permission.INSPECTION_PLAN,
        region_path=task.region_path,
        organisation_id=task.enterprise_id,
        industry_code=task.industry_code,
        what="inspection task",
    )
    _transition(session, actor, task, TaskAction.CANCEL)
    return task


def record_finding(
    session: Session, *, actor: Actor, task_id: uuid.UUID, item_id: str, data: FindingWrite
) -> InspectionFinding:
    """Record (or change) the answer to one item; a pending task starts with its first answer."""
    task = _executable(session, actor, task_id)
    if TaskStatus(task.status) is TaskStatus.PENDING:
        _transition(session, actor, task, TaskAction.START)
    elif TaskStatus(task.status) is not TaskStatus.IN_PROGRESS:
        ensure_allowed(TaskStatus(task.status), TaskAction.COMPLETE)  # names the allowed ones
    if item_id not in {item.id for item in task_items(session, task)}:
        raise NotFound(f"the task's checklist has no item {item_id!r}", field="item_id")
    finding = session.scalar(
        select(InspectionFinding).where(
            InspectionFinding.task_id == task.id, InspectionFinding.item_id == item_id
        )
    )
    before = None if finding is None else _finding_view(finding)
    if finding is None:
        finding = InspectionFinding(task_id=task.id, item_id=item_id)
        session.add(finding)
    finding.result = data.result.value
    finding.note = data.note
    finding.recorded_by = actor.user_id
    finding.recorded_at = utcnow()
    session.flush()
    ids = list(dict.fromkeys(data.attachment_ids))
    link(
        session,
        ids,
        actor=actor,
        entity_type=FINDING,
        entity_id=finding.id,
        region_path=task.region_path,
        organisation_id=task.enterprise_id,
    )
    finding.attachment_ids = [str(i) for i in ids]
    session.flush()
    record_change(
        session,
        actor=actor,
        action="inspection_finding.recorded",
        entity_type=FINDING,
        entity_id=finding.id,
        region_path=task.region_path,
        before=before,
        after=_finding_view(finding),
    )
    record_event(
        session,
        events.InspectionFindingRecorded(task_id=task.id, item_id=item_id, result=finding.result),
        actor=actor,
    )
    return finding


def _finding_view(finding: InspectionFinding) -> dict[str, Any]:
    return {
        "task_id": str(finding.task_id),
        "item_id": finding.item_id,
        "result": finding.result,
        "note": finding.note,
        "attachment_ids": list(finding.attachment_ids),
    }


def findings_of(session: Session, task_id: uuid.UUID) -> dict[str, InspectionFinding]:
    """Return a task's findings by item id."""
    rows = session.scalars(select(InspectionFinding).where(InspectionFinding.task_id == task_id))
    return {row.item_id: row for row in rows}


def _title(item: ChecklistItem) -> str:
    text = " ".join(item.text.split())
    if len(text) <= TITLE_CHARS:
        return text or item.id
    return text[: TITLE_CHARS - 1] + "…"


def complete_task(
    session: Session, *, actor: Actor, task_id: uuid.UUID, now: datetime | None = None
) -> InspectionTask:
    """Finish a task: every item answered; each failed item becomes a hazard from the item."""
    task = _executable(session, actor, task_id)
    ensure_allowed(TaskStatus(task.status), TaskAction.COMPLETE)
    checklist = _checklist_store.resolve(session, task.checklist_id)
    items = _tasks_items(checklist, task.applicability)
    found = findings_of(session, task.id)
    missing = [item.id for item in items if item.id not in found]
    if missing:
        raise InvalidInput(
            f"answer every item before completing; unanswered: {', '.join(missing)}",
            field=f"findings.{missing[0]}",
            missing=missing,
        )
    source = (
        HazardSource.SELF_INSPECTION
        if task.kind == InspectionKind.SELF.value
        else HazardSource.SUPERVISORY_INSPECTION
    )
    counts = TaskSummary()
    for item in items:
        finding = found[item.id]
        result = FindingResult(finding.result)
        if result is FindingResult.PASS:
            counts.passed += 1
            continue
        if result is FindingResult.NA:
            counts.not_applicable += 1
            continue
        counts.failed += 1
        description = f"{item.clause} {item.text}".strip()
        if finding.note:
            description += f"\n\n{finding.note}"
        hazard = _records.report_hazard(
            session,
            actor=actor,
            data=HazardCreate(
                enterprise_id=task.enterprise_id,
                title=_title(item),
                description=description[:4000],
                source=source,
                checklist_id=checklist.id,
                checklist_item_id=item.id,
            ),
            inspection_task_id=task.id,
            item_facts=None if checklist.official else (item.major_by_definition, item.clause),
            now=now,
        )
        finding.hazard_id = hazard.id
        counts.hazards_created += 1
        counts.major_hazards += 1 if hazard.major_by_definition else 0
    task.summary = json.dumps(counts.model_dump())
    _transition(
        session,
        actor,
        task,
        TaskAction.COMPLETE,
        hazards=counts.hazards_created,
        major=counts.major_hazards,
    )
    return task


def _task_changed(
    session: Session, actor: Actor, task: InspectionTask, action: str, *, before: Any
) -> None:
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type=TASK,
        entity_id=task.id,
        region_path=task.region_path,
        before=before,
        after=snapshot(task, _TASK_FIELDS),
    )


# --- views -----------------------------------------------------------------------------------


def summary_of(task: InspectionTask) -> TaskSummary | None:
    """Return the counts recorded when a task was completed."""
    if not task.summary:
        return None
    return TaskSummary.model_validate(json.loads(task.summary))


def task_read(session: Session, task: InspectionTask, *, detail: bool = False) -> TaskDetail:
    """Return a task as shown to its reader, optionally with its items and findings."""
    try:
        checklist: Checklist | None = _checklist_store.resolve(session, task.checklist_id)
    except NotFound:
        checklist = None
    items = _tasks_items(checklist, task.applicability) if checklist else ()
    found = findings_of(session, task.id)
    ent = orgs.organisation_facts(session, task.enterprise_id)
    task_items_out = []
    if detail:
        for item in items:
            view = _checklist_store.item_view(item).model_dump()
            row = found.get(item.id)
            task_items_out.append(
                TaskItem(**view, finding=FindingRead.model_validate(row) if row else None)
            )
    return TaskDetail(
        id=task.id,
        plan_id=task.plan_id,
        kind=InspectionKind(task.kind),
        enterprise_id=task.enterprise_id,
        enterprise_name=ent.name,
        region_code=task.region_code,
        industry_code=task.industry_code,
        checklist_id=task.checklist_id,
        checklist_title=checklist.title if checklist else "",
        applicability=list(task.applicability),
        assignee_user_id=task.assignee_user_id,
        unannounced=task.unannounced,
        due_on=task.due_on,
        status=TaskStatus(task.status),
        started_at=task.started_at,
        completed_at=task.completed_at,
        summary=summary_of(task),
        allowed_actions=list(allowed_actions(TaskStatus(task.status))),
        item_count=len(items),
        answered_count=sum(1 for item in items if item.id in found),
        items=task_items_out,
    )


def task_brief(session: Session, task: InspectionTask) -> TaskRead:
    """Return a task without its items (for lists)."""
    full = task_read(session, task)
    return TaskRead.model_validate(full.model_dump(exclude={"items"}))
