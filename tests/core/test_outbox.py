"""The outbox relay: nothing lost across a crash, retries, dead letters, isolation of failures."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from yingji.core.audit import AuditEntry, record_change
from yingji.core.auth.actor import system_actor
from yingji.core.db import make_engine, make_session_factory, utcnow
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.events import (
    DomainEvent,
    OutboxEvent,
    record_event,
    register_event,
    subscribe,
    unsubscribe,
)
from yingji.core.outbox import (
    DeliveryStatus,
    OutboxDelivery,
    RetryPolicy,
    dead_deliveries,
    pending_count,
    relay_once,
    requeue_dead,
)


@register_event
class GaugeRaised(DomainEvent):
    """A test event: a river gauge crossed its warning level."""

    event_type = "tests.gauge_raised"
    gauge: str
    level_cm: int


Received = list[tuple[str, str]]


@pytest.fixture
def subscribers() -> Iterator[Callable[..., None]]:
    """Register test subscribers by name; unsubscribe them all afterwards."""
    names: list[str] = []

    def add(name: str, handler: Callable[[Session, DomainEvent], None]) -> None:
        subscribe(GaugeRaised.event_type, name=name)(handler)
        names.append(name)

    yield add
    for name in names:
        unsubscribe(name)


def raise_gauge(session: Session, gauge: str = "G1") -> GaugeRaised:
    """Commit a business change with its event, as a service plus unit of work would."""
    actor = system_actor(source="tests")
    event = GaugeRaised(gauge=gauge, level_cm=420)
    record_change(
        session,
        actor=actor,
        action="gauge.raised",
        entity_type="gauge",
        entity_id=gauge,
        region_path=None,
        after={"level_cm": 420},
    )
    record_event(session, event, actor=actor)
    session.commit()
    return event


@dataclass(frozen=True)
class Seen:
    """A delivery's state at one moment."""

    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def deliveries(session: Session) -> dict[str, Seen]:
    """Return the deliveries' current state by subscriber name, fresh from the database."""
    session.expire_all()
    return {
        d.subscriber: Seen(d.status, d.attempts, d.next_attempt_at, d.last_error)
        for d in session.scalars(select(OutboxDelivery)).all()
    }


def test_crash_after_commit_loses_nothing_and_delivers_once(
    engine: Engine, database_url: str, subscribers: Callable[..., None]
) -> None:
    received: Received = []
    subscribers("tests.pager", lambda s, e: received.append(("pager", str(e.event_id))))
    subscribers("tests.board", lambda s, e: received.append(("board", str(e.event_id))))

    crashed = make_engine(database_url)
    with make_session_factory(crashed)() as session:
        event = raise_gauge(session)
    crashed.dispose()  # the process dies: the relay never ran
    assert received == []

    fresh = make_engine(database_url)
    try:
        factory = make_session_factory(fresh)
        stats = relay_once(factory)
        again = relay_once(factory, now=utcnow() + timedelta(days=1))
        with factory() as session:
            assert pending_count(session) == 0
            rows = deliveries(session)
    finally:
        fresh.dispose()
    assert sorted(received) == [("board", str(event.event_id)), ("pager", str(event.event_id))]
    assert (stats.events_fanned_out, stats.deliveries_created, stats.delivered) == (1, 2, 2)
    assert again.delivered == 0
    assert {name: (d.status, d.attempts) for name, d in rows.items()} == {
        "tests.board": ("delivered", 1),
        "tests.pager": ("delivered", 1),
    }


