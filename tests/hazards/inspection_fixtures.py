"""Shared set-up of the inspection tests: a region tree, enterprises, a bureau and its users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from yingji.core.auth import service as auth
from yingji.core.auth.actor import Actor
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role
from yingji.hazards import _inspections
from yingji.hazards.inspection_schemas import InspectionKind, PlanCreate
from yingji.orgs.schemas import OrgKind

CUSTOM: dict[str, Any] = {
    "id": "xiling-daily",
    "title": "西陵区日常检查表",
    "issuer": "西陵区应急管理局",
    "items": [
        {"id": "XL-1", "clause": "第1项", "text": "安全出口畅通，未被锁闭或堵塞"},
        {"id": "XL-2", "clause": "第2项", "text": "消防器材完好有效，在检验期内"},
        {"id": "XL-3", "text": "危险化学品专库储存", "cites": "HG-1"},
    ],
}


def actor_of(session: Session, user: User) -> Actor:
    """Return the actor a factory user acts as."""
    return auth.actor_for(session, user, request_id=uuid.uuid4().hex, source="tests")


@dataclass
class World:
    """The people and organisations of the inspection tests."""

    enterprise: Any
    other_enterprise: Any
    far_enterprise: Any
    bureau: Any
    department: Any
    ent_user: User
    other_ent_user: User
    inspector: User
    other_inspector: User
    planner: User
    far_planner: User
    dept_planner: User


def make_world(session: Session) -> World:
    """Build the tree, three enterprises, a district bureau, a department and their users."""
    make_tree(session)
    enterprise = make_org(session, name="西陵化工厂", industry_code="C2614")
    other = make_org(session, name="西陵机械厂", industry_code="C2614")
    far = make_org(session, region_code="420102", name="江岸化工厂", industry_code="C2614")
    bureau = make_org(session, kind=OrgKind.BUREAU, name="西陵区应急管理局")
    wuhan = make_org(session, kind=OrgKind.BUREAU, region_code="420102", name="江岸区应急管理局")
    department = make_org(
        session,
        kind=OrgKind.DEPARTMENT,
        name="西陵区住建局",
        parent_id=bureau.id,
        supervised_industries=["E"],
    )
    user = lambda role, org, code="420502": make_user(  # noqa: E731
        session, role=role, region_code=code, organisation_id=org.id
    )[0]
    return World(
        enterprise=enterprise,
        other_enterprise=other,
        far_enterprise=far,
        bureau=bureau,
        department=department,
        ent_user=user(Role.ENTERPRISE, enterprise),
        other_ent_user=user(Role.ENTERPRISE, other),
        inspector=user(Role.INSPECTOR, bureau),
        other_inspector=user(Role.INSPECTOR, bureau),
        planner=user(Role.SPECIALIST, bureau),
        far_planner=user(Role.SPECIALIST, wuhan, "420102"),
        dept_planner=user(Role.SPECIALIST, department),
    )


def self_plan(session: Session, w: World, checklist_id: str = "huagong_2017_121", **kw: Any) -> Any:
    """Create a weekly self-inspection plan of the enterprise starting 2026-11-01."""
    data = PlanCreate(
        kind=InspectionKind.SELF,
        name="每周自查",
        checklist_id=checklist_id,
        every_days=7,
        starts_on=date(2026, 11, 1),
        **kw,
    )
    return _inspections.create_plan(session, actor=actor_of(session, w.ent_user), data=data)


def supervisory_plan(session: Session, w: World, **kw: Any) -> Any:
    """Create a one-off unannounced supervisory plan of the enterprise, for the inspector."""
    fields: dict[str, Any] = {
        "kind": InspectionKind.SUPERVISORY,
        "name": "四不两直专项检查",
        "checklist_id": "huagong_2017_121",
        "enterprise_ids": [w.enterprise.id],
        "assignee_user_ids": [w.inspector.id],
        "unannounced": True,
        "starts_on": date(2026, 11, 20),
    }
    fields.update(kw)
    return _inspections.create_plan(
        session, actor=actor_of(session, w.planner), data=PlanCreate(**fields)
    )
