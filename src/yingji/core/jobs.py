"""Persisted timed jobs: deadlines and escalations that survive restarts and run once.

A job is a row scheduled in the caller's transaction, so it exists exactly when that change
committed. A worker claims one due job at a time (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED;
SQLite: a conditional UPDATE, which also takes SQLite's write lock), runs the handler in that
transaction and marks the job done in it: effects and "done" commit together, so a job never
completes twice, and a crash mid-run leaves it due. Handlers must not commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Index, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from yingji.core.db import Base, JSONType, new_id, utcnow
from yingji.core.errors import InvalidInput
from yingji.core.outbox import DEFAULT_POLICY, RetryPolicy, aware, error_text, rowcount

log = logging.getLogger(__name__)
PERIODIC_PREFIX = "periodic:"


class JobStatus(StrEnum):
    """Where a job is in its life."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # gave up after max_attempts
    CANCELLED = "cancelled"


class Job(Base):
    """One run of a named handler at (or after) ``run_at``."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # A job with a key is scheduled at most once while pending (e.g. "hazard:<id>:overdue").
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


JobHandler = Callable[[Session, dict[str, Any]], None]


@dataclass(frozen=True)
class Periodic:
    """A handler run again every ``every`` after each run."""

    name: str
    every: timedelta
    handler: JobHandler

    @property
    def kind(self) -> str:
        """Return the job kind (and dedupe key) of this periodic job."""
        return PERIODIC_PREFIX + self.name


_HANDLERS: dict[str, JobHandler] = {}
_PERIODICS: dict[str, Periodic] = {}
_warned_unknown: set[str] = set()


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the handler of a job kind: ``(session, job_payload) -> None``, never commits."""

    def decorate(handler: JobHandler) -> JobHandler:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(f"job kind {kind!r} has a handler already")
        _HANDLERS[kind] = handler
        return handler

    return decorate


def periodic(name: str, *, every: timedelta) -> Callable[[JobHandler], JobHandler]:
    """Register a handler to run every ``every`` (kept scheduled by ``ensure_periodic``)."""
    if every <= timedelta(0):
        raise ValueError("a periodic job needs a positive interval")

    def decorate(handler: JobHandler) -> JobHandler:
        entry = Periodic(name=name, every=every, handler=handler)
        job_handler(entry.kind)(handler)
        _PERIODICS[name] = entry
        return handler

    return decorate


def unregister(kind: str) -> None:
    """Forget a job kind or periodic job (tests use this to clean up)."""
    _HANDLERS.pop(kind, None)
    if kind.startswith(PERIODIC_PREFIX):
        _PERIODICS.pop(kind.removeprefix(PERIODIC_PREFIX), None)


