"""One planning pass of the dispatcher: claim due targets, take their rungs, commit the attempts.

A target is due when ``next_action_at <= now`` (index ``ix_warning_targets_due``), which is
the earlier of its next rung and, while it owes an answer, its deadline. Due targets are
claimed in time order: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers share
the queue; on SQLite a first write takes the database's write lock for the pass. For each:

- a warning that ended: its one notice (解除/撤销) if it was reached, then nothing more;
- a pending target past its deadline: escalated (未叫应), the superior called (``_d_escalate``);
- every rung due: one ``DeliveryAttempt`` each (in-app attempts *are* the in-app notification,
  delivered at once; the others start as ``sending``), and the ladder moves on.

Everything is written in the caller's transaction, which commits before anything is sent: a
crash after the commit leaves attempts in ``sending``, which are sent again under the same
delivery id (``_d_send.claim_stale``); the unique (target, cycle, step) of attempts means a
rung is never attempted twice.

When a wake-up was for the deadline, the next rung's time is not stored: it is recomputed from
the last attempt (``_ladder.due_after``), which keeps the ladder's timing exact.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.warnings._d_bulk import Encoder
from yingji.warnings._d_escalate import Silent, SuperiorCache, WarningScope, escalate
from yingji.warnings._d_messages import Purpose, Recipient, WarningFacts, build_delivery
from yingji.warnings._d_people import chunks, duties_of
from yingji.warnings._ladder import (
    NOTICE_CYCLE,
    PUBLIC_STEP,
    Ladder,
    advance,
    due_after,
    notice_channel,
    public_channel,
    reachable,
)
from yingji.warnings.channels import ChannelName, Delivery, ReceiptStatus
from yingji.warnings.config import WarningRules
from yingji.warnings.models import DeliveryAttempt, EarlyWarning, WarningTarget
from yingji.warnings.states import TargetAction, TargetStatus, WarningStatus, next_target_status

SENDING = "sending"
TargetRow = Any  # a claimed row: the columns of CLAIM_COLUMNS by name
T = WarningTarget
CLAIM_COLUMNS = (
    T.id, T.warning_id, T.kind, T.name, T.region_code, T.region_path, T.escalated_from_id,
    T.must_acknowledge, T.status, T.step, T.cycle, T.next_action_at, T.deadline_at,
    T.escalated_at, T.user_id, T.mobile, T.email, T.language, T.token_nonce, T.reply_code,
)  # fmt: skip
ATTEMPT_COLUMNS = (
    "id", "target_id", "warning_id", "channel", "cycle", "step", "status",
    "provider_message_id", "reason", "retryable", "created_at", "updated_at",
)  # fmt: skip
TARGET_UPDATE = (
    ("status", "varchar"), ("step", "int4"), ("cycle", "int4"),
    ("next_action_at", "timestamptz"), ("escalated_at", "timestamptz"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A committed attempt to hand to its channel."""

    attempt_id: uuid.UUID
    warning_id: uuid.UUID
    purpose: Purpose
    delivery: Delivery


@dataclass(slots=True)
class Planned:
    """What a planning pass did, and what is now to be sent."""

    claimed: int = 0
    attempts: int = 0
    in_app: int = 0
    escalated: int = 0
    notices: int = 0
    outgoing: list[Outgoing] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Context:
    """What rendering needs besides the rows: the token key, the link base, the ladder."""

    rules: WarningRules
    ladder: Ladder
    key: bytes
    base_url: str
    actor: Actor
    superiors: SuperiorCache = field(default_factory=SuperiorCache)


def facts_of(warning: EarlyWarning) -> WarningFacts:
    """Return what deliveries need of a warning."""
    return WarningFacts(
        id=warning.id, status=warning.status, level=warning.level, event=warning.event,
        event_en=warning.event_en, area_desc=warning.area_desc,
        sender_name=warning.sender_name, sender_name_en=warning.sender_name_en,
        instruction=warning.instruction, instruction_en=warning.instruction_en,
        issued_at=warning.updated_issue_at or warning.issued_at,
    )  # fmt: skip


def recipient_of(row: Any, on_behalf_of: str | None = None) -> Recipient:
    """Return the recipient of a target row (a claimed row or a target)."""
    return Recipient(
        id=row.id, user_id=row.user_id, mobile=row.mobile, email=row.email,
        language=row.language, must_acknowledge=row.must_acknowledge,
        token_nonce=row.token_nonce, reply_code=row.reply_code, on_behalf_of=on_behalf_of,
    )  # fmt: skip


