"""Outbox relay: deliver staged events at least once to in-process subscribers.

At-least-once semantics. ``record_event`` stages an event in the business transaction, so it
exists if and only if its change committed; a crash after that commit loses nothing. The relay
fans each event out into one ``OutboxDelivery`` per subscriber, then runs each due delivery in
its own transaction: the handler gets that session and the delivery is marked delivered in it,
so a handler's database effects commit exactly once, together with "delivered". Effects outside
the database (SMS, MQTT) may repeat after a crash between the effect and the commit: such
handlers must be idempotent (key them on ``event.event_id``). A failing handler is rolled back
and retried with exponential backoff plus jitter, and after ``max_attempts`` is "dead" until an
operator requeues it; one failing subscriber never holds back others or other events.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CursorResult,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from yingji.core.db import Base, new_id, utcnow
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.events import OutboxEvent, get_subscriber, load_event, subscribers_for

if TYPE_CHECKING:
    from yingji.core.config import Settings

log = logging.getLogger(__name__)


class DeliveryStatus(StrEnum):
    """Where a delivery is in its life."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after max attempts; an operator may requeue it


class OutboxDelivery(Base):
    """The delivery of one event to one named subscriber, retried until it succeeds."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber", name="uq_delivery"),
        Index("ix_outbox_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True
    )
    subscriber: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending/delivered/dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts, and when to give up."""

    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    max_attempts: int = 10
    jitter: float = 0.25  # up to +25%, so retries of a burst of failures spread out

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """Return the policy configured in the settings."""
        return cls(
            base_seconds=settings.retry_base_seconds,
            cap_seconds=settings.retry_cap_seconds,
            max_attempts=settings.outbox_max_attempts,
        )

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after the ``attempts``-th failure: doubling, capped, jittered."""
        exponent = min(max(attempts - 1, 0), 60)  # 2**60 seconds is beyond any cap
        seconds = min(self.cap_seconds, self.base_seconds * 2**exponent)
        return timedelta(seconds=seconds * (1 + random.uniform(0, self.jitter)))


DEFAULT_POLICY = RetryPolicy()


@dataclass
class RelayStats:
    """What one relay pass did."""

    events_fanned_out: int = 0
    deliveries_created: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def aware(value: datetime | None, *, field: str = "now") -> datetime:
    """Return ``value`` (or the current time); naive datetimes are refused."""
    if value is None:
        return utcnow()
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} must be timezone-aware", field=field)
    return value


def rowcount(result: Any) -> int:
    """Return how many rows an UPDATE touched."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def error_text(exc: BaseException) -> str:
    """Return the stored description of a failure."""
    return f"{type(exc).__name__}: {exc}"[:4000]


