"""Hazard factories: report through the real service and drive a hazard to any status."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person
from tests.factories.regions import make_tree
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Role
from yingji.core.files import store
from yingji.hazards import service
from yingji.hazards.models import Hazard
from yingji.hazards.rules import GeneralRectification, RectificationEvidence, RectificationPlan
from yingji.hazards.schemas import HazardCreate
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions

SYSTEM = system_actor(source="tests")
# The order statuses are reached on the happy path.
PATH: tuple[HazardStatus, ...] = (
    HazardStatus.REPORTED,
    HazardStatus.CONFIRMED,
    HazardStatus.RECTIFYING,
    HazardStatus.RECTIFIED,
    HazardStatus.VERIFIED,
    HazardStatus.CLOSED,
)
# An actor's user id that never rectifies, so the system can verify what a test rectified.
_VERIFIER = Actor(role=SYSTEM.role, user_id=uuid.uuid4(), username="verifier", source="tests")


def make_hazard(
    session: Session,
    *,
    enterprise_id: uuid.UUID,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    **fields: Any,
) -> Hazard:
    """Report a hazard (self-inspection by default) as ``actor``."""
    values: dict[str, Any] = {
        "enterprise_id": enterprise_id, "title": f"隐患-{uuid.uuid4().hex[:6]}",
        "source": HazardSource.SELF_INSPECTION,
    }  # fmt: skip
    values.update(fields)
    return service.report_hazard(
        session, actor=actor, data=HazardCreate.model_validate(values), now=now
    )


def full_plan(person_id: uuid.UUID, deadline: date, **fields: Any) -> RectificationPlan:
    """Return a complete 治理方案 (五落实)."""
    values: dict[str, Any] = {
        "goal_and_tasks": "消除隐患", "methods_and_measures": "更换阀门",
        "funds_and_materials": "5万元", "responsible_organisation": "设备科",
        "responsible_person_id": person_id, "deadline": deadline, "requirements": "验收合格",
        "safety_measures_and_contingency_plan": "停产并设警戒",
    }  # fmt: skip
    values.update(fields)
    return RectificationPlan(**values)


def upload(session: Session, actor: Actor) -> uuid.UUID:
    """Store a small PNG uploaded by ``actor``; return its attachment id."""
    png = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes
    folder = Path(tempfile.gettempdir()) / "yingji-test-files"
    attachment = store(session, data=png, filename="after.png", actor=actor, data_dir=folder)
    return attachment.id


def advance(
    session: Session,
    hazard: Hazard,
    to: HazardStatus,
    *,
    person_id: uuid.UUID,
    actor: Actor = SYSTEM,
    grade: HazardGrade = HazardGrade.GENERAL,
    today: date | None = None,
) -> Hazard:
    """Drive a reported hazard along the happy path to ``to`` (or to rejected)."""
    hid = hazard.id
    if to is HazardStatus.REJECTED:
        return service.reject_hazard(session, actor=actor, hazard_id=hid, reason="不属实")
    deadline = (today or date.today()) + timedelta(days=30)
    steps = PATH[PATH.index(HazardStatus(hazard.status)) + 1 : PATH.index(to) + 1]
    for status in steps:
        if status is HazardStatus.CONFIRMED:
            service.confirm_hazard(session, actor=actor, hazard_id=hid, grade=grade)
        elif status is HazardStatus.RECTIFYING:
            plan: RectificationPlan | GeneralRectification
            if grade is HazardGrade.MAJOR:
                plan = full_plan(person_id, deadline)
            else:
                plan = GeneralRectification(responsible_person_id=person_id, deadline=deadline)
            service.start_rectification(session, actor=actor, hazard_id=hid, plan=plan)
        elif status is HazardStatus.RECTIFIED:
            evidence = RectificationEvidence(
                note="已更换", attachment_ids=(upload(session, actor),)
            )
            service.submit_rectification(session, actor=actor, hazard_id=hid, evidence=evidence)
        elif status is HazardStatus.VERIFIED:
            service.verify_hazard(session, actor=_VERIFIER, hazard_id=hid, passed=True)
        elif status is HazardStatus.CLOSED:
            service.close_hazard(session, actor=actor, hazard_id=hid)
    return hazard


@dataclass
class World:
    """A small bureau: two enterprises in two districts, a person, a bureau and a department."""

    ent_a: uuid.UUID
    ent_b: uuid.UUID
    person_a: uuid.UUID
    bureau: uuid.UUID
    department: uuid.UUID


def make_world(session: Session, *, tree: bool = True) -> World:
    """Build the region tree (unless made), two enterprises, a city bureau and its department."""
    if tree:
        make_tree(session)
    ent_a = make_org(session, name="A 西陵化工", region_code="420502", lon=111.3, lat=30.7)
    ent_b = make_org(session, name="B 伍家岗化工", region_code="420503")
    person = make_person(session, organisation_id=ent_a.id, region_code="420502")
    bureau = make_org(session, kind=OrgKind.BUREAU, name="宜昌市应急管理局", region_code="420500")
    department = make_org(
        session, kind=OrgKind.DEPARTMENT, name="危化科", region_code="420500", parent_id=bureau.id
    )
    return World(ent_a.id, ent_b.id, person.id, bureau.id, department.id)


def actor_of(
    session: Session, role: Role, region_code: str, organisation_id: uuid.UUID | None = None
) -> Actor:
    """Return an actor of a role in a region (and organisation), with a fresh user id."""
    return Actor(
        role=role, user_id=uuid.uuid4(), username=f"t-{role}", organisation_id=organisation_id,
        region_code=region_code, region_path=regions.path_of(session, region_code),
        source="tests",
    )  # fmt: skip
