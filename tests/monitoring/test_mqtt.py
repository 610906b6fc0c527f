"""The MQTT worker against the real Mosquitto broker: stored once, acknowledged after commit."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.regions import make_tree
from tests.monitoring.conftest import register
from yingji.monitoring.models import GatewayRejection, Reading
from yingji.monitoring.mqtt import IngestWorker, gateway_of, readings_topic

BROKER = ("127.0.0.1", 1883)


@pytest.fixture
def publisher() -> Iterator[mqtt.Client]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(*BROKER)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def _wait_for(session_factory: sessionmaker[Session], count: int, timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline:
        with session_factory() as s:
            stored = s.scalar(select(func.count()).select_from(Reading)) or 0
        if stored >= count:
            return stored
        time.sleep(0.05)
    return stored


def test_topics() -> None:
    assert readings_topic("GW-7") == "yingji/v1/GW-7/readings"
    assert gateway_of("yingji/v1/GW-7/readings") == "GW-7"
    assert gateway_of("yingji/v1//readings") is None
    assert gateway_of("yingji/v2/GW-7/readings") is None
    assert gateway_of("other/v1/GW-7/readings") is None


def test_published_readings_are_stored_and_rejections_counted(
    session: Session, session_factory: sessionmaker[Session], publisher: mqtt.Client
) -> None:
    code = f"GW-{uuid.uuid4().hex[:10]}"  # other test runs share the broker
    make_tree(session)
    register(session, code)
    session.commit()
    worker = IngestWorker(
        session_factory, client_id=f"test-{code}", group=f"test-{code}", session_expiry_seconds=0
    )
    worker.start()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        now = int(time.time() * 1000)
        good = [
            {"sensor": "CH4-01", "ts": now - 60_000 + i, "value": float(i % 40), "unit": "%LEL"}
            for i in range(500)
        ]
        bad = [
            {"sensor": "CH4-01", "ts": now - 1, "value": 3.0, "unit": "ppm"},
            {"sensor": "GHOST", "ts": now - 1, "value": 3.0, "unit": "%LEL"},
        ]
        topic = readings_topic(code)
        infos = [
            publisher.publish(topic, orjson.dumps({"readings": good[:300]}), qos=1),
            publisher.publish(topic, orjson.dumps({"readings": good[200:] + bad}), qos=1),
            publisher.publish(topic, orjson.dumps(good[0]), qos=1),  # one reading, again
            publisher.publish(topic, b"\x00 not json", qos=1),
        ]
        for info in infos:
            info.wait_for_publish(timeout=5)
        assert _wait_for(session_factory, 500) == 500
        deadline = time.monotonic() + 10
        # Other runs share the broker: their gateways are unknown here and only counted.
        while (
            worker.totals.messages - worker.totals.unknown_gateways < 4
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
        worker.stop()
    assert worker.totals.messages - worker.totals.unknown_gateways == 4
    assert (worker.totals.stored, worker.totals.duplicates) == (500, 101)
    assert worker.totals.rejected == {"wrong_unit": 1, "unknown_sensor": 1, "malformed": 1}
    with session_factory() as s:
        counted = {r.reason: r.count for r in s.scalars(select(GatewayRejection))}
    assert counted == {"wrong_unit": 1, "unknown_sensor": 1, "malformed": 1}
    # Zero loss: the 603 readings published are stored, duplicates or rejected with a reason.
    readings_rejected = counted["wrong_unit"] + counted["unknown_sensor"]
    assert worker.totals.stored + worker.totals.duplicates + readings_rejected == 300 + 302 + 1
