"""Inspection plans, the due-task job, carrying out a task, completion creating hazards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.hazards.inspection_fixtures import (
    CUSTOM,
    World,
    actor_of,
    make_world,
    self_plan,
    supervisory_plan,
)
from yingji.core.auth.actor import system_actor
from yingji.core.clock import local_today
from yingji.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from yingji.hazards import _checklist_store, _inspections
from yingji.hazards.inspection_schemas import (
    FindingResult,
    FindingWrite,
    InspectionKind,
    PlanCreate,
)
from yingji.hazards.inspection_states import TaskStatus
from yingji.hazards.models import Hazard, InspectionTask
from yingji.risks.checklists import get_checklist

SYSTEM = system_actor(source="tests")
PASS = FindingWrite(result=FindingResult.PASS)


@pytest.fixture
def w(session: Session) -> World:
    return make_world(session)


def _run_job(session: Session, day: date) -> int:
    return _inspections.create_due_tasks(session, actor=SYSTEM, today=day)


def _answer_all(session: Session, actor: object, task: InspectionTask, fail: set[str]) -> None:
    for item in _inspections.task_items(session, task):
        result = FindingResult.FAIL if item.id in fail else FindingResult.PASS
        _inspections.record_finding(
            session,
            actor=actor,  # type: ignore[arg-type]
            task_id=task.id,
            item_id=item.id,
            data=FindingWrite(result=result, note="现场检查"),
        )


def test_job_creates_due_tasks_once_and_advances(session: Session, w: World) -> None:
    plan = self_plan(session, w)
    assert _run_job(session, date(2026, 10, 31)) == 0
    assert _run_job(session, date(2026, 11, 1)) == 1
    assert plan.next_due_on == date(2026, 11, 8)
    assert _run_job(session, date(2026, 11, 1)) == 0  # idempotent
    # Missed periods make one task, and the next due date moves past today.
    assert _run_job(session, date(2026, 11, 30)) == 1
    assert plan.next_due_on == date(2026, 12, 6)
    tasks = session.scalars(select(InspectionTask).where(InspectionTask.plan_id == plan.id)).all()
    assert len(tasks) == 2
    assert {t.status for t in tasks} == {TaskStatus.PENDING.value}
    assert all(t.kind == InspectionKind.SELF.value for t in tasks)


def test_one_off_plan_runs_once(session: Session, w: World) -> None:
    plan = supervisory_plan(session, w, unannounced=False)
    assert _run_job(session, date(2026, 11, 22)) == 1
    assert plan.next_due_on is None
    assert _run_job(session, date(2026, 12, 22)) == 0


def test_local_today_is_in_china_time() -> None:
    from datetime import UTC, datetime

    assert local_today(datetime(2026, 11, 22, 17, 0, tzinfo=UTC)) == date(2026, 11, 23)


def test_complete_creates_hazards_major_by_definition(session: Session, w: World) -> None:
    self_plan(session, w)
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    actor = actor_of(session, w.ent_user)
    _answer_all(session, actor, task, fail={"HG-1", "HG-2"})
    assert task.status == TaskStatus.IN_PROGRESS.value
    _inspections.complete_task(session, actor=actor, task_id=task.id)
    assert task.status == TaskStatus.COMPLETED.value
    summary = _inspections.summary_of(task)
    assert summary is not None
    assert (summary.failed, summary.hazards_created, summary.major_hazards) == (2, 2, 2)
    assert summary.passed == len(get_checklist("huagong_2017_121").items_for()) - 2
    hazards = session.scalars(select(Hazard).where(Hazard.inspection_task_id == task.id)).all()
    assert {h.checklist_item_id for h in hazards} == {"HG-1", "HG-2"}
    for hazard in hazards:
        assert hazard.major_by_definition
        assert hazard.grade == "major"
        assert hazard.source == "self_inspection"
        assert hazard.clause
        assert hazard.checklist_id == "huagong_2017_121"
        assert len(hazard.title) <= 60
    findings = _inspections.findings_of(session, task.id)
    assert findings["HG-1"].hazard_id in {h.id for h in hazards}
    assert findings["HG-3"].hazard_id is None
    with pytest.raises(IllegalTransition):
        _inspections.complete_task(session, actor=actor, task_id=task.id)
    with pytest.raises(IllegalTransition):
        _inspections.record_finding(
            session, actor=actor, task_id=task.id, item_id="HG-3", data=PASS
        )


def test_custom_checklist_items_major_only_by_citation(session: Session, w: World) -> None:
    bureau_actor = actor_of(session, w.planner)
    _checklist_store.create_custom(session, actor=bureau_actor, content=CUSTOM)
    # The bureau's checklist is offered to the enterprises below it.
    ent = actor_of(session, w.ent_user)
    keys = [c.id for c in _checklist_store.list_checklists(session, actor=ent)]
    assert "xiling-daily" in keys
    self_plan(session, w, checklist_id="xiling-daily")
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    _answer_all(session, ent, task, fail={"XL-1", "XL-3"})
    _inspections.complete_task(session, actor=ent, task_id=task.id)
    hazards = {
        h.checklist_item_id: h
        for h in session.scalars(select(Hazard).where(Hazard.inspection_task_id == task.id))
    }
    assert not hazards["XL-1"].major_by_definition
    assert hazards["XL-1"].clause == "第1项"
    assert hazards["XL-3"].major_by_definition


def test_incomplete_completion_names_the_missing_item(session: Session, w: World) -> None:
    self_plan(session, w)
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    actor = actor_of(session, w.ent_user)
    _inspections.record_finding(session, actor=actor, task_id=task.id, item_id="HG-1", data=PASS)
    with pytest.raises(InvalidInput) as caught:
        _inspections.complete_task(session, actor=actor, task_id=task.id)
    assert "HG-2" in str(caught.value)
    assert caught.value.field == "findings.HG-2"


def test_illegal_transitions(session: Session, w: World) -> None:
    self_plan(session, w)
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    actor = actor_of(session, w.ent_user)
    with pytest.raises(IllegalTransition):
        _inspections.complete_task(session, actor=actor, task_id=task.id)  # still pending
    _inspections.cancel_task(session, actor=actor, task_id=task.id)
    with pytest.raises(IllegalTransition):
        _inspections.start_task(session, actor=actor, task_id=task.id)


def test_unknown_item_refused(session: Session, w: World) -> None:
    self_plan(session, w)
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    with pytest.raises(NotFound):
        _inspections.record_finding(
            session, actor=actor_of(session, w.ent_user), task_id=task.id, item_id="GM-1", data=PASS
        )


def test_unannounced_task_hidden_from_enterprise_until_completed(
    session: Session, w: World
) -> None:
    supervisory_plan(session, w)
    _run_job(session, date(2026, 11, 20))
    task = session.scalars(select(InspectionTask)).one()
    ent = actor_of(session, w.ent_user)
    assert _inspections.list_tasks(session, actor=ent)[1] == 0
    with pytest.raises(NotFound):
        _inspections.get_task(session, actor=ent, task_id=task.id)
    # The enterprise does not see the bureau's plan either.
    assert _inspections.list_plans(session, actor=ent)[1] == 0
    inspector = actor_of(session, w.inspector)
    _rows, total = _inspections.list_tasks(session, actor=inspector, mine=True)
    assert total == 1
    _answer_all(session, inspector, task, fail={"HG-5"})
    assert _inspections.list_tasks(session, actor=ent)[1] == 0
    _inspections.complete_task(session, actor=inspector, task_id=task.id)
    assert _inspections.get_task(session, actor=ent, task_id=task.id).id == task.id
    hazard = session.scalars(select(Hazard)).one()
    assert hazard.source == "supervisory_inspection"
    assert hazard.major_by_definition


def test_enterprise_cannot_execute_or_cancel_supervisory_task(session: Session, w: World) -> None:
    supervisory_plan(session, w, unannounced=False)
    _run_job(session, date(2026, 11, 20))
    task = session.scalars(select(InspectionTask)).one()
    ent = actor_of(session, w.ent_user)
    assert _inspections.get_task(session, actor=ent, task_id=task.id).id == task.id
    with pytest.raises(Forbidden):
        _inspections.record_finding(session, actor=ent, task_id=task.id, item_id="HG-1", data=PASS)
    with pytest.raises(Forbidden):
        _inspections.cancel_task(session, actor=ent, task_id=task.id)


def test_non_assignee_inspector_denied(session: Session, w: World) -> None:
    supervisory_plan(session, w)
    _run_job(session, date(2026, 11, 20))
    task = session.scalars(select(InspectionTask)).one()
    other = actor_of(session, w.other_inspector)
    with pytest.raises(Forbidden):
        _inspections.record_finding(
            session, actor=other, task_id=task.id, item_id="HG-1", data=PASS
        )
    with pytest.raises(Forbidden):
        _inspections.start_task(session, actor=other, task_id=task.id)


def test_other_enterprise_denied(session: Session, w: World) -> None:
    self_plan(session, w)
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    other = actor_of(session, w.other_ent_user)
    with pytest.raises(NotFound):
        _inspections.get_task(session, actor=other, task_id=task.id)
    with pytest.raises(NotFound):
        _inspections.record_finding(
            session, actor=other, task_id=task.id, item_id="HG-1", data=PASS
        )
    assert _inspections.list_tasks(session, actor=other)[1] == 0
    assert _inspections.list_plans(session, actor=other)[1] == 0


def test_self_plan_for_another_enterprise_refused(session: Session, w: World) -> None:
    with pytest.raises(Forbidden):
        self_plan(session, w, enterprise_ids=[w.other_enterprise.id])
    with pytest.raises(InvalidInput):
        self_plan(session, w, unannounced=True)


def test_supervisory_plan_outside_region_refused(session: Session, w: World) -> None:
    data = PlanCreate(
        kind=InspectionKind.SUPERVISORY,
        name="越界检查",
        checklist_id="huagong_2017_121",
        enterprise_ids=[w.enterprise.id],
        assignee_user_ids=[w.inspector.id],
        starts_on=date(2026, 11, 20),
    )
    with pytest.raises(Forbidden):
        _inspections.create_plan(session, actor=actor_of(session, w.far_planner), data=data)


def test_department_outside_its_industries_refused(session: Session, w: World) -> None:
    data = PlanCreate(
        kind=InspectionKind.SUPERVISORY,
        name="行业检查",
        checklist_id="huagong_2017_121",
        enterprise_ids=[w.enterprise.id],
        assignee_user_ids=[w.inspector.id],
        starts_on=date(2026, 11, 20),
    )
    with pytest.raises(Forbidden) as caught:
        _inspections.create_plan(session, actor=actor_of(session, w.dept_planner), data=data)
    assert "industry" in str(caught.value)
    # Nor does it see the bureau's tasks at chemical enterprises.
    supervisory_plan(session, w, unannounced=False)
    _run_job(session, date(2026, 11, 20))
    assert _inspections.list_tasks(session, actor=actor_of(session, w.dept_planner))[1] == 0


def test_supervisory_assignees_must_be_bureau_inspectors(session: Session, w: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        supervisory_plan(session, w, assignee_user_ids=[w.ent_user.id])
    assert caught.value.field == "assignee_user_ids"
    with pytest.raises(Forbidden):
        data = PlanCreate(
            kind=InspectionKind.SUPERVISORY,
            name="企业不能监督检查",
            checklist_id="huagong_2017_121",
            enterprise_ids=[w.other_enterprise.id],
            assignee_user_ids=[w.ent_user.id],
            starts_on=date(2026, 11, 20),
        )
        _inspections.create_plan(session, actor=actor_of(session, w.ent_user), data=data)


def test_inspector_cannot_plan(session: Session, w: World) -> None:
    with pytest.raises(Forbidden):
        data = PlanCreate(
            kind=InspectionKind.SUPERVISORY,
            name="x",
            checklist_id="huagong_2017_121",
            enterprise_ids=[w.enterprise.id],
            assignee_user_ids=[w.inspector.id],
            starts_on=date(2026, 11, 20),
        )
        _inspections.create_plan(session, actor=actor_of(session, w.inspector), data=data)


def test_applicability_filters_items(session: Session, w: World) -> None:
    self_plan(session, w, checklist_id="gongmao_2023_10", applicability=["粉尘涉爆"])
    _run_job(session, date(2026, 11, 1))
    task = session.scalars(select(InspectionTask)).one()
    ids = {item.id for item in _inspections.task_items(session, task)}
    assert any(i.startswith("GD-") for i in ids)
    assert not any(i.startswith("YJ-") for i in ids)
    with pytest.raises(InvalidInput):
        self_plan(session, w, checklist_id="gongmao_2023_10", applicability=["不存在"])


def test_demo_inspections_are_idempotent(session: Session) -> None:
    import random

    from tests.factories.auth import make_user
    from tests.factories.orgs import make_org
    from tests.factories.regions import make_tree
    from yingji.core.auth.roles import Role
    from yingji.hazards.inspection_demo import load_inspections
    from yingji.orgs.schemas import OrgKind

    make_tree(session)
    for name in ("宜昌演示化工有限公司", "宜昌演示燃气有限公司", "宜都演示水泥有限公司"):
        make_org(session, name=name, industry_code="C2614")
    unit = make_org(session, kind=OrgKind.BUREAU, region_code="420500", name="执法支队")
    make_user(
        session,
        role=Role.INSPECTOR,
        region_code="420500",
        organisation_id=unit.id,
        username="inspector",
    )
    made = load_inspections(session, actor=SYSTEM, rng=random.Random(1))
    assert made == 3 * 2 + 3  # per enterprise: a completed and a pending task; 3 supervisory
    assert load_inspections(session, actor=SYSTEM, rng=random.Random(1)) == 0
    completed = session.scalars(
        select(InspectionTask).where(InspectionTask.status == TaskStatus.COMPLETED.value)
    ).all()
    assert len(completed) == 3
    assert session.scalars(select(Hazard)).all()
    inspector_tasks = session.scalars(
        select(InspectionTask).where(InspectionTask.kind == InspectionKind.SUPERVISORY.value)
    ).all()
    assert len(inspector_tasks) == 3
    assert all(t.status == TaskStatus.PENDING.value for t in inspector_tasks)


def test_periodic_job_uses_local_today(session: Session, w: World) -> None:
    from yingji.hazards import inspection_jobs

    plan = self_plan(session, w)
    plan.starts_on = plan.next_due_on = local_today() - timedelta(days=1)
    session.flush()
    inspection_jobs.create_due_tasks(session, {})
    inspection_jobs.create_due_tasks(session, {})
    assert len(session.scalars(select(InspectionTask)).all()) == 1
    assert plan.next_due_on == local_today() + timedelta(days=6)