def silent_names(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Return who each of some targets is, as a superior's message names them (title, name)."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[uuid.UUID, str] = {}
    for part in chunks(wanted):
        for target_id, title, name in session.execute(
            select(T.id, T.title, T.name).where(T.id.in_(part))
        ):
            found[target_id] = f"{title or ''}{name}"
    return found


def claim(session: Session, *, now: datetime, limit: int) -> list[TargetRow]:
    """Return up to ``limit`` due targets, locked for this transaction, oldest due first."""
    query = (
        select(*CLAIM_COLUMNS)
        .where(WarningTarget.next_action_at <= now)
        .order_by(WarningTarget.next_action_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:  # take SQLite's write lock first, so that no other writer slips in between
        session.execute(text("UPDATE warning_targets SET step = step WHERE 1 = 0"))
    return list(session.execute(query).all())


def next_due(session: Session) -> datetime | None:
    """Return when the earliest target falls due (one index lookup)."""
    return session.scalar(
        select(WarningTarget.next_action_at)
        .where(WarningTarget.next_action_at.is_not(None))
        .order_by(WarningTarget.next_action_at)
        .limit(1)
    )


def _last_rungs(
    session: Session, target_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int, datetime]]:
    """Return the latest rung taken by each target: (cycle, step, when)."""
    last: dict[uuid.UUID, tuple[int, int, datetime]] = {}
    for part in chunks(target_ids):
        rows = session.execute(
            select(
                DeliveryAttempt.target_id, DeliveryAttempt.cycle, DeliveryAttempt.step,
                DeliveryAttempt.created_at,
            ).where(DeliveryAttempt.target_id.in_(part), DeliveryAttempt.cycle >= 0)
        )  # fmt: skip
        for target_id, cycle, step, at in rows:
            if target_id not in last or (cycle, step) > last[target_id][:2]:
                last[target_id] = (cycle, step, at)
    return last


def _reached(
    session: Session, target_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[str]], set[uuid.UUID]]:
    """Return the channels that reached each target, and the targets given their notice."""
    reached: dict[uuid.UUID, list[str]] = defaultdict(list)
    noticed: set[uuid.UUID] = set()
    for part in chunks(target_ids):
        rows = session.execute(
            select(DeliveryAttempt.target_id, DeliveryAttempt.channel, DeliveryAttempt.cycle,
                   DeliveryAttempt.status)
            .where(DeliveryAttempt.target_id.in_(part))
        )  # fmt: skip
        for target_id, channel, cycle, status in rows:
            if cycle == NOTICE_CYCLE:
                noticed.add(target_id)
            elif status != ReceiptStatus.FAILED:
                reached[target_id].append(channel)
    return reached, noticed


class _Pass:
    """The state of one planning pass."""

    def __init__(self, ctx: Context, now: datetime, warnings: dict[uuid.UUID, EarlyWarning]):
        self.ctx, self.now, self.warnings = ctx, now, warnings
        self.facts = {w.id: facts_of(w) for w in warnings.values()}
        self.attempts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[Any, ...]] = []
        self.silent: dict[uuid.UUID, list[Silent]] = defaultdict(list)
        self.result = Planned()
        self.origins: dict[uuid.UUID, str] = {}  # silent targets superiors are called for

    def attempt(self, row: TargetRow, cycle: int, step: int, channel: ChannelName,
                purpose: Purpose) -> None:  # fmt: skip
        """Record one attempt; queue it for sending unless it is in-app (delivered now)."""
        attempt_id = uuid.uuid4()
        in_app = channel is ChannelName.INAPP
        status = ReceiptStatus.DELIVERED.value if in_app else SENDING
        self.attempts.append(
            (attempt_id, row.id, row.warning_id, channel.value, cycle, step, status, None,
             None, False, self.now, self.now)
        )  # fmt: skip
        self.result.attempts += 1
        if in_app:
            self.result.in_app += 1
            return
        delivery = build_delivery(
            delivery_id=attempt_id, channel=channel,
            recipient=recipient_of(row, self.origins.get(row.escalated_from_id)),
            warning=self.facts[row.warning_id], purpose=purpose, key=self.ctx.key,
            base_url=self.ctx.base_url,
        )  # fmt: skip
        self.result.outgoing.append(Outgoing(attempt_id, row.warning_id, purpose, delivery))

    def update(self, row: TargetRow, *, status: str, step: int, cycle: int,
               next_at: datetime | None, escalated_at: datetime | None) -> None:  # fmt: skip
        """Record the target's new place on its ladder."""
        self.updates.append((row.id, status, step, cycle, next_at, escalated_at))


def _can_reach(row: TargetRow) -> Any:
    return lambda channel: reachable(
        channel, user_id=row.user_id, mobile=row.mobile, email=row.email
    )


def _notice(
    p: _Pass, row: TargetRow, reached: dict[uuid.UUID, list[str]], noticed: set[uuid.UUID]
) -> None:
    channel = notice_channel(reached.get(row.id, []), _can_reach(row))
    if channel is not None and row.id not in noticed:
        p.attempt(row, NOTICE_CYCLE, 0, channel, "notice")
        p.result.notices += 1
    p.update(row, status=row.status, step=row.step, cycle=row.cycle, next_at=None,
             escalated_at=row.escalated_at)  # fmt: skip