def test_rolled_back_change_publishes_nothing(
    session: Session, session_factory: sessionmaker[Session], subscribers: Callable[..., None]
) -> None:
    received: Received = []
    subscribers("tests.pager", lambda s, e: received.append(("pager", "")))
    record_event(session, GaugeRaised(gauge="G1", level_cm=1), actor=system_actor())
    session.rollback()

    stats = relay_once(session_factory)

    assert received == []
    assert stats.events_fanned_out == 0
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_failing_subscriber_retries_with_backoff_without_holding_back_others(
    session: Session, session_factory: sessionmaker[Session], subscribers: Callable[..., None]
) -> None:
    calls = {"flaky": 0, "steady": 0}

    def flaky(s: Session, event: DomainEvent) -> None:
        calls["flaky"] += 1
        # Its own change must be rolled back with the failure.
        record_change(
            s,
            actor=system_actor(),
            action="flaky.tried",
            entity_type="gauge",
            entity_id="G1",
            region_path=None,
        )
        if calls["flaky"] <= 2:
            raise RuntimeError(f"pager gateway down ({calls['flaky']})")

    def steady(s: Session, event: DomainEvent) -> None:
        calls["steady"] += 1

    subscribers("tests.flaky", flaky)
    subscribers("tests.steady", steady)
    raise_gauge(session)
    t0 = utcnow()

    first = relay_once(session_factory, now=t0)
    after_first = deliveries(session)
    not_yet_due = relay_once(session_factory, now=t0)
    relay_once(session_factory, now=t0 + timedelta(days=1))
    after_second = deliveries(session)
    relay_once(session_factory, now=t0 + timedelta(days=2))
    final = deliveries(session)

    assert (first.delivered, first.failed) == (1, 1)
    assert after_first["tests.steady"].status == DeliveryStatus.DELIVERED
    assert after_first["tests.flaky"].status == DeliveryStatus.PENDING
    assert after_first["tests.flaky"].attempts == 1
    assert after_first["tests.flaky"].next_attempt_at > t0
    assert after_first["tests.flaky"].last_error == "RuntimeError: pager gateway down (1)"
    assert not_yet_due.delivered + not_yet_due.failed == 0
    assert after_second["tests.flaky"].attempts == 2
    assert final["tests.flaky"].status == DeliveryStatus.DELIVERED
    assert final["tests.flaky"].attempts == 3
    assert final["tests.flaky"].last_error is None
    assert calls == {"flaky": 3, "steady": 1}
    tried = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "flaky.tried"))
    assert tried.all() == ["flaky.tried"]  # only the successful attempt's change survived


def test_handler_receives_the_typed_event(
    session: Session, session_factory: sessionmaker[Session], subscribers: Callable[..., None]
) -> None:
    seen: list[DomainEvent] = []
    subscribers("tests.typed", lambda s, e: seen.append(e))
    event = raise_gauge(session, gauge="G7")

    relay_once(session_factory)

    assert seen == [event]
    assert isinstance(seen[0], GaugeRaised)


def test_delivery_goes_dead_after_max_attempts_and_can_be_requeued(
    session: Session,
    session_factory: sessionmaker[Session],
    subscribers: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(s: Session, event: DomainEvent) -> None:
        raise ValueError("bad template")

    subscribers("tests.broken", broken)
    raise_gauge(session)
    policy = RetryPolicy(base_seconds=1, cap_seconds=10, max_attempts=2)
    t0 = utcnow()

    relay_once(session_factory, now=t0, policy=policy)
    with caplog.at_level(logging.ERROR, logger="yingji.core.outbox"):
        stats = relay_once(session_factory, now=t0 + timedelta(minutes=1), policy=policy)
    later = relay_once(session_factory, now=t0 + timedelta(days=1), policy=policy)

    assert stats.dead == 1
    assert later.failed + later.dead == 0
    dead = dead_deliveries(session)
    assert [(d.subscriber, d.attempts, d.last_error) for d in dead] == [
        ("tests.broken", 2, "ValueError: bad template")
    ]
    assert any("dead after 2 attempts" in r.getMessage() for r in caplog.records)
    assert pending_count(session) == 0

    requeue_dead(session, delivery_id=dead[0].id)
    session.commit()
    assert pending_count(session) == 1
    with pytest.raises(NotFound):
        requeue_dead(session, delivery_id=dead[0].id)


def test_unknown_subscriber_leaves_delivery_pending_and_warns_once(
    session: Session, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    event = raise_gauge(session)
    name = f"tests.elsewhere.{uuid.uuid4().hex[:8]}"  # new per run: the warning is once per name
    # Fanned out by a process that knows this subscriber; this one does not.
    session.add(OutboxDelivery(event_id=event.event_id, subscriber=name))
    session.commit()

    with caplog.at_level(logging.WARNING, logger="yingji.core.outbox"):
        relay_once(session_factory)
        relay_once(session_factory)

    rows = deliveries(session)
    assert rows[name].status == DeliveryStatus.PENDING
    assert rows[name].attempts == 0
    assert len([r for r in caplog.records if name in r.getMessage()]) == 1


def test_event_without_subscribers_is_marked_fanned_out(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    raise_gauge(session)
    assert pending_count(session) == 1

    stats = relay_once(session_factory)

    assert (stats.events_fanned_out, stats.deliveries_created) == (1, 0)
    assert pending_count(session) == 0


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=30, jitter=0.25)

    delays = [policy.delay(n).total_seconds() for n in (1, 2, 3, 10, 500)]

    assert 2 <= delays[0] <= 2.5
    assert 4 <= delays[1] <= 5
    assert 8 <= delays[2] <= 10
    assert 30 <= delays[3] <= 37.5
    assert 30 <= delays[4] <= 37.5


def test_naive_now_is_refused(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput):
        relay_once(session_factory, now=utcnow().replace(tzinfo=None))
