"""The 叫应 board and the in-app inbox.

``tracking_board``: for one warning, within a region of the actor's subtree (default: the
actor's own), the counts of those asked to answer (acknowledged / pending / escalated 未叫应 /
closed) and the people evacuated, rolled up to each child region (each row covers the child's
whole subtree; a row for the region itself holds those placed on it), and who has not
answered yet: the escalated first, then by deadline. Needs warning:track and a warning the
actor may read.

``inbox``: the open in-app notifications of the actor's own user: the warnings they were sent
in the app and have not answered, newest first, each with its acknowledgement link.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.errors import DomainError
from yingji.regions import service as regions
from yingji.warnings._authoring import get_warning
from yingji.warnings._d_messages import build_delivery
from yingji.warnings._d_people import chunks
from yingji.warnings._d_plan import facts_of, recipient_of, silent_names
from yingji.warnings._feedback import latest_reports
from yingji.warnings._tokens import key_of
from yingji.warnings.channels import ChannelName, InAppNotification, build_inapp_notification
from yingji.warnings.models import DeliveryAttempt, EarlyWarning, WarningTarget
from yingji.warnings.schemas import TargetKind
from yingji.warnings.states import TargetStatus

OPEN: Final = (TargetStatus.PENDING.value, TargetStatus.ESCALATED.value)


class RegionCounts(BaseModel):
    """Where the answers stand in one region (with its subtree)."""

    region_code: str
    name: str | None = None
    acknowledged: int = 0
    pending: int = 0
    escalated: int = 0
    closed: int = 0
    evacuated: int = 0

    @property
    def asked(self) -> int:
        """Everyone asked to answer."""
        return self.acknowledged + self.pending + self.escalated + self.closed


class Unanswered(BaseModel):
    """Someone who has not answered yet."""

    target_id: uuid.UUID
    name: str
    kind: TargetKind
    region_code: str
    title: str | None
    mobile: str | None
    since: datetime  # first asked
    deadline_at: datetime
    escalated: bool  # 未叫应
    escalated_at: datetime | None


class TrackingBoard(BaseModel):
    """The 叫应 board of a warning within a region."""

    warning_id: uuid.UUID
    region_code: str | None
    totals: RegionCounts
    regions: list[RegionCounts]
    unanswered: list[Unanswered]
    unanswered_total: int


class InboxItem(BaseModel):
    """An open in-app notification."""

    target_id: uuid.UUID
    status: TargetStatus
    deadline_at: datetime
    delivered_at: datetime
    notification: InAppNotification


def child_code(path: str, scope: str, scope_code: str | None) -> str:
    """Return the code of the child of ``scope`` holding ``path`` (the scope's own code on it)."""
    rest = path[len(scope) :]
    return rest.split("/", 1)[0] if rest else (scope_code or "")


def _names(session: Session, actor: Actor, code: str | None) -> dict[str, str]:
    """Return the names of a region and its children, if the actor may read regions."""
    if code is None:
        return {}
    try:
        own = regions.get_region(session, actor=actor, code=code)
        children = regions.list_children(session, actor=actor, code=code)
    except DomainError:
        return {}
    return {own.code: own.name, **{c.code: c.name for c in children}}


def tracking_board(
    session: Session,
    *,
    actor: Actor,
    warning_id: uuid.UUID,
    region_code: str | None = None,
    limit: int = 500,
) -> TrackingBoard:
    """Return the 叫应 board of a warning within a region of the actor's subtree."""
    actor.require(Permission.WARNING_TRACK)
    get_warning(session, actor=actor, warning_id=warning_id)
    scope_code = region_code or actor.region_code
    scope = regions.path_of(session, region_code) if region_code else actor.region_path
    actor.require_region(scope, what="region")
    low, high = subtree_range(scope)
    T = WarningTarget
    within = (T.warning_id == warning_id, T.region_path >= low, T.region_path < high)
    counts: dict[str, RegionCounts] = {}
    totals = RegionCounts(region_code=scope_code or "")
    rows = session.execute(
        select(T.region_path, T.status, func.count())
        .where(*within, T.must_acknowledge.is_(True))
        .group_by(T.region_path, T.status)
    )
    for path, status, count in rows:
        code = child_code(path, scope, scope_code)
        row = counts.setdefault(code, RegionCounts(region_code=code))
        for bucket in (row, totals):
            setattr(bucket, status, getattr(bucket, status) + int(count))
    for report in latest_reports(session, warning_id=warning_id, low=low, high=high):
        code = child_code(report.region_path, scope, scope_code)
        counts.setdefault(code, RegionCounts(region_code=code)).evacuated += report.evacuated
        totals.evacuated += report.evacuated
    names = _names(session, actor, scope_code)
    for row in counts.values():
        row.name = names.get(row.region_code)
    totals.name = names.get(totals.region_code)
    waiting = session.scalars(
        select(T)
        .where(*within, T.must_acknowledge.is_(True), T.status.in_(OPEN))
        .order_by(T.escalated_at.is_(None), T.deadline_at, T.name)
        .limit(limit)
    )
    unanswered = [
        Unanswered(
            target_id=t.id, name=t.name, kind=TargetKind(t.kind), region_code=t.region_code,
            title=t.title, mobile=t.mobile, since=t.created_at, deadline_at=t.deadline_at,
            escalated=t.status == TargetStatus.ESCALATED.value, escalated_at=t.escalated_at,
        )
        for t in waiting
    ]  # fmt: skip
    return TrackingBoard(
        warning_id=warning_id, region_code=scope_code, totals=totals,
        regions=sorted(counts.values(), key=lambda r: r.region_code), unanswered=unanswered,
        unanswered_total=totals.pending + totals.escalated,
    )  # fmt: skip


def inbox(session: Session, *, actor: Actor, settings: Settings) -> list[InboxItem]:
    """Return the open in-app notifications of the actor's own user, newest first."""
    if actor.user_id is None:
        return []
    targets = {
        t.id: t
        for t in session.scalars(
            select(WarningTarget).where(
                WarningTarget.user_id == actor.user_id, WarningTarget.status.in_(OPEN)
            )
        )
    }
    latest: dict[uuid.UUID, DeliveryAttempt] = {}
    for part in chunks(sorted(targets)):
        for attempt in session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.target_id.in_(part),
                DeliveryAttempt.channel == ChannelName.INAPP.value,
            )
        ):
            current = latest.get(attempt.target_id)
            if current is None or attempt.created_at > current.created_at:
                latest[attempt.target_id] = attempt
    warning_ids = {targets[i].warning_id for i in latest}
    warnings = {
        w.id: facts_of(w)
        for w in session.scalars(select(EarlyWarning).where(EarlyWarning.id.in_(warning_ids)))
    }
    key = key_of(settings)
    origins = silent_names(session, (targets[i].escalated_from_id for i in latest))
    items: list[InboxItem] = []
    for target_id, attempt in latest.items():
        target = targets[target_id]
        facts = warnings.get(target.warning_id)
        if facts is None:  # pragma: no cover - warnings are never deleted
            continue
        delivery = build_delivery(
            delivery_id=attempt.id, channel=ChannelName.INAPP,
            recipient=recipient_of(
                target, origins.get(target.escalated_from_id) if target.escalated_from_id else None
            ),
            warning=facts, purpose="ask", key=key, base_url=settings.public_base_url,
        )  # fmt: skip
        items.append(
            InboxItem(
                target_id=target.id,
                status=TargetStatus(target.status),
                deadline_at=target.deadline_at,
                delivered_at=attempt.created_at,
                notification=build_inapp_notification(delivery),
            )
        )
    return sorted(items, key=lambda i: i.delivered_at, reverse=True)
