"""The sensor simulator: realistic, deterministic, anomalous as configured, and ingestible."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.factories.regions import make_tree
from tests.monitoring.conftest import register
from tests.monitoring.demo_world import make_demo_world
from yingji.core.config import get_settings
from yingji.monitoring import service
from yingji.monitoring.demo import SITES
from yingji.monitoring.models import Reading
from yingji.monitoring.mqtt import IngestWorker
from yingji.monitoring.rules import rule_for
from yingji.monitoring.schemas import sensor_kinds
from yingji.monitoring.sim_cli import app, connect, publish
from yingji.monitoring.simulator import (
    Anomalies,
    Block,
    Flag,
    SimSensor,
    Simulator,
    interleave,
    load_registry,
)

BROKER = ("127.0.0.1", 1883)
T0 = 1_764_684_000_000  # 2025-12-02T14:00:00Z
DEMO_RATE = 30.0  # what `make demo` runs
NOISY = Anomalies(drift=0.01, spike=0.02, stuck=0.01, dropout=0.005, bad=0.05)


def demo_sensors() -> list[SimSensor]:
    """The demo registry, without a database."""
    kinds = sensor_kinds()
    return interleave(
        [
            SimSensor(site.gateway, code, kind, kinds[kind].unit, low, high)
            for site in SITES
            for obj in site.objects
            for code, _name, kind, low, high, _interval in obj.sensors
        ]
    )


def per_sensor(block: Block) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Return each sensor's timestamps (s) and values, in time order."""
    out = {}
    for sensor in np.unique(block.sensor).tolist():
        mine = block.sensor == sensor
        out[sensor] = (block.ts[mine] / 1000.0, block.value[mine])
    return out


def test_same_seed_gives_the_same_readings_however_generated() -> None:
    one = Simulator(demo_sensors(), rate=50, seed=11, anomalies=NOISY, t0_ms=T0)
    other = Simulator(demo_sensors(), rate=50, seed=11, anomalies=NOISY, t0_ms=T0)
    whole = one.generate(5000)
    parts = [other.generate(n) for n in (1, 43, 44, 45, 867, 4000)]
    for name in ("sensor", "ts", "value", "flags"):
        joined = np.concatenate([getattr(p, name) for p in parts])
        assert np.array_equal(getattr(whole, name), joined), name
    assert one.counts == other.counts
    third = Simulator(demo_sensors(), rate=50, seed=12, anomalies=NOISY, t0_ms=T0)
    assert not np.array_equal(third.generate(5000).value[:100], whole.value[:100])


def test_interleaving_spreads_every_prefix_over_the_gateways() -> None:
    def key(s: SimSensor) -> tuple[str, str]:
        return s.gateway, s.code

    registered = sorted(demo_sensors(), key=key)
    turns = interleave(registered)
    assert sorted(turns, key=key) == registered
    assert {s.gateway for s in turns[:5]} == {site.gateway for site in SITES}


def test_clean_readings_stay_in_range_and_below_the_default_alarm_bands() -> None:
    sensors = demo_sensors()
    sim = Simulator(sensors, rate=DEMO_RATE, seed=5, anomalies=Anomalies().scaled(0), t0_ms=T0)
    block = sim.generate(int(DEMO_RATE * 3600))  # an hour at the demo's rate
    assert len(block) == int(DEMO_RATE * 3600) and not block.flags.any()
    for index, (ts, values) in per_sensor(block).items():
        sensor = sensors[index]
        rule = rule_for(sensor.kind)
        assert sensor.range_min <= values.min() and values.max() <= sensor.range_max
        first_band = next(x for x in rule.thresholds if x is not None)
        assert values.max() < first_band, (sensor.code, sensor.kind, values.max())
        if rule.rate_limit is not None:  # noise does not trip rate-of-change rules
            speed = np.abs(np.diff(values)) / np.diff(ts)
            assert speed.max() < rule.rate_limit, (sensor.code, sensor.kind, speed.max())
        if sensor.kind != "rainfall":  # mostly dry, else every sensor moves
            assert np.unique(values).size > 10