def _public(p: _Pass, row: TargetRow) -> None:
    step = row.step
    if step == PUBLIC_STEP:
        channel = public_channel(p.ctx.ladder, _can_reach(row))
        if channel is not None:
            p.attempt(row, row.cycle, PUBLIC_STEP, channel, "tell")
        step = PUBLIC_STEP + 1
    p.update(row, status=row.status, step=step, cycle=row.cycle, next_at=None,
             escalated_at=row.escalated_at)  # fmt: skip


def _asked(p: _Pass, row: TargetRow, last: dict[uuid.UUID, tuple[int, int, datetime]]) -> None:
    ladder, now = p.ctx.ladder, p.now
    status = TargetStatus(row.status)
    escalated_at = row.escalated_at
    rung_at: datetime | None
    if row.step >= ladder.rested:
        rung_at = None
    elif status is TargetStatus.PENDING and row.next_action_at >= row.deadline_at:
        # Woken for the deadline: when is the next rung due?
        taken = last.get(row.id)
        rung_at = None
        if taken is not None:
            rung_at = due_after(ladder, taken=taken[:2], taken_at=taken[2],
                                next_rung=(row.cycle, row.step))  # fmt: skip
        rung_at = rung_at or now
    else:
        rung_at = row.next_action_at
    if status is TargetStatus.PENDING and row.deadline_at <= now:
        status = next_target_status(status, TargetAction.ESCALATE)
        escalated_at = now
        p.silent[row.warning_id].append(
            Silent(id=row.id, warning_id=row.warning_id, kind=row.kind, name=row.name,
                   region_code=row.region_code, region_path=row.region_path,
                   escalated_from_id=row.escalated_from_id)
        )  # fmt: skip
    cycle, step = row.cycle, row.step
    if rung_at is not None and rung_at <= now:
        moved = advance(ladder, cycle=cycle, step=step, now=now, can_reach=_can_reach(row))
        for rung in moved.rungs:
            p.attempt(row, rung.cycle, rung.step, rung.channel, "ask")
        cycle, step, rung_at = moved.cycle, moved.step, moved.next_at
    next_at = rung_at
    if status is TargetStatus.PENDING:
        next_at = row.deadline_at if rung_at is None else min(rung_at, row.deadline_at)
    p.update(row, status=status.value, step=step, cycle=cycle, next_at=next_at,
             escalated_at=escalated_at)  # fmt: skip


def plan_due(session: Session, *, ctx: Context, now: datetime, limit: int) -> Planned:
    """Claim and plan up to ``limit`` due targets in the session's transaction (no commit)."""
    rows = claim(session, now=now, limit=limit)
    if not rows:
        return Planned()
    ids = {row.warning_id for row in rows}
    warnings = {
        w.id: w for w in session.scalars(select(EarlyWarning).where(EarlyWarning.id.in_(ids)))
    }
    p = _Pass(ctx, now, warnings)
    p.origins = silent_names(session, (r.escalated_from_id for r in rows))
    p.result.claimed = len(rows)
    ended = {WarningStatus.LIFTED.value, WarningStatus.CANCELLED.value}
    notice_rows = [r for r in rows if warnings[r.warning_id].status in ended]
    reached, noticed = _reached(session, [r.id for r in notice_rows])
    unknown = [
        r.id for r in rows
        if r.must_acknowledge and r.status == TargetStatus.PENDING.value
        and r.step < ctx.ladder.rested and r.next_action_at >= r.deadline_at
    ]  # fmt: skip
    last = _last_rungs(session, unknown)
    for row in rows:
        warning_status = warnings[row.warning_id].status
        if warning_status in ended:
            _notice(p, row, reached, noticed)
        elif warning_status != WarningStatus.ISSUED or not TargetStatus(row.status).open:
            p.update(row, status=row.status, step=row.step, cycle=row.cycle, next_at=None,
                     escalated_at=row.escalated_at)  # fmt: skip
        elif not row.must_acknowledge:
            _public(p, row)
        else:
            _asked(p, row, last)
    encoder = Encoder(session)
    encoder.insert("warning_deliveries", ATTEMPT_COLUMNS, p.attempts)
    for warning_id, silent in p.silent.items():
        warning = warnings[warning_id]
        scope = WarningScope(
            id=warning.id, region_path=warning.region_path, duties=tuple(duties_of(warning)),
            window=timedelta(seconds=ctx.rules.window_seconds(warning.level)),
        )  # fmt: skip
        escalate(session, warning=scope, silent=silent, now=now,
                 max_escalations=ctx.rules.max_escalations, actor=ctx.actor,
                 cache=ctx.superiors)  # fmt: skip
        p.result.escalated += len(silent)
    encoder.update("warning_targets", TARGET_UPDATE, p.updates)
    return p.result
