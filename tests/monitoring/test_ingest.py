"""Reading ingestion: good readings stored once, every bad one counted with its reason."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.errors import NotFound
from yingji.monitoring import service
from yingji.monitoring._ingest import limits
from yingji.monitoring.models import (
    Gateway,
    GatewayRejection,
    Reading,
    ReadingMinute,
    SensorLatest,
)

NOW_MS = 1_764_684_000_000  # 2025-12-02T14:00:00Z
MINUTE = 60_000


def _payload(*readings: dict[str, Any]) -> bytes:
    return orjson.dumps({"readings": list(readings)})


def _gas(ts: int, value: float) -> dict[str, Any]:
    return {"sensor": "CH4-01", "ts": ts, "value": value, "unit": "%LEL"}


def _rejections(session: Session) -> dict[str, int]:
    return {r.reason: r.count for r in session.scalars(select(GatewayRejection))}


def test_good_readings_are_stored_with_latest_and_minute_aggregates(
    session: Session, sensors: dict[str, int]
) -> None:
    t0 = NOW_MS - 10 * MINUTE
    payload = _payload(
        _gas(t0, 5.0), _gas(t0 + 20_000, 9.0), _gas(t0 + MINUTE, 12.5),
        {"sensor": "P-01", "ts": "2025-12-02T21:50:00+08:00", "value": 1.6, "unit": "MPa"},
    )  # fmt: skip
    result = service.ingest(session, gateway_code="GW-1", payloads=[payload], now_ms=NOW_MS)
    assert (result.stored, result.duplicates, result.rejected) == (4, 0, {})
    gas = sensors["CH4-01"]
    latest = session.get(SensorLatest, gas)
    assert latest is not None and (latest.ts, latest.value) == (t0 + MINUTE, 12.5)
    first = session.get(ReadingMinute, (gas, t0 // MINUTE))
    assert first is not None
    assert (first.count, first.sum, first.min, first.max) == (2, 14.0, 5.0, 9.0)
    pressure = session.get(Reading, (NOW_MS - 10 * MINUTE, sensors["P-01"]))  # key (ts, sensor)
    assert pressure is not None and pressure.value == 1.6  # the ISO time, in epoch ms
    gateway = session.scalar(select(Gateway))
    assert gateway is not None and gateway.accepted == 4 and gateway.last_seen_at is not None


def test_bad_readings_are_counted_by_reason_and_never_stop_good_ones(
    session: Session, sensors: dict[str, int]
) -> None:
    t = NOW_MS - MINUTE
    payload = _payload(
        _gas(t, 3.0),
        {"sensor": "NOPE", "ts": t, "value": 1.0, "unit": "%LEL"},
        {"sensor": "CH4-01", "ts": t + 1, "value": 1.0, "unit": "ppm"},
        _gas(t + 2, 140.0),  # beyond 100 %LEL
        {"sensor": "P-01", "ts": t, "value": -3.0, "unit": "MPa"},
        _gas(NOW_MS + (limits().max_future_skew_seconds + 5) * 1000, 1.0),
        _gas(t + 3, "high"),  # type: ignore[arg-type]
        {"sensor": "CH4-01", "ts": t + 4, "value": True, "unit": "%LEL"},
        {"sensor": "CH4-01", "ts": "yesterday", "value": 1.0, "unit": "%LEL"},
        {"sensor": "CH4-01", "ts": "2025-12-02T08:00:00", "value": 1.0, "unit": "%LEL"},
        "not an object",
        _gas(t + 5, 4.0),
    )
    result = service.ingest(session, gateway_code="GW-1", payloads=[payload], now_ms=NOW_MS)
    assert result.stored == 2
    expected = {
        "unknown_sensor": 1, "wrong_unit": 1, "out_of_range": 2, "future_timestamp": 1,
        "malformed": 5,
    }  # fmt: skip
    assert result.rejected == expected
    assert _rejections(session) == expected
    detail = session.get(GatewayRejection, (session.scalar(select(Gateway.id)), "wrong_unit"))
    assert detail is not None and "ppm" in detail.last_detail
    # Zero loss: everything published is stored or rejected with a reason.
    assert result.stored + result.duplicates + sum(result.rejected.values()) == 12


def test_a_redelivered_payload_is_stored_once_and_counted_once(
    session: Session, sensors: dict[str, int]
) -> None:
    t = NOW_MS - 5 * MINUTE
    payload = _payload(_gas(t, 10.0), _gas(t + 1000, 20.0))
    service.ingest(session, gateway_code="GW-1", payloads=[payload], now_ms=NOW_MS)
    again = service.ingest(
        session, gateway_code="GW-1", payloads=[payload, _payload(_gas(t + 2000, 30.0))],
        now_ms=NOW_MS,
    )  # fmt: skip
    assert (again.stored, again.duplicates) == (1, 2)
    assert len(session.scalars(select(Reading)).all()) == 3
    minute = session.get(ReadingMinute, (sensors["CH4-01"], t // MINUTE))
    assert minute is not None and (minute.count, minute.sum, minute.max) == (3, 60.0, 30.0)
    gateway = session.scalar(select(Gateway))
    assert gateway is not None and (gateway.accepted, gateway.duplicates) == (3, 2)


def test_an_older_reading_does_not_replace_the_latest(
    session: Session, sensors: dict[str, int]
) -> None:
    service.ingest(
        session, gateway_code="GW-1", payloads=[_payload(_gas(NOW_MS - 1000, 7.0))],
        now_ms=NOW_MS,
    )  # fmt: skip
    service.ingest(
        session, gateway_code="GW-1", payloads=[_payload(_gas(NOW_MS - 9000, 1.0))],
        now_ms=NOW_MS,
    )  # fmt: skip
    latest = session.get(SensorLatest, sensors["CH4-01"])
    assert latest is not None and latest.value == 7.0


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[1, 2]", b'{"readings": 5}', b'"text"', b"NaN"],
)
def test_a_malformed_payload_is_one_rejection(
    session: Session, sensors: dict[str, int], payload: bytes
) -> None:
    good = _payload(_gas(NOW_MS - 1000, 2.0))
    result = service.ingest(session, gateway_code="GW-1", payloads=[payload, good], now_ms=NOW_MS)
    assert result.rejected == {"malformed": 1}
    assert result.stored == 1


def test_an_oversized_payload_is_refused_whole(session: Session, sensors: dict[str, int]) -> None:
    count = limits().max_readings_per_payload + 1
    payload = _payload(*(_gas(NOW_MS - 10 * count + i, 1.0) for i in range(count)))
    result = service.ingest(session, gateway_code="GW-1", payloads=[payload], now_ms=NOW_MS)
    assert (result.stored, result.rejected) == (0, {"too_large": count})


def test_an_unknown_or_inactive_gateway_stores_nothing(
    session: Session, sensors: dict[str, int]
) -> None:
    with pytest.raises(NotFound) as raised:
        service.ingest(session, gateway_code="GW-9", payloads=[_payload(_gas(NOW_MS, 1.0))])
    assert raised.value.field == "gateway"
    gateway = session.scalar(select(Gateway))
    assert gateway is not None
    gateway.active = False
    with pytest.raises(NotFound):
        service.ingest(session, gateway_code="GW-1", payloads=[_payload(_gas(NOW_MS, 1.0))])
    assert session.scalars(select(Reading)).all() == []


def test_large_batches_cross_statement_chunks(session: Session, sensors: dict[str, int]) -> None:
    """More rows than one INSERT takes: every reading still stored exactly once."""
    readings = [_gas(NOW_MS - 100_000 + i, float(i % 100)) for i in range(7000)]
    payloads = [_payload(*readings[:4000]), _payload(*readings[3000:])]  # 1,000 overlap
    result = service.ingest(session, gateway_code="GW-1", payloads=payloads, now_ms=NOW_MS)
    assert (result.stored, result.duplicates) == (7000, 1000)
    minutes = session.scalars(select(ReadingMinute)).all()
    assert sum(m.count for m in minutes) == 7000