def schedule_job(
    session: Session,
    *,
    kind: str,
    run_at: datetime,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Schedule a job in the caller's transaction; a pending job with the key is updated."""
    if kind not in _HANDLERS:
        raise InvalidInput(f"unknown job kind {kind!r}", field="kind")
    aware(run_at, field="run_at")
    if max_attempts < 1:
        raise InvalidInput("max_attempts must be at least 1", field="max_attempts")
    # UUIDs and datetimes become strings: the payload is stored as JSON.
    data: dict[str, Any] = to_jsonable_python(dict(payload or {}))
    if dedupe_key is not None:
        existing = session.scalar(
            select(Job.id).where(Job.dedupe_key == dedupe_key, Job.status == JobStatus.PENDING)
        )
        if existing is not None:
            # Conditional: if a worker is running it right now, the update waits for its commit
            # and then matches nothing (the key is released), so a new job is created below.
            stmt = (
                update(Job)
                .where(Job.id == existing, Job.status == JobStatus.PENDING)
                .values(kind=kind, run_at=run_at, payload=data, max_attempts=max_attempts)
                .execution_options(synchronize_session=False)
            )
            if rowcount(session.execute(stmt)) == 1:
                job = session.get(Job, existing, populate_existing=True)
                assert job is not None
                return job
    job = Job(
        kind=kind, payload=data, run_at=run_at, max_attempts=max_attempts, dedupe_key=dedupe_key
    )
    session.add(job)
    session.flush()
    return job


def cancel_job(session: Session, *, dedupe_key: str) -> bool:
    """Cancel the pending job with a key; return whether there was one to cancel."""
    stmt = (
        update(Job)
        .where(Job.dedupe_key == dedupe_key, Job.status == JobStatus.PENDING)
        .values(status=JobStatus.CANCELLED, finished_at=utcnow(), dedupe_key=None)
        .execution_options(synchronize_session="fetch")
    )
    return rowcount(session.execute(stmt)) > 0


def ensure_periodic(factory: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """Make sure each registered periodic job has one pending run; return how many were added."""
    current = aware(now)
    added = 0
    for entry in list(_PERIODICS.values()):
        with factory() as session:
            pending = (Job.dedupe_key == entry.kind, Job.status == JobStatus.PENDING)
            if session.scalar(select(Job.id).where(*pending)) is not None:
                continue
            session.add(Job(kind=entry.kind, payload={}, run_at=current, dedupe_key=entry.kind))
            try:
                session.commit()
                added += 1
            except IntegrityError:
                session.rollback()  # another process added it first: the key is unique
    return added


def run_due_jobs(
    factory: sessionmaker[Session],
    *,
    worker_id: str,
    now: datetime | None = None,
    limit: int = 50,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> int:
    """Run up to ``limit`` due jobs one at a time; return how many were run (or failed)."""
    fixed = aware(now) if now is not None else None
    kinds = list(_HANDLERS)
    if not kinds:
        return 0
    _warn_unknown_kinds(factory, fixed or utcnow(), kinds)
    ran = 0
    while ran < limit and _run_one(factory, worker_id, fixed or utcnow(), kinds, policy):
        ran += 1
    return ran


def _warn_unknown_kinds(factory: sessionmaker[Session], now: datetime, kinds: list[str]) -> None:
    with factory() as session:
        waiting = (Job.status == JobStatus.PENDING, Job.run_at <= now, Job.kind.not_in(kinds))
        names = session.scalars(select(Job.kind).distinct().where(*waiting)).all()
    for name in set(names) - _warned_unknown:
        log.warning("jobs: no handler for kind %r in this process; those jobs wait", name)
        _warned_unknown.add(name)


def _claim(session: Session, worker_id: str, now: datetime, kinds: list[str]) -> Job | None:
    due = (Job.status == JobStatus.PENDING, Job.run_at <= now, Job.kind.in_(kinds))
    candidates = select(Job).where(*due).order_by(Job.run_at, Job.id)
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(candidates.limit(1).with_for_update(skip_locked=True))
    # SQLite: the first conditional UPDATE takes the database write lock; if another worker
    # took our candidates first, a second look (now under the lock) sees the settled state.
    for _ in range(2):
        ids = session.scalars(candidates.with_only_columns(Job.id).limit(5)).all()
        if not ids:
            return None
        for job_id in ids:
            claim = update(Job).where(Job.id == job_id, *due).values(locked_by=worker_id)
            if rowcount(session.execute(claim.execution_options(synchronize_session=False))) == 1:
                return session.get(Job, job_id, populate_existing=True)
    return None


def _periodic_of(kind: str) -> Periodic | None:
    if not kind.startswith(PERIODIC_PREFIX):
        return None
    return _PERIODICS.get(kind.removeprefix(PERIODIC_PREFIX))


def _run_one(
    factory: sessionmaker[Session],
    worker_id: str,
    now: datetime,
    kinds: list[str],
    policy: RetryPolicy,
) -> bool:
    with factory() as session:
        job = _claim(session, worker_id, now, kinds)
        if job is None:
            session.rollback()
            return False
        job_id, kind, seen, max_attempts = job.id, job.kind, job.attempts, job.max_attempts
        entry = _periodic_of(kind)
        try:
            job.attempts, job.locked_by, job.started_at = seen + 1, worker_id, utcnow()
            _HANDLERS[kind](session, dict(job.payload or {}))
            if entry is not None:
                # Periodic jobs reuse their row: schedule the next run in the same commit.
                job.run_at, job.attempts, job.last_error = now + entry.every, 0, None
            else:
                job.status, job.dedupe_key = JobStatus.DONE, None  # free the key for later jobs
            job.finished_at = utcnow()
            session.commit()
            return True
        except Exception as exc:
            session.rollback()
            log.warning("jobs: %s %s failed (attempt %d)", kind, job_id, seen + 1, exc_info=True)
            error = exc
        # Record the failure in a new transaction; the handler's effects are gone.
        attempts = seen + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error_text(error)}
        gave_up = attempts >= max_attempts
        if gave_up and entry is not None:
            # A periodic job never stops for good: skip to its next period.
            values.update(attempts=0, run_at=now + entry.every)
        elif gave_up:
            values.update(status=JobStatus.FAILED, finished_at=utcnow(), dedupe_key=None)
        else:
            values["run_at"] = now + policy.delay(attempts)
        # Guarded by the attempt count we saw: a concurrent worker's outcome is never overwritten.
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.PENDING, Job.attempts == seen)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed = rowcount(session.execute(stmt))
        session.commit()
        if changed and gave_up:
            log.error("jobs: %s %s gave up after %d attempts: %s", kind, job_id, attempts, error)
        return True
