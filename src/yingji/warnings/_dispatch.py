"""叫应 of a warning's targets: started on issue, renewed on update, closed on lift or cancel.

Called by the authoring services in their transaction (never commits). Targets are written in
bulk (``_d_rows``); their ladders are run by the dispatcher (``jobs.Dispatcher``), which finds
them through ``next_action_at``:

- ``start_targets``: everyone the area reaches becomes a pending target whose ladder starts at
  once; a responsible person must answer by ``deadline_at`` (the level's window).
- ``warning_updated``: persons newly covered become targets; every open target is told again
  (a new round of its ladder starting now, the deadline kept unless the new level's window
  ends sooner); if the level rose, those who had answered must answer again.
- ``close_targets``: open targets are closed (nothing more is asked of anyone); everyone who
  was reached gets one notice of the lift (解除) or cancellation (撤销), which asks nothing.

Each call writes one audit entry for the warning, with counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.memory import gc_paused
from yingji.warnings._d_people import candidates
from yingji.warnings._d_rows import ASKED, KEY, write_targets
from yingji.warnings._ladder import NOTICE_CYCLE, Ladder
from yingji.warnings.config import rules
from yingji.warnings.models import DeliveryAttempt, EarlyWarning, WarningTarget
from yingji.warnings.states import (
    ENTITY,
    TargetAction,
    TargetStatus,
    WarningStatus,
    next_target_status,
)

_REACHED: Final = ("sending", "sent", "delivered")


def dispatch_actor() -> Actor:
    """Return the actor of the 叫应 engine's own changes (the dispatcher, targeting)."""
    return system_actor(source="warnings-dispatch")


def _load(session: Session, warning_id: uuid.UUID) -> EarlyWarning:
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise NotFound("no such warning", entity=ENTITY, id=str(warning_id))
    return warning


def _window(level: int) -> timedelta:
    return timedelta(seconds=rules().window_seconds(level))


def _existing_keys(session: Session, warning_id: uuid.UUID) -> set[uuid.UUID]:
    rows = session.scalars(
        select(WarningTarget.person_key).where(WarningTarget.warning_id == warning_id)
    )
    return set(rows)


def _audit(session: Session, warning: EarlyWarning, action: str, after: dict[str, Any]) -> None:
    record_change(
        session, actor=dispatch_actor(), action=f"warning_targets.{action}", entity_type=ENTITY,
        entity_id=warning.id, region_path=warning.region_path, after=after,
    )  # fmt: skip


def _add_targets(session: Session, warning: EarlyWarning, now: datetime) -> dict[str, int]:
    window = _window(warning.level)
    with gc_paused():  # a county's 100,000 rows: see core.memory
        existing = _existing_keys(session, warning.id)
        reach = candidates(session, warning)
        # Issued: everyone, each row made as the COPY takes it.
        recipients: Iterable[tuple[Any, ...]] = reach.recipients()
        count, askers = len(reach), reach.askers
        if existing:  # updated: the newly reached only
            recipients = [r for r in recipients if r[KEY] not in existing]
            count, askers = len(recipients), sum(1 for r in recipients if r[ASKED])
        write_targets(session, recipients, count=count, askers=askers, warning_id=warning.id,
                      now=now, window=window)  # fmt: skip
    return {"responsible": askers, "public": count - askers}


def start_targets(session: Session, *, warning_id: uuid.UUID, now: datetime) -> int:
    """Create the targets of a warning just issued; return how many. Never commits."""
    warning = _load(session, warning_id)
    if WarningStatus(warning.status) is not WarningStatus.ISSUED:
        raise InvalidInput("only an issued warning is sent out", field="status")
    counts = _add_targets(session, warning, now)
    _audit(session, warning, "started", {**counts, "at": now.isoformat()})
    return counts["responsible"] + counts["public"]


