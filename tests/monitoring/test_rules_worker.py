"""The rules worker on the real broker: readings published by a gateway become alarms."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import yingji.monitoring.jobs  # noqa: F401 - registers the alarm SLA job
from tests.factories.regions import make_tree
from tests.monitoring.conftest import register
from yingji.monitoring._rule_progress import rules_engine_status
from yingji.monitoring.models import Alarm, RuleEngineState
from yingji.monitoring.mqtt import readings_topic
from yingji.monitoring.rules_worker import RulesWorker

BROKER = ("127.0.0.1", 1883)


@pytest.fixture
def publisher() -> Iterator[mqtt.Client]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(*BROKER)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


@contextmanager
def running(worker: RulesWorker) -> Iterator[None]:
    worker.start()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        worker.stop()


def _until(check: Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_published_readings_raise_and_clear_alarms(
    session: Session, session_factory: sessionmaker[Session], publisher: mqtt.Client
) -> None:
    code = f"GW-{uuid.uuid4().hex[:10]}"  # other test runs share the broker
    make_tree(session)
    sensors = register(session, code)
    session.commit()
    now = int(time.time() * 1000)

    def publish(*readings: tuple[int, float]) -> None:
        batch = [{"sensor": "CH4-01", "ts": ts, "value": v, "unit": "%LEL"} for ts, v in readings]
        publisher.publish(readings_topic(code), orjson.dumps({"readings": batch}), qos=1)

    def alarms() -> list[Alarm]:
        with session_factory() as s:
            found = select(Alarm).where(
                Alarm.sensor_id == sensors["CH4-01"], Alarm.rule == "threshold"
            )
            return list(s.scalars(found))

    worker = RulesWorker(
        session_factory, client_id=f"rules-{code}", session_expiry_seconds=0,
        tick_seconds=0.5, save_seconds=0.5,
    )  # fmt: skip
    with running(worker):
        # A bad reading (wrong unit) is never evaluated; 60 %LEL is orange (and, 55 %LEL
        # in 10 s, a rate alarm of its own).
        publisher.publish(
            readings_topic(code),
            orjson.dumps({"sensor": "CH4-01", "ts": now - 50_000, "value": 90.0, "unit": "ppm"}),
            qos=1,
        )
        publish((now - 40_000, 5.0), (now - 30_000, 60.0))
        assert _until(lambda: len(alarms()) == 1)
        (alarm,) = alarms()
        assert (alarm.severity, alarm.status, alarm.first_value) == ("orange", "active_unack", 60.0)
        assert _until(lambda: _saved(session_factory))
        with session_factory() as s:
            progress = rules_engine_status(s)
        # The heartbeat counts the two good readings, never the bad one, and is not silent.
        assert (progress.evaluated, progress.last_reading_ts) == (2, now - 30_000)
        assert progress.alarm_changes >= 2 and not progress.silent
    # A restarted worker resumes from the saved state: 49 is still held (deadband 2) …
    worker = RulesWorker(
        session_factory, client_id=f"rules-{code}-2", session_expiry_seconds=0,
        tick_seconds=0.5,
    )  # fmt: skip
    with running(worker):
        publish((now - 20_000, 49.0))
        time.sleep(1.0)
        assert alarms()[0].severity == "orange"
        # … and 10 clears it.
        publish((now - 10_000, 10.0))
        assert _until(lambda: alarms()[0].status == "cleared_unack")
    assert len(alarms()) == 1


def _saved(factory: sessionmaker[Session]) -> bool:
    with factory() as s:
        return s.get(RuleEngineState, "main") is not None
