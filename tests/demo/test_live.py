"""Live monitoring of `yingji demo --serve`: simulated readings are stored; both parts stop."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.monitoring.demo_world import make_demo_world
from yingji.core.config import get_settings
from yingji.demo.live import LiveMonitoring
from yingji.monitoring.models import Reading


@pytest.fixture
def cli_db(database_url: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point commands (and the simulator subprocess) at the test database."""
    monkeypatch.setenv("YINGJI_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_simulated_readings_are_stored_until_stopped(
    cli_db: None, database_url: str, session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_demo_world(session)
    session.commit()
    live = LiveMonitoring(database_url, host="127.0.0.1", port=1883, rate=200)
    assert live.start()
    pid = live.simulator_pid
    assert pid is not None
    stored = 0
    try:
        deadline = time.monotonic() + 15
        while stored < 30 and time.monotonic() < deadline:
            time.sleep(0.2)
            with session_factory() as s:
                stored = s.scalar(select(func.count()).select_from(Reading)) or 0
    finally:
        live.stop()
    assert stored >= 30
    assert not _alive(pid)
    assert live.simulator_pid is None
    live.stop()  # stopping twice is harmless


def test_without_a_broker_the_demo_warns_in_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    live = LiveMonitoring(database_url, host="127.0.0.1", port=9, rate=30)
    assert live.start() is False
    warning = capsys.readouterr().err
    assert warning.startswith("warning: no MQTT broker at 127.0.0.1:9") and warning.count("\n") == 1
    assert live.simulator_pid is None
    live.stop()
