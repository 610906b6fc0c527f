"""Demo inspections: self-inspection plans of a few demo enterprises, one completed task each
(a few failed items, so hazards), and pending supervisory tasks for the demo inspector."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.auth import service as auth
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.clock import local_today
from yingji.core.errors import DomainError
from yingji.hazards import _inspections
from yingji.hazards.inspection_schemas import (
    FindingResult,
    FindingWrite,
    InspectionKind,
    PlanCreate,
)
from yingji.hazards.models import InspectionPlan, InspectionTask
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind

SELF_PLAN: Final = "演示：月度安全自查"
SUPERVISORY_PLAN: Final = "演示：四不两直专项检查"
ENTERPRISES: Final = 3
FAILED_ITEMS: Final = 2


def _checklist_for(name: str) -> str:
    if "燃气" in name:
        return "chengzhen_ranqi_2023_4"
    if "化工" in name:
        return "huagong_2017_121"
    return "gongmao_2023_10"


def _exists(session: Session, name: str, owner_id: object) -> bool:
    found = session.scalar(
        select(InspectionPlan.id).where(
            InspectionPlan.name == name, InspectionPlan.owner_org_id == owner_id
        )
    )
    return found is not None


def load_inspections(session: Session, *, actor: Actor, rng: random.Random) -> int:
    """Load the demo inspections (idempotent); return the number of tasks created."""
    enterprises, _ = orgs.list_organisations(
        session, actor=actor, kind=OrgKind.ENTERPRISE, active=True, limit=50
    )
    demo = [e for e in enterprises if "演示" in e.name][:ENTERPRISES]
    created = 0
    today = local_today()
    for ent in demo:
        if _exists(session, SELF_PLAN, ent.id):
            continue
        facts = orgs.organisation_facts(session, ent.id)
        ent_actor = Actor(
            role=Role.ENTERPRISE,
            username="demo",
            organisation_id=ent.id,
            region_code=facts.region_code,
            region_path=facts.region_path,
            source=actor.source,
            request_id=actor.request_id,
        )
        plan = _inspections.create_plan(
            session,
            actor=ent_actor,
            data=PlanCreate(
                kind=InspectionKind.SELF,
                name=SELF_PLAN,
                checklist_id=_checklist_for(ent.name),
                every_days=30,
                starts_on=today - timedelta(days=30),
            ),
        )
        created += _inspections.run_plan(
            session, actor=actor, plan=plan, today=today - timedelta(days=30)
        )
        task = session.scalars(
            select(InspectionTask).where(InspectionTask.plan_id == plan.id)
        ).one()
        items = _inspections.task_items(session, task)
        failed = {item.id for item in rng.sample(list(items), min(FAILED_ITEMS, len(items)))}
        for item in items:
            result = FindingResult.FAIL if item.id in failed else FindingResult.PASS
            note = "现场检查发现问题（演示）" if item.id in failed else ""
            _inspections.record_finding(
                session,
                actor=ent_actor,
                task_id=task.id,
                item_id=item.id,
                data=FindingWrite(result=result, note=note),
            )
        _inspections.complete_task(session, actor=ent_actor, task_id=task.id)
        created += _inspections.run_plan(session, actor=actor, plan=plan, today=today)
    created += _supervisory(session, actor, [e.id for e in demo], today)
    return created


def _supervisory(
    session: Session, actor: Actor, enterprise_ids: list[uuid.UUID], today: date
) -> int:
    inspector = auth.get_user_by_username(session, username="inspector")
    if inspector is None or inspector.organisation_id is None or not enterprise_ids:
        return 0
    if _exists(session, SUPERVISORY_PLAN, inspector.organisation_id):
        return 0
    bureau = orgs.organisation_facts(session, inspector.organisation_id)
    planner = Actor(
        role=Role.SPECIALIST,
        username="demo",
        organisation_id=bureau.id,
        region_code=inspector.region_code,
        region_path=auth.actor_for(
            session, inspector, request_id=actor.request_id, source=actor.source
        ).region_path,
        source=actor.source,
        request_id=actor.request_id,
    )
    try:
        plan = _inspections.create_plan(
            session,
            actor=planner,
            data=PlanCreate(
                kind=InspectionKind.SUPERVISORY,
                name=SUPERVISORY_PLAN,
                checklist_id="huagong_2017_121",
                enterprise_ids=enterprise_ids,
                assignee_user_ids=[inspector.id],
                unannounced=True,
                starts_on=today,
                task_days=14,
            ),
        )
    except DomainError:
        return 0  # the inspector's unit does not supervise these enterprises
    return _inspections.run_plan(session, actor=actor, plan=plan, today=today)
