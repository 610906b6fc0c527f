"""Demo public reports (举报) in various states: received, accepted, rejected, verified."""

from __future__ import annotations

import random
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

import yingji.reports.jobs  # noqa: F401 - registers the overdue job the intake schedules
from yingji.core.auth.actor import system_actor
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.reports import service
from yingji.reports.models import PublicReport
from yingji.reports.schemas import (
    AcceptBody,
    ConcludeBody,
    RejectBody,
    ReportCategory,
    ReportCreate,
    RewardBasis,
    RewardInputs,
    RewardProposeBody,
)

# (category, text, place, what happens next)
REPORTS: Final = (
    (
        ReportCategory.MAJOR_HAZARD,
        "演示：仓库消防通道被货物堵死，安全出口上锁。",
        "工业园仓库",
        "received",
    ),
    (
        ReportCategory.ILLEGAL_ACTIVITY,
        "演示：夜间无证组织危险化学品装卸作业。",
        "沿江码头",
        "accepted",
    ),
    (ReportCategory.OTHER, "演示：小区噪音扰民，与安全生产无关。", "某小区", "rejected"),
    (
        ReportCategory.MAJOR_HAZARD,
        "演示：燃气管道穿越密闭空间，未设报警装置。",
        "老街餐饮店",
        "verified",
    ),
    (
        ReportCategory.CONCEALED_ACCIDENT,
        "演示：工地发生高处坠落事故后未按规定报告。",
        "城东工地",
        "received",
    ),
)


def load_reports(session: Session, *, rng: random.Random) -> int:
    """Load the demo reports (idempotent: nothing if demo reports exist); return how many."""
    if session.scalar(select(PublicReport.id).where(PublicReport.is_demo).limit(1)) is not None:
        return 0
    actor = system_actor(source="demo")
    counties = service.public_regions(session)
    enterprises, _ = orgs.list_organisations(
        session, actor=actor, kind=OrgKind.ENTERPRISE, active=True, limit=20
    )
    created = 0
    for category, text, place, fate in REPORTS:
        region = rng.choice(counties)[0] if counties else None
        data = ReportCreate(category=category, text=text, place=place, region_code=region)
        report, _code = service.submit_report(session, data=data)
        report.is_demo = True
        created += 1
        if fate == "rejected":
            reason = RejectBody(reason="不属于安全生产举报范围", public_note="请向12345热线反映。")
            service.reject(session, actor=actor, report_id=report.id, data=reason)
            continue
        if fate in ("accepted", "verified") and enterprises:
            enterprise = rng.choice(enterprises)
            accept = AcceptBody(enterprise_id=enterprise.id, title=text.removeprefix("演示：")[:60])
            service.accept(session, actor=actor, report_id=report.id, data=accept)
            if fate == "verified":
                note = ConcludeBody(verified=True, public_note="经核查属实，已责令整改。")
                service.conclude(session, actor=actor, report_id=report.id, data=note)
                proposal = RewardProposeBody(
                    basis=RewardBasis.FINE, inputs=RewardInputs(fine_amount=50_000)
                )
                service.propose_reward(session, actor=actor, report_id=report.id, data=proposal)
    session.flush()
    return created
