"""The worker's batch ingestion: several gateways at once, the same outcome as one by one."""

from __future__ import annotations

import random
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.regions import make_tree
from tests.monitoring.conftest import register
from yingji.monitoring._ingest_batch import SensorCache, ingest_batch
from yingji.monitoring.models import (
    Gateway,
    GatewayRejection,
    Reading,
    ReadingMinute,
    Sensor,
    SensorLatest,
)

NOW_MS = 1_764_684_000_000  # 2025-12-02T14:00:00Z
MINUTE = 60_000


def _payload(*readings: dict[str, Any]) -> bytes:
    return orjson.dumps({"readings": list(readings)})


def _gas(ts: int, value: float, sensor: str = "CH4-01") -> dict[str, Any]:
    return {"sensor": sensor, "ts": ts, "value": value, "unit": "%LEL"}


def _gateways(session: Session) -> dict[str, tuple[int, int]]:
    return {g.code: (g.accepted, g.duplicates) for g in session.scalars(select(Gateway))}


def _check_aggregates(session: Session) -> None:
    """sensor_latest and reading_minutes agree with the stored readings, exactly."""
    readings = session.execute(select(Reading.sensor_id, Reading.ts, Reading.value)).all()
    minutes: dict[tuple[int, int], list[float]] = {}
    latest: dict[int, tuple[int, float]] = {}
    for sensor, ts, value in readings:
        minutes.setdefault((sensor, ts // MINUTE), []).append(value)
        if sensor not in latest or ts > latest[sensor][0]:
            latest[sensor] = (ts, value)
    stored = {
        (m.sensor_id, m.minute): (m.count, m.sum, m.min, m.max)
        for m in session.scalars(select(ReadingMinute))
    }
    assert stored == {key: (len(v), sum(v), min(v), max(v)) for key, v in minutes.items()}, (
        "minute aggregates"
    )
    assert {r.sensor_id: (r.ts, r.value) for r in session.scalars(select(SensorLatest))} == latest


def test_several_gateways_are_stored_and_counted_each(session: Session) -> None:
    make_tree(session)
    register(session, "GW-A")
    register(session, "GW-B")
    t = NOW_MS - 10 * MINUTE
    outcome = ingest_batch(
        session,
        {
            "GW-A": [_payload(_gas(t, 1.0), _gas(t + 1, 2.0)), _payload(_gas(t + 2, 500.0))],
            "GW-B": [_payload(_gas(t, 3.0), {"sensor": "P-01", "ts": t, "value": 1.0,
                                             "unit": "MPa"}), b"{"],
            "GW-X": [_payload(_gas(t, 1.0))],
        },
        now_ms=NOW_MS,
    )  # fmt: skip
    assert outcome.unknown_gateways == {"GW-X": 1}
    a, b = outcome.gateways["GW-A"], outcome.gateways["GW-B"]
    assert (a.stored, a.duplicates, a.rejected) == (2, 0, {"out_of_range": 1})
    assert (b.stored, b.duplicates, b.rejected) == (2, 0, {"malformed": 1})
    assert _gateways(session) == {"GW-A": (2, 0), "GW-B": (2, 0)}
    rejections = {(r.reason, r.count) for r in session.scalars(select(GatewayRejection))}
    assert rejections == {("out_of_range", 1), ("malformed", 1)}
    _check_aggregates(session)


def test_duplicates_are_counted_on_their_own_gateway(session: Session) -> None:
    make_tree(session)
    register(session, "GW-A")
    register(session, "GW-B")
    t = NOW_MS - 5 * MINUTE
    first = _payload(*(_gas(t + i * 1000, float(i)) for i in range(10)))
    ingest_batch(session, {"GW-A": [first]}, now_ms=NOW_MS)
    again = ingest_batch(
        session,
        {"GW-A": [first, _payload(_gas(t + 10_000, 10.0))], "GW-B": [first]},
        now_ms=NOW_MS,
    )
    a, b = again.gateways["GW-A"], again.gateways["GW-B"]
    assert (a.stored, a.duplicates) == (1, 10)
    assert (b.stored, b.duplicates) == (10, 0)  # the same codes, other sensors
    assert _gateways(session) == {"GW-A": (11, 10), "GW-B": (10, 0)}
    _check_aggregates(session)


def test_a_reading_repeated_within_a_batch_is_stored_once(session: Session) -> None:
    make_tree(session)
    register(session, "GW-A")
    t = NOW_MS - MINUTE
    outcome = ingest_batch(
        session, {"GW-A": [_payload(_gas(t, 1.0), _gas(t, 1.0), _gas(t + 1, 2.0))]}, now_ms=NOW_MS
    )
    assert (outcome.gateways["GW-A"].stored, outcome.gateways["GW-A"].duplicates) == (2, 1)
    _check_aggregates(session)


def test_aggregates_match_the_readings_on_every_path(session: Session) -> None:
    """Random batches, with redeliveries and times before 1970, on the fast and careful paths."""
    make_tree(session)
    register(session, "GW-A")
    rng = random.Random(4)
    sent: list[dict[str, Any]] = []
    published = 0
    for _ in range(12):
        fresh = [
            {"sensor": rng.choice(["CH4-01", "P-01"]), "ts": rng.randint(-5 * MINUTE, 5 * MINUTE),
             "value": rng.randint(0, 16) / 4}  # sums exact in any order
            for _ in range(rng.randint(1, 40))
        ]  # fmt: skip
        for reading in fresh:
            reading["unit"] = "%LEL" if reading["sensor"] == "CH4-01" else "MPa"
        redelivered = rng.sample(sent, min(len(sent), rng.randint(0, 5)))
        ingest_batch(session, {"GW-A": [_payload(*fresh, *redelivered)]}, now_ms=NOW_MS)
        sent += fresh
        published += len(fresh) + len(redelivered)
    stored = {(r.sensor_id, r.ts) for r in session.scalars(select(Reading))}
    ids = {s.code: s.id for s in session.scalars(select(Sensor))}
    assert stored == {(ids[r["sensor"]], r["ts"]) for r in sent}
    accepted, duplicates = _gateways(session)["GW-A"]
    assert accepted == len(stored) and accepted + duplicates == published
    _check_aggregates(session)


def test_a_sensor_registered_after_its_gateway_was_cached_is_accepted(session: Session) -> None:
    make_tree(session)
    register(session, "GW-A")
    cache = SensorCache(ttl_seconds=3600)
    t = NOW_MS - MINUTE
    ingest_batch(session, {"GW-A": [_payload(_gas(t, 1.0))]}, now_ms=NOW_MS, sensors=cache)
    first = session.scalars(select(Sensor)).first()
    assert first is not None
    session.add(
        Sensor(
            code="CH4-02", gateway_id=first.gateway_id, object_id=first.object_id, name="CH4-02",
            kind="combustible_gas", unit="%LEL", range_min=0.0, range_max=100.0,
            region_path=first.region_path,
        )
    )  # fmt: skip
    session.flush()
    outcome = ingest_batch(
        session,
        {"GW-A": [_payload(_gas(t, 2.0, "CH4-02"), _gas(t, 2.0, "GHOST"))]},
        now_ms=NOW_MS,
        sensors=cache,
    )
    assert outcome.gateways["GW-A"].stored == 1
    assert outcome.gateways["GW-A"].rejected == {"unknown_sensor": 1}