def test_anomalies_appear_at_the_configured_frequency() -> None:
    anomalies = Anomalies()
    sim = Simulator(demo_sensors(), rate=44, seed=2026, anomalies=anomalies, t0_ms=T0)
    n = 400_000  # about 2.5 hours of each of the 44 sensors reporting every second
    block = sim.generate(n)
    counts = sim.counts
    published = len(block)
    assert published + counts["silent"] == n
    # Per reading: spikes and bad readings on published readings…
    assert 0.8 < counts["spike"] / (anomalies.spike * published) < 1.2
    bad = counts["wrong_unit"] + counts["out_of_range"]
    assert 0.8 < bad / (anomalies.bad * published) < 1.2
    assert 0.7 < counts["wrong_unit"] / counts["out_of_range"] < 1.4
    # …episodes on the readings not already in one.
    drifting, stuck = block.count(Flag.DRIFT), block.count(Flag.STUCK)
    assert 0.8 < counts["drift"] / (anomalies.drift * (published - drifting)) < 1.2
    assert 0.8 < counts["stuck"] / (anomalies.stuck * (published - stuck)) < 1.2
    assert 0.8 < counts["dropout"] / (anomalies.dropout * published) < 1.2
    assert counts["silent"] > 10 * counts["dropout"]  # a dropout silences many readings


def test_anomalies_look_like_what_they_are() -> None:
    sensors = demo_sensors()
    sim = Simulator(sensors, rate=44, seed=9, anomalies=NOISY, t0_ms=T0)
    block = sim.generate(100_000)
    by_sensor = per_sensor(block)
    for index, (ts, _values) in by_sensor.items():
        mine = block.sensor == index
        flags, values = block.flags[mine], block.value[mine]
        bad = (flags & (Flag.WRONG_UNIT | Flag.OUT_OF_RANGE)) != 0
        stuck = ((flags & Flag.STUCK) != 0) & ~bad
        next_turn = np.diff(ts) < 2  # not across a dropout
        runs = np.flatnonzero(stuck[1:] & stuck[:-1] & next_turn) + 1
        assert np.array_equal(values[runs], values[runs - 1])  # a stuck sensor repeats itself
        assert np.diff(ts).max() > 50  # each sensor dropped out at least once (1 s cadence)
    spikes = (block.flags & Flag.SPIKE) != 0
    spikes &= (block.flags & (Flag.WRONG_UNIT | Flag.OUT_OF_RANGE)) == 0
    gas = np.array([sensors[i].kind == "combustible_gas" for i in block.sensor.tolist()])
    assert block.value[spikes & gas].min() >= 25.0  # a gas spike crosses the first alarm band
    out = (block.flags & Flag.OUT_OF_RANGE) != 0
    low = np.array([sensors[i].range_min for i in block.sensor[out].tolist()])
    high = np.array([sensors[i].range_max for i in block.sensor[out].tolist()])
    assert ((block.value[out] < low) | (block.value[out] > high)).all()


def _ingest_all(session: Session, sim: Simulator, block: Block, now_ms: int) -> Counter[str]:
    by_gateway: dict[str, list[bytes]] = defaultdict(list)
    for payload in sim.payloads(block, batch=200):
        assert len(orjson.loads(payload.body)["readings"]) == payload.readings <= 200
        by_gateway[payload.gateway].append(payload.body)
    totals: Counter[str] = Counter()
    for code, bodies in by_gateway.items():
        result = service.ingest(session, gateway_code=code, payloads=bodies, now_ms=now_ms)
        totals["stored"] += result.stored
        totals["duplicates"] += result.duplicates
        totals.update(result.rejected)
    return totals


