"""HTTP routes of checklists, inspection plans and tasks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.http import UoW
from yingji.hazards import _checklist_store as store
from yingji.hazards import _inspections as inspections
from yingji.hazards.inspection_schemas import (
    ChecklistList,
    ChecklistRead,
    CustomChecklistWrite,
    FindingRead,
    FindingWrite,
    PlanCreate,
    PlanList,
    PlanRead,
    TaskDetail,
    TaskList,
)
from yingji.hazards.inspection_states import TaskStatus

router = APIRouter(prefix="/api", tags=["inspections"])


def _needs(permission: Permission) -> Any:
    """Return a dependency refusing roles without a permission before the body is read."""

    def check(actor: CurrentActor) -> None:
        actor.require(permission)

    return Depends(check)


CHECKLIST_WRITE = [_needs(Permission.CHECKLIST_WRITE)]
PLAN = [_needs(Permission.INSPECTION_PLAN)]
EXECUTE = [_needs(Permission.INSPECTION_EXECUTE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
ChecklistId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")]
ItemId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]


@router.get("/checklists")
def list_checklists(uow: UoW, actor: CurrentActor, include_inactive: bool = False) -> ChecklistList:
    """List the official checklists and the custom ones the caller may use."""
    items = store.list_checklists(uow.session, actor=actor, include_inactive=include_inactive)
    return ChecklistList(items=items, total=len(items))


@router.get("/checklists/{checklist_id}")
def get_checklist(uow: UoW, actor: CurrentActor, checklist_id: ChecklistId) -> ChecklistRead:
    """Show one checklist with its items, clauses and applicability."""
    return store.get_checklist(uow.session, actor=actor, checklist_id=checklist_id)


@router.post("/checklists", status_code=status.HTTP_201_CREATED, dependencies=CHECKLIST_WRITE)
def create_checklist(uow: UoW, actor: CurrentActor, body: CustomChecklistWrite) -> ChecklistRead:
    """Save a custom checklist of the caller's organisation."""
    row = store.create_custom(uow.session, actor=actor, content=body.content)
    uow.commit()
    return store.get_checklist(uow.session, actor=actor, checklist_id=row.key)


@router.put("/checklists/{checklist_id}", dependencies=CHECKLIST_WRITE)
def update_checklist(
    uow: UoW, actor: CurrentActor, checklist_id: uuid.UUID, body: CustomChecklistWrite
) -> ChecklistRead:
    """Replace a custom checklist's content (by its database id)."""
    row = store.update_custom(
        uow.session, actor=actor, custom_id=checklist_id, content=body.content
    )
    uow.commit()
    return store.get_checklist(uow.session, actor=actor, checklist_id=row.key)


@router.delete("/checklists/{checklist_id}", dependencies=CHECKLIST_WRITE)
def deactivate_checklist(uow: UoW, actor: CurrentActor, checklist_id: uuid.UUID) -> ChecklistRead:
    """Stop offering a custom checklist for new plans."""
    row = store.deactivate_custom(uow.session, actor=actor, custom_id=checklist_id)
    uow.commit()
    return store.get_checklist(uow.session, actor=actor, checklist_id=row.key)


@router.get("/inspection-plans")
def list_plans(
    uow: UoW,
    actor: CurrentActor,
    include_inactive: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PlanList:
    """List the inspection plans the caller may see."""
    rows, total = inspections.list_plans(
        uow.session,
        actor=actor,
        active=None if include_inactive else True,
        limit=limit,
        offset=offset,
    )
    items = [PlanRead.model_validate(r) for r in rows]
    return PlanList(items=items, total=total, limit=limit, offset=offset)


@router.post("/inspection-plans", status_code=status.HTTP_201_CREATED, dependencies=PLAN)
def create_plan(uow: UoW, actor: CurrentActor, body: PlanCreate) -> PlanRead:
    """Create a self-inspection or supervisory inspection plan."""
    plan = inspections.create_plan(uow.session, actor=actor, data=body)
    uow.commit()
    return PlanRead.model_validate(plan)


@router.get("/inspection-plans/{plan_id}")
def get_plan(uow: UoW, actor: CurrentActor, plan_id: uuid.UUID) -> PlanRead:
    """Show one plan."""
    return PlanRead.model_validate(inspections.get_plan(uow.session, actor=actor, plan_id=plan_id))


@router.delete("/inspection-plans/{plan_id}", dependencies=PLAN)
def deactivate_plan(uow: UoW, actor: CurrentActor, plan_id: uuid.UUID) -> PlanRead:
    """Stop a plan producing tasks."""
    plan = inspections.deactivate_plan(uow.session, actor=actor, plan_id=plan_id)
    uow.commit()
    return PlanRead.model_validate(plan)


@router.get("/inspection-tasks")
def list_tasks(
    uow: UoW,
    actor: CurrentActor,
    mine: bool = False,
    enterprise_id: uuid.UUID | None = None,
    task_status: Annotated[TaskStatus | None, Query(alias="status")] = None,
    open_only: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TaskList:
    """List tasks: the caller's own (``mine``), their region's, or one enterprise's."""
    rows, total = inspections.list_tasks(
        uow.session,
        actor=actor,
        mine=mine,
        enterprise_id=enterprise_id,
        status=task_status,
        open_only=open_only,
        limit=limit,
        offset=offset,
    )
    items = [inspections.task_brief(uow.session, r) for r in rows]
    return TaskList(items=items, total=total, limit=limit, offset=offset)


@router.get("/inspection-tasks/{task_id}")
def get_task(uow: UoW, actor: CurrentActor, task_id: uuid.UUID) -> TaskDetail:
    """Show a task with its items and the answers given so far."""
    task = inspections.get_task(uow.session, actor=actor, task_id=task_id)
    return inspections.task_read(uow.session, task, detail=True)


@router.put("/inspection-tasks/{task_id}/findings/{item_id}", dependencies=EXECUTE)
def record_finding(
    uow: UoW, actor: CurrentActor, task_id: uuid.UUID, item_id: ItemId, body: FindingWrite
) -> FindingRead:
    """Answer one item: pass, fail or not applicable, with a note and photos."""
    finding = inspections.record_finding(
        uow.session, actor=actor, task_id=task_id, item_id=item_id, data=body
    )
    uow.commit()
    return FindingRead.model_validate(finding)


def _act(uow: UoW, actor: CurrentActor, task_id: uuid.UUID, action: str) -> TaskDetail:
    session = uow.session
    if action == "start":
        task = inspections.start_task(session, actor=actor, task_id=task_id)
    elif action == "complete":
        task = inspections.complete_task(session, actor=actor, task_id=task_id)
    else:
        task = inspections.cancel_task(session, actor=actor, task_id=task_id)
    uow.commit()
    return inspections.task_read(session, task, detail=True)


@router.post("/inspection-tasks/{task_id}/start", dependencies=EXECUTE)
def start_task(uow: UoW, actor: CurrentActor, task_id: uuid.UUID) -> TaskDetail:
    """Begin a pending task."""
    return _act(uow, actor, task_id, "start")


@router.post("/inspection-tasks/{task_id}/complete", dependencies=EXECUTE)
def complete_task(uow: UoW, actor: CurrentActor, task_id: uuid.UUID) -> TaskDetail:
    """Finish a task; every failed item becomes a hazard."""
    return _act(uow, actor, task_id, "complete")


@router.post("/inspection-tasks/{task_id}/cancel", dependencies=PLAN)
def cancel_task(uow: UoW, actor: CurrentActor, task_id: uuid.UUID) -> TaskDetail:
    """Cancel an unfinished task."""
    return _act(uow, actor, task_id, "cancel")
