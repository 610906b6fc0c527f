"""Reading ingestion: parse a gateway's payload, check every reading, store the good ones once.

Payload (UTF-8 JSON), over MQTT on ``yingji/v1/{gateway code}/readings`` or to
``POST /api/monitoring/readings``::

    {"readings": [{"sensor": "CH4-01", "ts": 1764684000123, "value": 12.5, "unit": "%LEL"}, …]}

or one reading object on its own. ``sensor`` is the sensor's code within the gateway; ``ts`` the
measurement time in epoch milliseconds (or an ISO 8601 string with its offset); ``value`` a
finite number in ``unit``, which must be the sensor's unit. A reading is rejected, counted per
gateway with its reason and never stored, when its sensor is unknown, its unit is wrong, its
value lies outside the sensor's physical range or its time is in the future (beyond the allowed
clock skew); a payload that is not such JSON is rejected whole. Rejections never stop the good
readings of the same batch. A reading already stored (same sensor and time: a redelivery) is
counted as a duplicate and changes nothing.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.monitoring.models import (
    Gateway,
    GatewayRejection,
    Reading,
    ReadingMinute,
    Sensor,
    SensorLatest,
)

_MS_PER_MINUTE: Final = 60_000
# Rows per INSERT statement: well under SQLite's 32,766 bound parameters at 3 a row.
_CHUNK: Final = 5000


class RejectReason(StrEnum):
    """Why a payload or a reading was not stored."""

    MALFORMED = "malformed"  # not JSON, not the payload shape, or a field of the wrong type
    UNKNOWN_SENSOR = "unknown_sensor"
    WRONG_UNIT = "wrong_unit"
    OUT_OF_RANGE = "out_of_range"
    FUTURE = "future_timestamp"
    TOO_LARGE = "too_large"  # more readings in one payload than allowed


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Limits of ingestion (data/ingest.toml)."""

    max_future_skew_seconds: int
    max_readings_per_payload: int


@cache
def limits() -> IngestLimits:
    """Return the ingestion limits."""
    text = resources.files("yingji.monitoring").joinpath("data/ingest.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return IngestLimits(int(raw["max_future_skew_seconds"]), int(raw["max_readings_per_payload"]))


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """What ingestion needs to know of a registered sensor."""

    id: int
    unit: str
    range_min: float
    range_max: float


@dataclass(slots=True)
class Checked:
    """The outcome of checking one gateway's payloads: good readings and counted rejections."""

    sensor_ids: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    rejected: Counter[RejectReason] = field(default_factory=Counter)
    last_detail: dict[RejectReason, str] = field(default_factory=dict)

    def reject(self, reason: RejectReason, detail: str, count: int = 1) -> None:
        """Count ``count`` rejections for a reason, keeping the latest detail."""
        self.rejected[reason] += count
        self.last_detail[reason] = detail[:500]

    @property
    def accepted(self) -> int:
        """Return the number of good readings."""
        return len(self.sensor_ids)


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing a gateway's good readings did."""

    inserted: int
    duplicates: int


def parse(payload: bytes) -> list[Any]:
    """Return the reading objects of a payload; raise ValueError if it is not a payload."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if isinstance(data, dict) and "readings" in data:
        readings = data["readings"]
        if not isinstance(readings, list):
            raise ValueError("readings must be a list")
        return readings
    if isinstance(data, dict):
        return [data]
    raise ValueError("a payload is an object with readings, or one reading")


def _epoch_ms(raw: object) -> int:
    """Return a reading time in epoch milliseconds; raise ValueError if it is not one."""
    if isinstance(raw, bool):
        raise ValueError("ts must be epoch milliseconds or an ISO 8601 time")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and math.isfinite(raw):
        return round(raw)
    if isinstance(raw, str):
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 ts needs its offset, e.g. 2026-12-02T08:00:00+08:00")
        return round(moment.timestamp() * 1000)
    raise ValueError("ts must be epoch milliseconds or an ISO 8601 time")


def check(
    readings: Iterable[Any],
    sensors: Mapping[str, SensorSpec],
    *,
    now_ms: int,
    into: Checked | None = None,
) -> Checked:
    """Sort a gateway's readings into good ones and counted rejections (see the module doc)."""
    out = into if into is not None else Checked()
    latest_ok = now_ms + limits().max_future_skew_seconds * 1000
    for item in readings:
        if not isinstance(item, dict):
            out.reject(RejectReason.MALFORMED, "a reading must be an object")
            continue
        code, value, unit = item.get("sensor"), item.get("value"), item.get("unit")
        if not isinstance(code, str) or not isinstance(unit, str):
            out.reject(RejectReason.MALFORMED, "sensor and unit must be strings")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.reject(RejectReason.MALFORMED, f"{code}: value must be a number")
            continue
        try:
            ts = _epoch_ms(item.get("ts"))
        except ValueError as exc:
            out.reject(RejectReason.MALFORMED, f"{code}: {exc}")
            continue
        spec = sensors.get(code)
        if spec is None:
            out.reject(RejectReason.UNKNOWN_SENSOR, f"{code}: no such sensor on this gateway")
            continue
        if unit != spec.unit:
            out.reject(RejectReason.WRONG_UNIT, f"{code}: unit {unit!r}, expected {spec.unit!r}")
            continue
        number = float(value)
        if not (spec.range_min <= number <= spec.range_max):  # also refuses NaN
            out.reject(
                RejectReason.OUT_OF_RANGE,
                f"{code}: {number} outside [{spec.range_min}, {spec.range_max}] {spec.unit}",
            )
            continue
        if ts > latest_ok:
            out.reject(RejectReason.FUTURE, f"{code}: ts {ts} is ahead of the server clock")
            continue
        out.sensor_ids.append(spec.id)
        out.timestamps.append(ts)
        out.values.append(number)
    return out


def check_payload(
    payload: bytes, sensors: Mapping[str, SensorSpec], *, now_ms: int, into: Checked | None = None
) -> Checked:
    """Parse and check one payload; a malformed or oversized payload counts as one rejection."""
    out = into if into is not None else Checked()
    try:
        readings = parse(payload)
    except ValueError as exc:
        out.reject(RejectReason.MALFORMED, str(exc))
        return out
    if len(readings) > limits().max_readings_per_payload:
        out.reject(
            RejectReason.TOO_LARGE,
            f"{len(readings)} readings; at most {limits().max_readings_per_payload} a payload",
            count=len(readings),
        )
        return out
    return check(readings, sensors, now_ms=now_ms, into=out)


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT (both support ON CONFLICT)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def store(session: Session, checked: Checked) -> Stored:
    """Store the good readings once each; keep the latest value and the minute aggregates.

    Only readings actually inserted (not redeliveries) enter the aggregates, so a reading
    delivered twice is counted once.
    """
    insert = _insert(session)
    rows = [
        {"sensor_id": s, "ts": t, "value": v}
        for s, t, v in zip(checked.sensor_ids, checked.timestamps, checked.values, strict=True)
    ]
    inserted: list[tuple[int, int, float]] = []
    for start in range(0, len(rows), _CHUNK):
        stmt = (
            insert(Reading)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["sensor_id", "ts"])
            .returning(Reading.sensor_id, Reading.ts, Reading.value)
        )
        inserted.extend((r[0], r[1], r[2]) for r in session.execute(stmt))
    if inserted:
        _keep_latest(session, inserted)
        _add_to_minutes(session, inserted)
    return Stored(inserted=len(inserted), duplicates=len(rows) - len(inserted))