def relay_once(
    factory: sessionmaker[Session],
    *,
    now: datetime | None = None,
    batch: int = 100,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> RelayStats:
    """Fan out staged events, then deliver the due deliveries, each in its own transaction."""
    relay = _Relay(factory, aware(now), policy)
    relay.fan_out(batch)
    for delivery_id in relay.due_delivery_ids(batch):
        relay.deliver(delivery_id)
    return relay.stats


_warned_unknown: set[str] = set()


class _Relay:
    """One pass of the relay at a fixed ``now``."""

    def __init__(self, factory: sessionmaker[Session], now: datetime, policy: RetryPolicy) -> None:
        self.factory, self.now, self.policy = factory, now, policy
        self.stats = RelayStats()

    def fan_out(self, batch: int) -> None:
        unfanned = OutboxEvent.fanned_out.is_(False)
        stmt = select(OutboxEvent).where(unfanned).order_by(OutboxEvent.created_at).limit(batch)
        with self.factory() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres:
                stmt = stmt.with_for_update(skip_locked=True)
            for event in session.scalars(stmt).all():
                # SQLite has no row locks: a conditional write claims it (and the write lock).
                claim = update(OutboxEvent).where(OutboxEvent.id == event.id, unfanned)
                claim = claim.values(fanned_out=True).execution_options(synchronize_session=False)
                if not postgres and rowcount(session.execute(claim)) != 1:
                    continue
                event.fanned_out = True
                for sub in subscribers_for(event.event_type):
                    session.add(
                        OutboxDelivery(
                            event_id=event.id, subscriber=sub.name, next_attempt_at=self.now
                        )
                    )
                    self.stats.deliveries_created += 1
                self.stats.events_fanned_out += 1
            session.commit()

    def due_delivery_ids(self, batch: int) -> list[uuid.UUID]:
        due = (
            OutboxDelivery.status == DeliveryStatus.PENDING,
            OutboxDelivery.next_attempt_at <= self.now,
        )
        with self.factory() as session:
            names = session.scalars(select(OutboxDelivery.subscriber).where(*due).distinct()).all()
            known = [name for name in names if get_subscriber(name) is not None]
            for name in set(names) - set(known) - _warned_unknown:
                # Another process (or a later version) may know it: leave its deliveries pending.
                log.warning("outbox: no subscriber %r in this process; its deliveries wait", name)
                _warned_unknown.add(name)
            stmt = (
                select(OutboxDelivery.id)
                .where(*due, OutboxDelivery.subscriber.in_(known))
                .order_by(OutboxDelivery.next_attempt_at, OutboxDelivery.id)
                .limit(batch)
            )
            return list(session.scalars(stmt).all()) if known else []

    def claim(self, session: Session, delivery_id: uuid.UUID) -> OutboxDelivery | None:
        due = (
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.status == DeliveryStatus.PENDING,
            OutboxDelivery.next_attempt_at <= self.now,
        )
        if session.get_bind().dialect.name == "postgresql":
            return session.scalar(
                select(OutboxDelivery).where(*due).with_for_update(skip_locked=True)
            )
        # SQLite: the conditional write takes the database lock and proves the row is still due.
        touch = update(OutboxDelivery).where(*due).values(attempts=OutboxDelivery.attempts)
        if rowcount(session.execute(touch.execution_options(synchronize_session=False))) != 1:
            return None
        return session.get(OutboxDelivery, delivery_id, populate_existing=True)

    def deliver(self, delivery_id: uuid.UUID) -> None:
        with self.factory() as session:
            delivery = self.claim(session, delivery_id)
            subscriber = get_subscriber(delivery.subscriber) if delivery is not None else None
            if delivery is None or subscriber is None:
                session.rollback()  # taken by another relay, or unsubscribed meanwhile
                return
            seen = delivery.attempts
            try:
                row = session.get(OutboxEvent, delivery.event_id)
                if row is None:  # pragma: no cover - the foreign key cascades deletions
                    raise LookupError(f"event {delivery.event_id} is gone")
                subscriber.handler(session, load_event(row.event_type, row.payload))
                delivery.status, delivery.attempts = DeliveryStatus.DELIVERED, seen + 1
                delivery.delivered_at, delivery.last_error = utcnow(), None
                session.commit()
                self.stats.delivered += 1
            except Exception as exc:
                session.rollback()
                log.warning("outbox: %s failed (try %d)", subscriber.name, seen + 1, exc_info=True)
                self.record_failure(session, delivery_id, seen, exc)

    def record_failure(
        self, session: Session, delivery_id: uuid.UUID, seen: int, exc: Exception
    ) -> None:
        attempts = seen + 1
        dead = attempts >= self.policy.max_attempts
        values: dict[str, Any] = {"attempts": attempts, "last_error": error_text(exc)}
        if dead:
            values["status"] = DeliveryStatus.DEAD
        else:
            values["next_attempt_at"] = self.now + self.policy.delay(attempts)
        # Guarded by the attempt count we saw: a concurrent relay's outcome is never overwritten.
        stmt = update(OutboxDelivery).where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.status == DeliveryStatus.PENDING,
            OutboxDelivery.attempts == seen,
        )
        changed = rowcount(
            session.execute(stmt.values(**values).execution_options(synchronize_session=False))
        )
        session.commit()
        if changed and dead:
            self.stats.dead += 1
            log.error(
                "outbox: delivery %s is dead after %d attempts: %s", delivery_id, attempts, exc
            )
        elif changed:
            self.stats.failed += 1


def pending_count(session: Session) -> int:
    """Return the relay's backlog: pending deliveries plus events not yet fanned out."""
    waiting = OutboxDelivery.status == DeliveryStatus.PENDING
    deliveries = session.scalar(select(func.count()).select_from(OutboxDelivery).where(waiting))
    unfanned = OutboxEvent.fanned_out.is_(False)
    events = session.scalar(select(func.count()).select_from(OutboxEvent).where(unfanned))
    return int(deliveries or 0) + int(events or 0)


def dead_deliveries(session: Session, *, limit: int = 100) -> list[OutboxDelivery]:
    """Return deliveries that gave up, newest attempt first."""
    stmt = (
        select(OutboxDelivery)
        .where(OutboxDelivery.status == DeliveryStatus.DEAD)
        .order_by(OutboxDelivery.next_attempt_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt).all())


def requeue_dead(session: Session, *, delivery_id: uuid.UUID) -> OutboxDelivery:
    """Give a dead delivery a fresh set of attempts, due now."""
    delivery = session.get(OutboxDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.DEAD:
        raise NotFound("no dead delivery with this id", field="delivery_id")
    delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
    delivery.next_attempt_at = utcnow()
    return delivery
