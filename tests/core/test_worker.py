"""The background worker: delivers events and runs jobs, survives errors, stops on signals."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yingji.app import create_app
from yingji.core.auth.actor import system_actor
from yingji.core.config import Settings
from yingji.core.db import make_engine, make_session_factory, utcnow
from yingji.core.events import DomainEvent, record_event, register_event, subscribe, unsubscribe
from yingji.core.jobs import Job, job_handler, schedule_job, unregister
from yingji.core.outbox import DeliveryStatus, OutboxDelivery
from yingji.core.worker import BackgroundWorker
from yingji.models import metadata

DEADLINE_SECONDS = 60.0  # generous: only a hung worker takes this long


@register_event
class ShelterOpened(DomainEvent):
    """A test event: an emergency shelter opened."""

    event_type = "tests.shelter_opened"
    shelter: str


def wait_for(condition: Callable[[], bool]) -> bool:
    """Poll until ``condition`` holds or the deadline passes; return whether it held."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def fast(settings: Settings) -> Settings:
    """Return the settings with a short poll interval."""
    return settings.model_copy(update={"worker_poll_seconds": 0.05})


@pytest.fixture
def touched() -> Iterator[list[dict[str, Any]]]:
    """Register the job kind "tests.touch" and the subscriber "tests.shelter_board"."""
    seen: list[dict[str, Any]] = []
    job_handler("tests.touch")(lambda s, payload: seen.append(payload))
    subscribe(ShelterOpened.event_type, name="tests.shelter_board")(
        lambda s, e: seen.append({"event": str(e.event_id)})
    )
    yield seen
    unregister("tests.touch")
    unsubscribe("tests.shelter_board")


def test_worker_delivers_events_and_runs_jobs_until_stopped(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    touched: list[dict[str, Any]],
) -> None:
    event = ShelterOpened(shelter="S1")
    record_event(session, event, actor=system_actor())
    schedule_job(session, kind="tests.touch", run_at=utcnow(), payload={"n": 1})
    session.commit()
    worker = BackgroundWorker(session_factory, fast(settings), name="tests")

    worker.start()
    try:
        assert wait_for(lambda: len(touched) == 2)
    finally:
        worker.stop()

    assert not worker.running
    assert sorted(touched, key=str) == sorted([{"n": 1}, {"event": str(event.event_id)}], key=str)
    session.expire_all()
    assert session.scalars(select(Job.status).where(Job.kind == "tests.touch")).all() == ["done"]
    board = select(OutboxDelivery.status).where(OutboxDelivery.subscriber == "tests.shelter_board")
    assert session.scalars(board).all() == [DeliveryStatus.DELIVERED]


def test_worker_loop_survives_errors(
    tmp_path: Path,
    settings: Settings,
    touched: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'not-yet-created.sqlite3'}")
    factory = make_session_factory(engine)
    worker = BackgroundWorker(factory, fast(settings), name="tests")
    try:
        with caplog.at_level(logging.ERROR, logger="yingji.core.worker"):
            worker.start()
            # No tables yet: every pass fails and is logged.
            assert wait_for(lambda: any("failed" in r.getMessage() for r in caplog.records))
            assert worker.running
            metadata.create_all(engine)
            with factory() as s:
                schedule_job(s, kind="tests.touch", run_at=utcnow(), payload={"late": True})
                s.commit()
            assert wait_for(lambda: touched == [{"late": True}])
    finally:
        worker.stop()
        engine.dispose()
    assert not worker.running


WORKER_SCRIPT = """
import sys
from pathlib import Path
from yingji.core.cli import worker_command
from yingji.core.jobs import job_handler

marker = Path(sys.argv[1])

@job_handler("tests.touch")
def touch(session, payload):
    marker.write_text(payload["word"], encoding="utf-8")

worker_command()
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_worker_command_runs_jobs_and_stops_cleanly_on_signals(
    session: Session,
    database_url: str,
    tmp_path: Path,
    touched: list[dict[str, Any]],
    signum: signal.Signals,
) -> None:
    schedule_job(session, kind="tests.touch", run_at=utcnow(), payload={"word": "闭环"})
    session.commit()
    marker = tmp_path / "ran"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(
        YINGJI_DATABASE_URL=database_url,
        YINGJI_DATA_DIR=str(tmp_path),
        YINGJI_WORKER_POLL_SECONDS="0.1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(marker)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(marker.exists)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=DEADLINE_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert marker.read_text(encoding="utf-8") == "闭环"
    assert f"{signum.name} received, stopping" in stderr
    assert "Traceback" not in stderr
    assert touched == []  # it ran in the worker process, not here


def test_server_runs_the_worker_during_its_lifespan(
    session: Session, settings: Settings, touched: list[dict[str, Any]]
) -> None:
    schedule_job(session, kind="tests.touch", run_at=utcnow(), payload={"served": True})
    session.commit()
    app = create_app(fast(settings), start_worker=True)

    with TestClient(app):
        assert wait_for(lambda: touched == [{"served": True}])

    session.expire_all()
    assert session.scalars(select(Job.status).where(Job.kind == "tests.touch")).all() == ["done"]
