"""Two ingest worker processes share one MQTT group: the load splits, nothing is lost or doubled.

Against the real Mosquitto broker. The workers keep persistent sessions (fixed client ids), so
a worker killed with SIGKILL and started again with its client id gets what it had received
without acknowledging, and what the broker queued for it meanwhile; idempotent storage keeps
each reading once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.regions import make_tree
from tests.monitoring.conftest import register
from yingji.monitoring.models import Gateway, Reading, ReadingMinute
from yingji.monitoring.mqtt import readings_topic

BROKER = ("127.0.0.1", 1883)
PER_MESSAGE = 100  # readings: two sensors × 50 times

WORKER = """
import json, signal, sys, threading
from yingji.core.db import make_engine, make_session_factory
from yingji.monitoring.mqtt import IngestWorker

url, client_id, group = sys.argv[1:4]
engine = make_engine(url)
worker = IngestWorker(
    make_session_factory(engine), client_id=client_id, group=group, batch_messages=20,
    session_expiry_seconds=120,
)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
worker.start()
print("subscribed", flush=True)
worker.run(stop)
worker.stop()
print(json.dumps({"messages": worker.totals.messages, "stored": worker.totals.stored,
                  "duplicates": worker.totals.duplicates}), flush=True)
"""


class Workers:
    """Ingest worker processes of one group, by client id."""

    def __init__(self, database_url: str, group: str) -> None:
        self.url, self.group = database_url, group
        self.running: dict[str, subprocess.Popen[str]] = {}

    def start(self, client_id: str) -> None:
        """Start a worker and wait until its subscription stands."""
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, self.url, client_id, self.group],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "subscribed"
        self.running[client_id] = proc

    def kill(self, client_id: str) -> None:
        """SIGKILL a worker: no clean disconnect, nothing more acknowledged."""
        proc = self.running.pop(client_id)
        proc.kill()
        proc.wait(timeout=10)

    def stop(self, client_id: str) -> dict[str, int]:
        """Stop a worker cleanly and return its totals."""
        proc = self.running.pop(client_id)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        totals: dict[str, int] = json.loads(out.strip().splitlines()[-1])
        return totals


@pytest.fixture
def names() -> Iterator[dict[str, str]]:
    """Unique gateway, group and client ids (other test runs share the broker)."""
    tag = uuid.uuid4().hex[:10]
    made = {"gateway": f"GW-{tag}", "group": f"scale-{tag}", "a": f"scale-{tag}-a",
            "b": f"scale-{tag}-b"}  # fmt: skip
    yield made
    for client_id in (made["a"], made["b"]):  # end the persistent sessions now
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 0
        client.connect(*BROKER, clean_start=True, properties=properties)
        client.loop_start()
        time.sleep(0.1)
        client.disconnect()
        client.loop_stop()


@pytest.fixture
def workers(database_url: str, names: dict[str, str]) -> Iterator[Workers]:
    """The worker processes of the test's group; whatever still runs is killed at the end."""
    made = Workers(database_url, names["group"])
    yield made
    for proc in made.running.values():
        proc.kill()
        proc.wait(timeout=10)


def _publish(code: str, first: int, count: int, *, pause: float = 0.0) -> None:
    """Publish ``count`` messages of PER_MESSAGE readings each, numbered from ``first``."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(*BROKER)
    client.loop_start()
    start = int(time.time() * 1000) - 3_600_000
    sent = []
    for n in range(first, first + count):
        base = start + n * 50
        readings = [
            {"sensor": sensor, "ts": base + i, "value": float(i % 4), "unit": unit}
            for i in range(PER_MESSAGE // 2)
            for sensor, unit in (("CH4-01", "%LEL"), ("P-01", "MPa"))
        ]
        sent.append(
            client.publish(readings_topic(code), orjson.dumps({"readings": readings}), qos=1)
        )
        time.sleep(pause)
    for info in sent:
        info.wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def _counts(factory: sessionmaker[Session]) -> dict[str, Any]:
    with factory() as s:
        gateway = s.scalars(select(Gateway)).one()
        return {
            "readings": s.scalar(select(func.count()).select_from(Reading)),
            "minutes": s.scalar(select(func.sum(ReadingMinute.count))) or 0,
            "accepted": gateway.accepted,
            "duplicates": gateway.duplicates,
        }


def _wait_for(factory: sessionmaker[Session], readings: int, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        counts = _counts(factory)
        # Both: each count is its own statement, and a batch committed between the gateway's
        # and the readings' showed every reading stored and its counter not yet.
        done = counts["readings"] >= readings and counts["accepted"] >= readings
        if done or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def test_two_workers_split_the_load_and_a_killed_one_loses_nothing(
    session: Session,
    session_factory: sessionmaker[Session],
    workers: Workers,
    names: dict[str, str],
) -> None:
    make_tree(session)
    register(session, names["gateway"])
    session.commit()
    a, b = names["a"], names["b"]
    workers.start(a)
    workers.start(b)

    # Both workers take part, and together store every reading exactly once.
    _publish(names["gateway"], 0, 100)
    split = 100 * PER_MESSAGE
    assert _wait_for(session_factory, split) == {
        "readings": split, "minutes": split, "accepted": split, "duplicates": 0,
    }  # fmt: skip
    totals = [workers.stop(a), workers.stop(b)]
    assert all(t["stored"] > 0 for t in totals), totals  # the broker split the messages
    assert sum(t["stored"] for t in totals) == split
    assert sum(t["duplicates"] for t in totals) == 0

    # Worker b is killed mid-stream; what it held unacknowledged, and what the broker queued
    # for it while it was down, reaches it when it comes back under its client id.
    workers.start(a)
    workers.start(b)
    stream = threading.Thread(target=_publish, args=(names["gateway"], 100, 200), kwargs={
        "pause": 0.01})  # fmt: skip
    stream.start()
    time.sleep(0.8)
    workers.kill(b)
    stream.join(timeout=30)
    total = 300 * PER_MESSAGE
    time.sleep(1.0)
    assert _counts(session_factory)["readings"] < total  # b's share waits for b
    workers.start(b)
    counts = _wait_for(session_factory, total)
    time.sleep(0.5)  # let any redelivery after a commit be counted
    counts = _counts(session_factory)
    assert counts["readings"] == counts["minutes"] == counts["accepted"] == total
    # A batch b committed but had not acknowledged comes again: stored once, counted as such.
    totals = [workers.stop(a), workers.stop(b)]
    assert counts["duplicates"] == sum(t["duplicates"] for t in totals)