def _keep_latest(session: Session, inserted: list[tuple[int, int, float]]) -> None:
    newest: dict[int, tuple[int, float]] = {}
    for sensor_id, ts, value in inserted:
        seen = newest.get(sensor_id)
        if seen is None or ts > seen[0]:
            newest[sensor_id] = (ts, value)
    insert = _insert(session)
    rows = [{"sensor_id": s, "ts": t, "value": v} for s, (t, v) in sorted(newest.items())]
    for start in range(0, len(rows), _CHUNK):
        stmt = insert(SensorLatest).values(rows[start : start + _CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=["sensor_id"],
            set_={"ts": stmt.excluded.ts, "value": stmt.excluded.value},
            where=stmt.excluded.ts > SensorLatest.ts,
        )
        session.execute(stmt)


def _add_to_minutes(session: Session, inserted: list[tuple[int, int, float]]) -> None:
    buckets: dict[tuple[int, int], list[float]] = {}
    for sensor_id, ts, value in inserted:
        key = (sensor_id, ts // _MS_PER_MINUTE)
        agg = buckets.get(key)
        if agg is None:
            buckets[key] = [1.0, value, value, value]
        else:
            agg[0] += 1
            agg[1] += value
            agg[2] = min(agg[2], value)
            agg[3] = max(agg[3], value)
    insert = _insert(session)
    smaller = func.least if session.get_bind().dialect.name == "postgresql" else func.min
    larger = func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
    rows = [
        {"sensor_id": s, "minute": m, "count": int(a[0]), "sum": a[1], "min": a[2], "max": a[3]}
        for (s, m), a in sorted(buckets.items())
    ]
    for start in range(0, len(rows), _CHUNK):
        stmt = insert(ReadingMinute).values(rows[start : start + _CHUNK])
        stmt = stmt.on_conflict_do_update(
            index_elements=["sensor_id", "minute"],
            set_={
                "count": ReadingMinute.count + stmt.excluded.count,
                "sum": ReadingMinute.sum + stmt.excluded.sum,
                "min": smaller(ReadingMinute.min, stmt.excluded.min),
                "max": larger(ReadingMinute.max, stmt.excluded.max),
            },
        )
        session.execute(stmt)


def record_outcome(session: Session, gateway_id: Any, checked: Checked, stored: Stored) -> None:
    """Add a batch's counts to its gateway: accepted, duplicates and rejections per reason."""
    now = utcnow()
    session.execute(
        update(Gateway)
        .where(Gateway.id == gateway_id)
        .values(
            accepted=Gateway.accepted + stored.inserted,
            duplicates=Gateway.duplicates + stored.duplicates,
            last_seen_at=now,
        )
    )
    if not checked.rejected:
        return
    insert = _insert(session)
    for reason, count in checked.rejected.items():
        stmt = insert(GatewayRejection).values(
            gateway_id=gateway_id,
            reason=reason.value,
            count=count,
            last_at=now,
            last_detail=checked.last_detail.get(reason, ""),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["gateway_id", "reason"],
            set_={
                "count": GatewayRejection.count + stmt.excluded.count,
                "last_at": stmt.excluded.last_at,
                "last_detail": stmt.excluded.last_detail,
            },
        )
        session.execute(stmt)


def sensor_specs(session: Session, gateway_id: Any) -> dict[str, SensorSpec]:
    """Return the gateway's sensors by code (sensors in maintenance or fault still report)."""
    rows = session.execute(
        select(Sensor.code, Sensor.id, Sensor.unit, Sensor.range_min, Sensor.range_max).where(
            Sensor.gateway_id == gateway_id
        )
    )
    return {r[0]: SensorSpec(r[1], r[2], r[3], r[4]) for r in rows}