def _move(
    session: Session,
    warning_id: uuid.UUID,
    status: TargetStatus,
    action: TargetAction,
    values: dict[str, Any],
    *extra: Any,
) -> int:
    """Move every target of a warning in a status along the transition table (one UPDATE)."""
    target = next_target_status(status, action)
    result = session.execute(
        update(WarningTarget)
        .where(WarningTarget.warning_id == warning_id, WarningTarget.status == status.value, *extra)
        .values(status=target.value, **values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def warning_updated(
    session: Session,
    *,
    warning_id: uuid.UUID,
    now: datetime,
    level_raised: bool,
    area_changed: bool,
) -> int:
    """Re-target and tell everyone again after an update; return the targets added."""
    warning = _load(session, warning_id)
    if WarningStatus(warning.status) is not WarningStatus.ISSUED:
        raise InvalidInput("only an issued warning is sent out", field="status")
    ladder = Ladder.of(rules())
    window = _window(warning.level)
    rounds = {"step": 0, "cycle": (WarningTarget.cycle // ladder.cycles + 1) * ladder.cycles}
    open_ = WarningTarget.status.in_([TargetStatus.PENDING.value, TargetStatus.ESCALATED.value])
    told = session.execute(
        update(WarningTarget)
        .where(WarningTarget.warning_id == warning_id, open_)
        .values(next_action_at=now, **rounds)
        .execution_options(synchronize_session=False)
    )
    again = 0
    if level_raised:
        # A sooner deadline for those still pending: the new level's window may be shorter.
        session.execute(
            update(WarningTarget)
            .where(
                WarningTarget.warning_id == warning_id,
                WarningTarget.status == TargetStatus.PENDING.value,
                WarningTarget.must_acknowledge.is_(True),
                WarningTarget.deadline_at > now + window,
            )
            .values(deadline_at=now + window)
            .execution_options(synchronize_session=False)
        )
        again = _move(
            session, warning_id, TargetStatus.ACKNOWLEDGED, TargetAction.REACKNOWLEDGE,
            {"acknowledged_at": None, "ack_channel": None, "deadline_at": now + window,
             "escalated_at": None, "next_action_at": now, **rounds},
            WarningTarget.must_acknowledge.is_(True),
        )  # fmt: skip
    # Responsibilities may have changed since the issue too: resolve the area every time. The
    # targets added now start their first round with everyone else's new one.
    counts = _add_targets(session, warning, now)
    _audit(
        session, warning, "updated",
        {**counts, "told_again": int(getattr(told, "rowcount", 0) or 0),
         "asked_again": again, "level_raised": level_raised, "area_changed": area_changed,
         "at": now.isoformat()},
    )  # fmt: skip
    return counts["responsible"] + counts["public"]


def close_targets(session: Session, *, warning_id: uuid.UUID, now: datetime) -> int:
    """Close a lifted or cancelled warning's open targets; return how many were closed.

    Everyone who was reached (a message sent or delivered, or in flight) is scheduled for one
    notice of the end, on cycle ``NOTICE_CYCLE``: the dispatcher sends it once.
    """
    warning = _load(session, warning_id)
    closed = 0
    for status in (TargetStatus.PENDING, TargetStatus.ESCALATED):
        closed += _move(session, warning_id, status, TargetAction.CLOSE, {"next_action_at": None})
    reached = (
        select(DeliveryAttempt.target_id)
        .where(
            DeliveryAttempt.warning_id == warning_id,
            DeliveryAttempt.cycle >= 0,
            DeliveryAttempt.status.in_(_REACHED),
        )
        .distinct()
    )
    notified = session.execute(
        update(WarningTarget)
        .where(
            and_(
                WarningTarget.warning_id == warning_id,
                WarningTarget.status.in_(
                    [TargetStatus.CLOSED.value, TargetStatus.ACKNOWLEDGED.value]
                ),
                WarningTarget.id.in_(reached),
                ~WarningTarget.id.in_(
                    select(DeliveryAttempt.target_id).where(
                        DeliveryAttempt.warning_id == warning_id,
                        DeliveryAttempt.cycle == NOTICE_CYCLE,
                    )
                ),
            )
        )
        .values(next_action_at=now)
        .execution_options(synchronize_session=False)
    )
    _audit(
        session, warning, "closed",
        {"closed": closed, "notices": int(getattr(notified, "rowcount", 0) or 0),
         "status": warning.status, "at": now.isoformat()},
    )  # fmt: skip
    return closed


def open_count(session: Session, *, warning_id: uuid.UUID) -> int:
    """Return how many of a warning's targets still owe an answer."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(WarningTarget)
            .where(
                WarningTarget.warning_id == warning_id,
                WarningTarget.must_acknowledge.is_(True),
                WarningTarget.status.in_(
                    [TargetStatus.PENDING.value, TargetStatus.ESCALATED.value]
                ),
            )
        )
        or 0
    )
