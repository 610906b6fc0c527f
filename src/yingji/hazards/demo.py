"""Demo hazards of the 宜昌 demo (is_demo): the hazards context seeds its own records.

They go through the real services (report, confirm, plan, rectify, verify, close, 挂牌督办) as
the given actor, so audit, events and the statistics rollup are what real use would produce;
then a few deadlines are moved into the past and the escalation job runs, so the board shows
overdue hazards too. Idempotent: nothing is loaded when demo hazards exist.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.config import get_settings
from yingji.core.db import utcnow
from yingji.core.files import store
from yingji.hazards import service
from yingji.hazards.models import Hazard
from yingji.hazards.rules import GeneralRectification, RectificationEvidence, RectificationPlan
from yingji.hazards.schemas import HazardCreate
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind, PersonCreate

TARGET: Final = 40
_TITLES: Final = (
    ("储罐区可燃气体报警器失效", "罐区东侧 2 号报警器无响应"),
    ("消防通道被货物占用", "厂区北门消防通道堆放成品"),
    ("配电室未设置挡鼠板", "配电室门口缺少挡鼠板"),
    ("危化品仓库混存", "氧化剂与易燃液体同库存放"),
    ("特种作业人员无证上岗", "焊工未持有效特种作业操作证"),
    ("安全阀超期未校验", "反应釜安全阀校验已过期"),
    ("有限空间作业未审批", "污水池清淤未办理作业票"),
    ("应急照明损坏", "车间疏散通道应急照明不亮"),
    ("动火作业监护缺失", "检修动火无专人监护"),
    ("防雷接地检测过期", "储罐防雷接地检测报告过期"),
)
_SOURCES: Final = (
    HazardSource.SELF_INSPECTION,
    HazardSource.SELF_INSPECTION,
    HazardSource.SUPERVISORY_INSPECTION,
    HazardSource.MONITORING_ALARM,
    HazardSource.ACCIDENT_LESSON,
)
_TARGETS: Final = (
    HazardStatus.REPORTED,
    HazardStatus.CONFIRMED,
    HazardStatus.REJECTED,
    HazardStatus.RECTIFYING,
    HazardStatus.RECTIFYING,
    HazardStatus.RECTIFIED,
    HazardStatus.VERIFIED,
    HazardStatus.CLOSED,
    HazardStatus.CLOSED,
)
_PNG: Final = b"\x89PNG\r\n\x1a\n"


def _plan(
    grade: HazardGrade, person: uuid.UUID, deadline: date
) -> RectificationPlan | GeneralRectification:
    if grade is HazardGrade.MAJOR:
        return RectificationPlan(
            goal_and_tasks="彻底消除隐患，恢复安全运行", methods_and_measures="停用并更换失效设备",
            funds_and_materials="专项资金 5 万元，备件已采购",
            responsible_organisation="设备安全科",
            responsible_person_id=person, deadline=deadline, requirements="经第三方检测合格",
            safety_measures_and_contingency_plan="局部停产，设置警戒区，启动现场处置方案",
        )  # fmt: skip
    return GeneralRectification(
        responsible_person_id=person, deadline=deadline, measures="立即整改"
    )


def _person(session: Session, actor: Actor, enterprise: object) -> uuid.UUID:
    org_id = getattr(enterprise, "id")  # noqa: B009
    rows, _ = orgs.list_persons(session, actor=actor, organisation_id=org_id, limit=1)
    if rows:
        return rows[0].id
    person = orgs.create_person(
        session, actor=actor,
        data=PersonCreate(name="安全管理员", organisation_id=org_id,
                          region_code=getattr(enterprise, "region_code"), is_demo=True),  # noqa: B009
    )  # fmt: skip
    return person.id


def _advance(
    session: Session,
    actor: Actor,
    hazard: Hazard,
    target: HazardStatus,
    *,
    grade: HazardGrade,
    person: uuid.UUID,
    data_dir: Path,
    rng: random.Random,
) -> None:
    hid, today = hazard.id, service.local_today()
    if target is HazardStatus.REJECTED:
        service.reject_hazard(session, actor=actor, hazard_id=hid, reason="经核查不属实（演示）")
        return
    if target is HazardStatus.REPORTED:
        return
    service.confirm_hazard(session, actor=actor, hazard_id=hid, grade=grade)
    deadline = today + timedelta(days=rng.randint(5, 40))
    if target is HazardStatus.CONFIRMED:
        service.save_plan(session, actor=actor, hazard_id=hid, plan=_plan(grade, person, deadline))
        return
    plan = _plan(grade, person, deadline)
    service.start_rectification(session, actor=actor, hazard_id=hid, plan=plan)
    if target is HazardStatus.RECTIFYING:
        return
    photo = store(session, data_dir=data_dir, data=_PNG + rng.randbytes(32), filename="整改后.png",
                  actor=actor)  # fmt: skip
    evidence = RectificationEvidence(note="已按方案完成整改（演示）", attachment_ids=(photo.id,))
    service.submit_rectification(session, actor=actor, hazard_id=hid, evidence=evidence)
    if target is HazardStatus.RECTIFIED:
        return
    service.verify_hazard(session, actor=actor, hazard_id=hid, passed=True, note="验收合格")
    if target is HazardStatus.CLOSED:
        service.close_hazard(session, actor=actor, hazard_id=hid)


def load_hazards(
    session: Session, *, actor: Actor, rng: random.Random, data_dir: Path | None = None
) -> int:
    """Create about forty demo hazards across the demo enterprises; return how many were made.

    ``actor`` is the loader's system actor. ``data_dir`` holds the evidence photos (default:
    the configured data directory). Nothing happens if demo hazards exist already.
    """
    if session.scalar(select(func.count()).select_from(Hazard).where(Hazard.is_demo)):
        return 0
    enterprises = [
        e for e in orgs.list_organisations(session, actor=actor, kind=OrgKind.ENTERPRISE,
                                           limit=200)[0]
        if e.is_demo
    ]  # fmt: skip
    if not enterprises:
        return 0
    folder = data_dir or get_settings().data_dir
    now = utcnow()
    made: list[Hazard] = []
    for index in range(TARGET):
        enterprise = enterprises[index % len(enterprises)]
        title, description = _TITLES[index % len(_TITLES)]
        lon = enterprise.lon + rng.uniform(-0.002, 0.002) if enterprise.lon is not None else None
        lat = enterprise.lat + rng.uniform(-0.002, 0.002) if enterprise.lat is not None else None
        data = HazardCreate(
            enterprise_id=enterprise.id, title=title, description=description,
            source=rng.choice(_SOURCES), lon=lon, lat=lat if lon is not None else None,
        )  # fmt: skip
        reported = now - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 600))
        hazard = service.report_hazard(session, actor=actor, data=data, now=reported)
        hazard.is_demo = True
        grade = HazardGrade.MAJOR if index % 6 == 0 else HazardGrade.GENERAL
        _advance(
            session, actor, hazard, _TARGETS[index % len(_TARGETS)], grade=grade,
            person=_person(session, actor, enterprise), data_dir=folder, rng=rng,
        )  # fmt: skip
        made.append(hazard)
    _supervise_one(session, actor, made)
    _make_overdue(session, actor, made)
    session.flush()
    return len(made)


def _supervise_one(session: Session, actor: Actor, made: list[Hazard]) -> None:
    """Put the first open major hazard under 挂牌督办 by the bureau covering it."""
    for hazard in made:
        if hazard.grade != HazardGrade.MAJOR or hazard.status not in ("confirmed", "rectifying"):
            continue
        units = service.supervising_recipients(session, hazard.enterprise_id)
        if units:
            service.list_supervision(
                session, actor=actor, hazard_id=hazard.id, supervising_org_id=units[0],
                deadline=service.local_today() + timedelta(days=30), note="演示：市级挂牌督办",
            )  # fmt: skip
        return


def _make_overdue(session: Session, actor: Actor, made: list[Hazard]) -> None:
    """Move three rectifying hazards' deadlines into the past and run the escalation job."""
    rectifying = [h for h in made if h.status == HazardStatus.RECTIFYING and not h.supervised]
    for hazard in rectifying[:3]:
        # Demo only: a deadline cannot be set in the past through the services.
        hazard.deadline = service.local_today() - timedelta(days=5)
    session.flush()
    service.escalate_overdue(session)
