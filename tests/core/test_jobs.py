"""Timed jobs: scheduled with the business transaction, run once, retried, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from yingji.core.db import make_engine, make_session_factory, utcnow
from yingji.core.errors import InvalidInput
from yingji.core.jobs import (
    Job,
    cancel_job,
    ensure_periodic,
    job_handler,
    periodic,
    run_due_jobs,
    schedule_job,
    unregister,
)
from yingji.core.outbox import RetryPolicy

Calls = list[dict[str, Any]]


@pytest.fixture
def handlers() -> Iterator[Callable[[str, Callable[[Session, dict[str, Any]], None]], None]]:
    """Register test job handlers by kind; unregister them afterwards."""
    kinds: list[str] = []

    def add(kind: str, handler: Callable[[Session, dict[str, Any]], None]) -> None:
        job_handler(kind)(handler)
        kinds.append(kind)

    yield add
    for kind in kinds:
        unregister(kind)


@pytest.fixture
def recorder(handlers: Callable[..., None]) -> Calls:
    """Register the kind "tests.record", whose handler remembers each payload it ran with."""
    calls: Calls = []
    handlers("tests.record", lambda s, payload: calls.append(payload))
    return calls


def job_states(session: Session) -> list[tuple[str, int, str | None]]:
    """Return (status, attempts, dedupe_key) of every job, fresh from the database."""
    session.expire_all()
    rows = session.scalars(select(Job).order_by(Job.created_at)).all()
    return [(j.status, j.attempts, j.dedupe_key) for j in rows]


def test_due_job_runs_once_and_is_done(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    schedule_job(session, kind="tests.record", run_at=utcnow(), payload={"hazard": "H1"})
    session.commit()

    first = run_due_jobs(session_factory, worker_id="w1")
    second = run_due_jobs(session_factory, worker_id="w1", now=utcnow() + timedelta(days=1))

    assert (first, second) == (1, 0)
    assert recorder == [{"hazard": "H1"}]
    assert job_states(session) == [("done", 1, None)]


def test_job_waits_until_run_at(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    t0 = utcnow()
    schedule_job(session, kind="tests.record", run_at=t0 + timedelta(hours=2))
    session.commit()

    assert run_due_jobs(session_factory, worker_id="w1", now=t0 + timedelta(hours=1)) == 0
    assert run_due_jobs(session_factory, worker_id="w1", now=t0 + timedelta(hours=2)) == 1
    assert len(recorder) == 1


def test_job_scheduled_in_a_rolled_back_transaction_does_not_exist(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    schedule_job(session, kind="tests.record", run_at=utcnow(), dedupe_key="rolled-back")
    session.rollback()

    assert run_due_jobs(session_factory, worker_id="w1") == 0
    assert session.scalar(select(func.count()).select_from(Job)) == 0
    assert recorder == []


def test_job_survives_a_restart(engine: Engine, database_url: str, recorder: Calls) -> None:
    before = make_engine(database_url)
    with make_session_factory(before)() as s:
        schedule_job(s, kind="tests.record", run_at=utcnow(), payload={"n": 1})
        s.commit()
    before.dispose()  # the process stops before any worker ran

    after = make_engine(database_url)
    try:
        ran = run_due_jobs(make_session_factory(after), worker_id="restarted")
    finally:
        after.dispose()
    assert ran == 1
    assert recorder == [{"n": 1}]


def test_dedupe_key_updates_the_pending_job_and_is_freed_when_done(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    t0 = utcnow()
    first = schedule_job(
        session,
        kind="tests.record",
        run_at=t0 + timedelta(hours=1),
        dedupe_key="hazard:H1",
        payload={"v": 1},
    )
    again = schedule_job(
        session, kind="tests.record", run_at=t0, dedupe_key="hazard:H1", payload={"v": 2}
    )
    session.commit()
    assert again.id == first.id
    assert again.run_at == t0
    assert session.scalar(select(func.count()).select_from(Job)) == 1

    run_due_jobs(session_factory, worker_id="w1", now=t0)
    later = schedule_job(session, kind="tests.record", run_at=t0, dedupe_key="hazard:H1")
    session.commit()

    assert recorder == [{"v": 2}]
    assert later.id != first.id
    assert job_states(session) == [("done", 1, None), ("pending", 0, "hazard:H1")]


def test_cancel_job(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    schedule_job(session, kind="tests.record", run_at=utcnow(), dedupe_key="warn:W1")
    session.commit()

    assert cancel_job(session, dedupe_key="warn:W1") is True
    assert cancel_job(session, dedupe_key="warn:W1") is False
    session.commit()

    assert run_due_jobs(session_factory, worker_id="w1") == 0
    assert recorder == []
    assert job_states(session) == [("cancelled", 0, None)]


def test_schedule_refuses_unknown_kinds_and_naive_times(session: Session, recorder: Calls) -> None:
    with pytest.raises(InvalidInput) as unknown:
        schedule_job(session, kind="tests.nobody", run_at=utcnow())
    with pytest.raises(InvalidInput) as naive:
        schedule_job(session, kind="tests.record", run_at=utcnow().replace(tzinfo=None))
    with pytest.raises(InvalidInput) as attempts:
        schedule_job(session, kind="tests.record", run_at=utcnow(), max_attempts=0)

    assert (unknown.value.field, naive.value.field, attempts.value.field) == (
        "kind",
        "run_at",
        "max_attempts",
    )
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_run_due_jobs_refuses_a_naive_now(
    session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    with pytest.raises(InvalidInput):
        run_due_jobs(session_factory, worker_id="w1", now=utcnow().replace(tzinfo=None))


def test_failing_job_is_rolled_back_retried_with_backoff_then_failed(
    session: Session, session_factory: sessionmaker[Session], handlers: Callable[..., None]
) -> None:
    def broken(s: Session, payload: dict[str, Any]) -> None:
        s.add(Job(kind="tests.side_effect", run_at=utcnow(), payload={}))  # must not survive
        raise RuntimeError("escalation target missing")

    handlers("tests.broken", broken)
    schedule_job(session, kind="tests.broken", run_at=utcnow(), max_attempts=2)
    session.commit()
    t0 = utcnow()
    policy = RetryPolicy(base_seconds=60, cap_seconds=600)

    assert run_due_jobs(session_factory, worker_id="w1", now=t0, policy=policy) == 1
    session.expire_all()
    job = session.scalars(select(Job)).one()
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error == "RuntimeError: escalation target missing"
    assert t0 + timedelta(seconds=60) <= job.run_at <= t0 + timedelta(seconds=75)
    assert run_due_jobs(session_factory, worker_id="w1", now=t0, policy=policy) == 0

    run_due_jobs(session_factory, worker_id="w1", now=t0 + timedelta(hours=1), policy=policy)

    assert job_states(session) == [("failed", 2, None)]


def test_periodic_job_is_kept_scheduled_and_reschedules_itself(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    runs: list[str] = []

    @periodic("tests.sweep", every=timedelta(minutes=10))
    def sweep(s: Session, payload: dict[str, Any]) -> None:
        runs.append("swept")

    try:
        t0 = utcnow()
        assert ensure_periodic(session_factory, now=t0) >= 1  # (other contexts may have some)
        assert ensure_periodic(session_factory, now=t0) == 0  # one pending run each, not two

        run_due_jobs(session_factory, worker_id="w1", now=t0)
        run_due_jobs(session_factory, worker_id="w1", now=t0 + timedelta(minutes=5))
        run_due_jobs(session_factory, worker_id="w1", now=t0 + timedelta(minutes=10))

        assert runs == ["swept", "swept"]
        session.expire_all()
        job = session.scalars(select(Job).where(Job.kind == "periodic:tests.sweep")).one()
        assert (job.status, job.dedupe_key) == ("pending", "periodic:tests.sweep")
        assert job.run_at == t0 + timedelta(minutes=20)
    finally:
        unregister("periodic:tests.sweep")


def test_jobs_of_unknown_kinds_wait(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    session.add(Job(kind="tests.other_process", run_at=utcnow(), payload={}))
    session.commit()

    assert run_due_jobs(session_factory, worker_id="w1") == 0
    assert job_states(session) == [("pending", 0, None)]


def test_never_run_twice_within_a_process(
    session: Session, session_factory: sessionmaker[Session], recorder: Calls
) -> None:
    for n in range(5):
        schedule_job(session, kind="tests.record", run_at=utcnow(), payload={"n": n})
    session.commit()

    ran = run_due_jobs(session_factory, worker_id="w1", limit=3)
    ran += run_due_jobs(session_factory, worker_id="w2")
    ran += run_due_jobs(session_factory, worker_id="w1")

    assert ran == 5
    assert sorted(c["n"] for c in recorder) == [0, 1, 2, 3, 4]
