"""Evacuation feedback (转移人数、安置地点): reported as often as needed, rolled up by region.

A report states how many people its reporter has evacuated so far in a region (a running
total, as 转移人数 are reported) and where they are sheltered; a newer report of the same
reporter for the same region replaces the older one in the totals, and every report is kept.
A region's total covers its whole subtree.

Who may report: a logged-in user with warning:feedback, for their region and below; or the
holder of a target's signed link (also after acknowledging), for the target's region and
below. Each report is audited and staged as an ``EvacuationReported`` event.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Role
from yingji.core.config import Settings
from yingji.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from yingji.core.events import record_event
from yingji.regions import service as regions
from yingji.warnings._ack import target_by_token
from yingji.warnings._authoring import get_warning
from yingji.warnings.events import EvacuationReported
from yingji.warnings.models import EarlyWarning, EvacuationReport, WarningTarget
from yingji.warnings.schemas import EvacuationInput
from yingji.warnings.states import ENTITY, WarningStatus

REPORT_ENTITY = "warning_evacuation"
REPORTABLE = (WarningStatus.ISSUED.value, WarningStatus.LIFTED.value)


@dataclass(frozen=True, slots=True)
class Reported:
    """A report as the totals count it."""

    region_code: str
    region_path: str
    evacuated: int
    shelter: str | None
    reported_at: datetime


class EvacuationTotal(BaseModel):
    """People evacuated in a region: reported for it, and with its whole subtree."""

    region_code: str
    region_path: str
    evacuated: int  # reported for this region itself
    total: int  # this region and everything below it
    shelters: list[str]


def _path(session: Session, code: str) -> str:
    try:
        return regions.path_of(session, code)
    except NotFound:
        raise InvalidInput(f"unknown region code {code!r}", field="region_code") from None


def _own_target(session: Session, actor: Actor, warning_id: uuid.UUID) -> uuid.UUID | None:
    if actor.user_id is None:
        return None
    return session.scalar(
        select(WarningTarget.id).where(
            WarningTarget.warning_id == warning_id, WarningTarget.user_id == actor.user_id
        )
    )


def report_evacuation(
    session: Session,
    *,
    warning_id: uuid.UUID,
    data: EvacuationInput,
    now: datetime,
    actor: Actor | None = None,
    token: str | None = None,
    settings: Settings | None = None,
) -> EvacuationReport:
    """Record an evacuation report, by a logged-in person or a link's holder; never commits."""
    warning = session.get(EarlyWarning, warning_id)
    if token is not None:
        if settings is None:
            raise ValueError("a token needs the settings that signed it")
        target = target_by_token(session, token=token, settings=settings)
        if warning is None or target.warning_id != warning_id:
            raise NotFound("this acknowledgement link is not valid", entity=ENTITY)
        code = data.region_code or target.region_code
        path = target.region_path if code == target.region_code else _path(session, code)
        if not path.startswith(target.region_path):
            raise Forbidden("report for your own region or below it", field="region_code")
        who = Actor(role=Role.PUBLIC, username=f"{target.name} (link)"[:200],
                    region_code=target.region_code, region_path=target.region_path,
                    source="ack-link")  # fmt: skip
        reporter, user_id = target.name, None
        target_id: uuid.UUID | None = target.id
    elif actor is not None:
        actor.require(Permission.WARNING_FEEDBACK)
        get_warning(session, actor=actor, warning_id=warning_id)
        code = data.region_code or actor.region_code or ""
        if not code:
            raise InvalidInput(
                "name the region the people were evacuated from", field="region_code"
            )
        path = _path(session, code)
        actor.require_region(path, what="region")
        who, reporter, user_id = actor, actor.username, actor.user_id
        target_id = _own_target(session, actor, warning_id)
    else:
        raise NotAuthenticated("log in, or use the link of the warning you received")
    assert warning is not None  # get_warning or the token check found it
    if warning.status not in REPORTABLE:
        raise InvalidInput("this warning takes no more reports", field="status")
    report = EvacuationReport(
        warning_id=warning_id, target_id=target_id, reported_by=user_id,
        reporter_name=reporter[:100], region_code=code, region_path=path,
        evacuated=data.evacuated, shelter=data.shelter, note=data.note, reported_at=now,
    )  # fmt: skip
    session.add(report)
    session.flush()
    record_change(
        session, actor=who, action="warning_evacuation.reported", entity_type=REPORT_ENTITY,
        entity_id=report.id, region_path=path,
        after={"warning": str(warning_id), "region": code, "evacuated": data.evacuated,
               "shelter": data.shelter, "note": data.note},
    )  # fmt: skip
    record_event(
        session,
        EvacuationReported(warning_id=warning_id, report_id=report.id, region_code=code,
                           evacuated=data.evacuated),
        actor=who,
    )  # fmt: skip
    return report


def latest_reports(
    session: Session, *, warning_id: uuid.UUID, low: str = "/", high: str = "0"
) -> list[Reported]:
    """Return each reporter's latest report per region of a warning, within a path range."""
    rows = session.execute(
        select(
            EvacuationReport.region_code, EvacuationReport.region_path,
            EvacuationReport.evacuated, EvacuationReport.shelter, EvacuationReport.reported_at,
            EvacuationReport.target_id, EvacuationReport.reported_by,
            EvacuationReport.reporter_name,
        )
        .where(
            EvacuationReport.warning_id == warning_id,
            EvacuationReport.region_path >= low,
            EvacuationReport.region_path < high,
        )
        .order_by(EvacuationReport.reported_at, EvacuationReport.id)
    )  # fmt: skip
    latest: dict[tuple[str, str], Reported] = {}
    for code, path, evacuated, shelter, at, target_id, user_id, name in rows:
        reporter = str(target_id or user_id or name)
        latest[(code, reporter)] = Reported(code, path, evacuated, shelter, at)
    return list(latest.values())


def _ancestry(path: str, scope: str) -> list[str]:
    """Return the paths from ``scope`` down to ``path`` (both included)."""
    parts = path.strip("/").split("/")
    depth = len(scope.strip("/").split("/")) if scope.strip("/") else 0
    return ["/" + "/".join(parts[:i]) + "/" for i in range(max(depth, 1), len(parts) + 1)]


def evacuation_totals(
    session: Session, *, warning_id: uuid.UUID, actor: Actor
) -> list[EvacuationTotal]:
    """Return the evacuation totals of a warning by region, within the actor's subtree."""
    actor.require(Permission.WARNING_TRACK)
    get_warning(session, actor=actor, warning_id=warning_id)
    low, high = subtree_range(actor.region_path)
    own: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    shelters: dict[str, set[str]] = defaultdict(set)
    for report in latest_reports(session, warning_id=warning_id, low=low, high=high):
        own[report.region_path] += report.evacuated
        for path in _ancestry(report.region_path, actor.region_path):
            total[path] += report.evacuated
            if report.shelter:
                shelters[path].add(report.shelter)
    return [
        EvacuationTotal(
            region_code=path.strip("/").split("/")[-1], region_path=path,
            evacuated=own.get(path, 0), total=count, shelters=sorted(shelters[path]),
        )
        for path, count in sorted(total.items())
    ]  # fmt: skip