def test_simulated_payloads_pass_ingestion_except_the_bad_ones(session: Session) -> None:
    make_demo_world(session)
    registry = load_registry(session)
    assert len(registry) == 44
    now = int(time.time() * 1000)
    sim = Simulator(interleave(registry), rate=DEMO_RATE, seed=4, anomalies=NOISY,
                    t0_ms=now - 120_000)  # fmt: skip
    block = sim.generate(3000)  # 100 s of the demo, ending 20 s ago
    totals = _ingest_all(session, sim, block, now)
    bad = {"wrong_unit": sim.counts["wrong_unit"], "out_of_range": sim.counts["out_of_range"]}
    assert min(bad.values()) > 0
    assert totals == Counter({"stored": len(block) - sum(bad.values()), **bad})
    assert session.scalar(select(func.count()).select_from(Reading)) == totals["stored"]


def test_readings_published_through_the_broker_are_stored(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    code = f"SIM-{uuid.uuid4().hex[:10]}"  # other test runs share the broker
    make_tree(session)
    register(session, code)
    session.commit()
    registry = load_registry(session, gateways=[code])
    assert [s.code for s in registry] == ["CH4-01", "P-01"]
    worker = IngestWorker(
        session_factory, client_id=f"test-{code}", group=f"test-{code}", session_expiry_seconds=0
    )
    worker.start()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    sim = Simulator(registry, rate=300, seed=8, anomalies=Anomalies(bad=0.05, spike=0.05))
    try:
        client = connect(*BROKER)
        try:
            stats = publish(sim, client, batch=40, stop=threading.Event(), duration=2.0)
        finally:
            client.disconnect()
            client.loop_stop()
        assert stats.acknowledged == stats.readings > 400
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            handled = worker.totals.stored + sum(worker.totals.rejected.values())
            if handled >= stats.readings:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
        worker.stop()
    bad = {"wrong_unit": sim.counts["wrong_unit"], "out_of_range": sim.counts["out_of_range"]}
    assert worker.totals.rejected == {k: v for k, v in bad.items() if v}
    assert worker.totals.stored == stats.readings - sum(bad.values())
    assert worker.totals.duplicates == 0
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Reading)) == worker.totals.stored
        stamps = sorted(s.scalars(select(Reading.ts)))
    now = int(time.time() * 1000)
    assert now - 10_000 < stamps[0] and stamps[-1] <= now  # stamped "now", never ahead
    assert all(b - a >= 0 for a, b in pairwise(stamps))


@pytest.fixture
def cli_db(database_url: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the command line at the test database (tables are wiped after the test)."""
    monkeypatch.setenv("YINGJI_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_command_simulates_the_registered_sensors_and_says_when_fewer(
    cli_db: None, session: Session
) -> None:
    make_demo_world(session)
    session.commit()
    args = ["sensors", "--count", "1000", "--rate", "200", "--duration", "1", "--seed", "1"]
    result = CliRunner().invoke(app, [*args, "--batch", "50", "--json"])
    assert result.exit_code == 0, result.output
    assert "only 44 sensors are registered (asked for 1000)" in result.stderr
    summary = orjson.loads(result.stdout)
    assert 150 <= summary["readings"] == summary["acknowledged"] <= 201
    assert summary["payloads"] >= 5  # batches per gateway, every gateway reporting


def test_command_without_sensors_or_broker_says_why(cli_db: None, session: Session) -> None:
    result = CliRunner().invoke(app, ["sensors", "--duration", "1"])
    assert result.exit_code == 1 and "no registered sensors" in result.stderr
    make_demo_world(session)
    session.commit()
    result = CliRunner().invoke(app, ["sensors", "--duration", "1", "--port", "9"])
    assert result.exit_code == 1 and "cannot reach the MQTT broker at 127.0.0.1:9" in result.stderr


def test_anomaly_factor_is_checked() -> None:
    assert Anomalies().scaled(0).spike == 0 and Anomalies().scaled(1000).bad == 1.0
    with pytest.raises(ValueError, match="finite"):
        Anomalies().scaled(-1)
    with pytest.raises(ValueError, match="no sensors"):
        Simulator([], rate=1)
