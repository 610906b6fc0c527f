"""Deadlines: overdue hazards escalate to the enterprise's superior, then to the department.

A periodic job marks a hazard overdue once its rectification deadline (or, when it is under
挂牌督办, the supervision deadline) has passed in the bureau's time zone while it is still
confirmed or being rectified: level 1 notifies the enterprise's superior (its parent
organisation if recorded, else the bureau of its own region), level 2, after the number of
days configured in ``data/escalation.toml`` ([U] local practice), the supervising departments.
The job is idempotent: a hazard moves up one level at most once per level.
"""

from __future__ import annotations

import tomllib
import uuid
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Final, NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.clock import local_today
from yingji.core.db import utcnow
from yingji.core.events import record_event
from yingji.hazards import _stats, events
from yingji.hazards._records import ENTITY, audit_view
from yingji.hazards.models import Hazard
from yingji.hazards.states import HazardStatus
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions

OPEN_FOR_DEADLINE: Final = (HazardStatus.CONFIRMED.value, HazardStatus.RECTIFYING.value)
_PAGE: Final = 200
_MAX_ORGS: Final = 5000


class EscalationConfig(NamedTuple):
    """The numbers of ``data/escalation.toml``."""

    level2_after_days: int
    run_every_minutes: int


@cache
def config() -> EscalationConfig:
    """Return the escalation settings ([U] local practice, see data/escalation.toml)."""
    text = resources.files("yingji.hazards").joinpath("data/escalation.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return EscalationConfig(int(raw["level2_after_days"]), int(raw["run_every_minutes"]))


def _covering(session: Session, kinds: tuple[OrgKind, ...]) -> list[tuple[object, str]]:
    """Return (organisation, region path) of every active organisation of the given kinds."""
    system = system_actor(source="worker")
    found: list[tuple[object, str]] = []
    paths: dict[str, str] = {}
    for kind in kinds:
        offset = 0
        while offset < _MAX_ORGS:
            rows, total = orgs.list_organisations(
                session, actor=system, kind=kind, limit=_PAGE, offset=offset
            )
            for org in rows:
                if org.region_code not in paths:
                    paths[org.region_code] = regions.path_of(session, org.region_code)
                found.append((org, paths[org.region_code]))
            offset += _PAGE
            if offset >= total:
                break
    return found


def supervising_recipients(session: Session, enterprise_id: uuid.UUID) -> list[uuid.UUID]:
    """Return the bureaus and departments supervising an enterprise (安全生产法 第四十一条).

    Those whose region covers the enterprise's and whose supervised industries (None: all)
    include the enterprise's industry.
    """
    enterprise = orgs.organisation_facts(session, enterprise_id, field="enterprise_id")
    chosen: list[uuid.UUID] = []
    for org, path in _covering(session, (OrgKind.BUREAU, OrgKind.DEPARTMENT)):
        if not enterprise.region_path.startswith(path):
            continue
        scope = getattr(org, "supervised_industries", None)
        code = enterprise.industry_code
        if scope and not (code is not None and any(code.startswith(p) for p in scope)):
            continue
        chosen.append(getattr(org, "id"))  # noqa: B009
    return chosen


def superior_recipients(session: Session, enterprise_id: uuid.UUID) -> list[uuid.UUID]:
    """Return the enterprise's superior: its parent organisation, else its nearest bureau.

    The nearest bureau is the one of the deepest region covering the enterprise's (属地).
    """
    system = system_actor(source="worker")
    enterprise = orgs.get_organisation(session, actor=system, organisation_id=enterprise_id)
    if enterprise.parent_id is not None:
        return [enterprise.parent_id]
    path = regions.path_of(session, enterprise.region_code)
    covering = [(o, p) for o, p in _covering(session, (OrgKind.BUREAU,)) if path.startswith(p)]
    if not covering:
        return []
    deepest = max(len(p) for _, p in covering)
    return [getattr(o, "id") for o, p in covering if len(p) == deepest]  # noqa: B009


def _passed_deadline(hazard: Hazard, today: date) -> date | None:
    """Return the earliest of the hazard's deadlines that has passed, or None."""
    passed = [
        d
        for d in (hazard.deadline, hazard.supervision_deadline if hazard.supervised else None)
        if d is not None and d < today
    ]
    return min(passed) if passed else None


def escalate_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Mark overdue hazards and move each up one escalation level when due; return the count."""
    moment = now or utcnow()
    today = local_today(moment)
    actor: Actor = system_actor(source="worker")
    wait = timedelta(days=config().level2_after_days)
    stmt = (
        select(Hazard)
        .where(
            Hazard.status.in_(OPEN_FOR_DEADLINE),
            Hazard.escalation_level < 2,
            or_(
                Hazard.deadline < today,
                and_(Hazard.supervised.is_(True), Hazard.supervision_deadline < today),
            ),
        )
        .order_by(Hazard.id)
        .with_for_update(skip_locked=True)
    )
    changed = 0
    for hazard in session.scalars(stmt).all():
        if _passed_deadline(hazard, today) is None:
            continue
        if hazard.escalation_level == 0:
            level, recipients = 1, superior_recipients(session, hazard.enterprise_id)
        else:
            since = local_today(hazard.escalated_at) if hazard.escalated_at else today
            if today - since < wait:
                continue
            level, recipients = 2, supervising_recipients(session, hazard.enterprise_id)
        before = audit_view(hazard)
        with _stats.tracked(session, hazard):
            hazard.overdue = True
            hazard.escalation_level = level
            hazard.escalated_at = moment
            hazard.version += 1
        session.flush()
        record_change(
            session,
            actor=actor,
            action="hazard.escalated",
            entity_type=ENTITY,
            entity_id=hazard.id,
            region_path=hazard.region_path,
            before=before,
            after=audit_view(hazard),
        )
        record_event(
            session,
            events.HazardEscalated(
                hazard_id=hazard.id,
                enterprise_id=hazard.enterprise_id,
                region_code=hazard.region_code,
                level=level,
                recipient_ids=tuple(recipients),
            ),
            actor=actor,
        )
        changed += 1
    return changed
