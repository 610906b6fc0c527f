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

Storage is set-based (``_reading_store``); the MQTT worker checks and stores the payloads of
many gateways at once (``_ingest_batch``).
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.monitoring._reading_store import store_rows
from yingji.monitoring._sensor_table import SensorSpec, SensorTable, as_table, check_columns
from yingji.monitoring.models import Gateway, GatewayRejection, Sensor

_INT64_MIN: Final = -(2**63)
_COLUMNS_FROM: Final = 16  # readings in a payload from which the column check pays off


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
        ms = raw
    elif isinstance(raw, float) and math.isfinite(raw):
        ms = round(raw)
    elif isinstance(raw, str):
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 ts needs its offset, e.g. 2026-12-02T08:00:00+08:00")
        ms = round(moment.timestamp() * 1000)
    else:
        raise ValueError("ts must be epoch milliseconds or an ISO 8601 time")
    if ms < _INT64_MIN:  # a later time than int64 allows is refused as future_timestamp
        raise ValueError("ts is before any storable time")
    return ms


def check(
    readings: Iterable[Any],
    sensors: Mapping[str, SensorSpec],
    *,
    now_ms: int,
    into: Checked | None = None,
) -> Checked:
    """Sort a gateway's readings into good ones and counted rejections (see the module doc).

    A typical batch is checked by columns (``_sensor_table.check_columns``). Otherwise the
    common case (a dict with a known sensor code, the right unit, an int or float value in
    range and an epoch-millisecond ts that is not in the future) is accepted by a short path;
    anything else goes through ``_check_one``, which names the reason.
    """
    out = into if into is not None else Checked()
    latest_ok = now_ms + limits().max_future_skew_seconds * 1000
    if type(readings) is list and len(readings) >= _COLUMNS_FROM:
        scratch = Checked()
        good = check_columns(
            readings, as_table(sensors), latest_ok,
            lambda item: _check_one(item, sensors, latest_ok, scratch),
        )  # fmt: skip
        if good is not None:
            out.sensor_ids.extend(good[0])
            out.timestamps.extend(good[1])
            out.values.extend(good[2])
            for reason, count in scratch.rejected.items():
                out.reject(reason, scratch.last_detail[reason], count)
            return out
    add_id, add_ts, add_value = out.sensor_ids.append, out.timestamps.append, out.values.append
    spec_of = sensors.get
    for item in readings:
        if type(item) is dict:
            code, unit, ts = item.get("sensor"), item.get("unit"), item.get("ts")
            value: Any = item.get("value")
            if type(code) is str and type(unit) is str and type(ts) is int:
                spec = spec_of(code)
                if spec is not None:
                    sensor_id, expected_unit, low, high = spec
                    kind = type(value)
                    if kind is float or kind is int:
                        try:
                            number = float(value)
                        except OverflowError:  # beyond any float: _check_one says so
                            number = math.inf
                        if (
                            unit == expected_unit
                            and low <= number <= high
                            and _INT64_MIN <= ts <= latest_ok
                        ):
                            add_id(sensor_id)
                            add_ts(ts)
                            add_value(number)
                            continue
        accepted = _check_one(item, sensors, latest_ok, out)
        if accepted is not None:
            add_id(accepted[0])
            add_ts(accepted[1])
            add_value(accepted[2])
    return out


def _check_one(
    item: Any, sensors: Mapping[str, SensorSpec], latest_ok: int, out: Checked
) -> tuple[int, int, float] | None:
    """Return an uncommon reading as (sensor id, ts, value), or count why it is rejected."""
    if not isinstance(item, dict):
        out.reject(RejectReason.MALFORMED, "a reading must be an object")
        return None
    code, value, unit = item.get("sensor"), item.get("value"), item.get("unit")
    if not isinstance(code, str) or not isinstance(unit, str):
        out.reject(RejectReason.MALFORMED, "sensor and unit must be strings")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        out.reject(RejectReason.MALFORMED, f"{code}: value must be a number")
        return None
    try:
        ts = _epoch_ms(item.get("ts"))
    except ValueError as exc:
        out.reject(RejectReason.MALFORMED, f"{code}: {exc}")
        return None
    spec = sensors.get(code)
    if spec is None:
        out.reject(RejectReason.UNKNOWN_SENSOR, f"{code}: no such sensor on this gateway")
        return None
    if unit != spec.unit:
        out.reject(RejectReason.WRONG_UNIT, f"{code}: unit {unit!r}, expected {spec.unit!r}")
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float: outside every range
        number = math.inf
    if not (spec.range_min <= number <= spec.range_max):  # also refuses NaN
        out.reject(
            RejectReason.OUT_OF_RANGE,
            f"{code}: {number} outside [{spec.range_min}, {spec.range_max}] {spec.unit}",
        )
        return None
    if ts > latest_ok:
        out.reject(RejectReason.FUTURE, f"{code}: ts {ts} is ahead of the server clock")
        return None
    return spec.id, ts, number


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


def store(session: Session, checked: Checked) -> Stored:
    """Store the good readings once each; keep the latest value and the minute aggregates.

    Only readings actually inserted (not redeliveries) enter the aggregates, so a reading
    delivered twice is counted once.
    """
    per_sensor = store_rows(session, checked.sensor_ids, checked.timestamps, checked.values)
    inserted = checked.accepted if per_sensor is None else sum(per_sensor.values())
    return Stored(inserted=inserted, duplicates=checked.accepted - inserted)


def _insert(session: Session) -> Any:
    """Return the dialect's INSERT (both support ON CONFLICT)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


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
    record_rejections(session, [(gateway_id, checked)], now)


def record_rejections(
    session: Session, outcomes: Sequence[tuple[Any, Checked]], now: datetime
) -> None:
    """Add the rejections per gateway and reason, in key order (no deadlock between workers)."""
    rows = [
        {
            "gateway_id": gateway_id,
            "reason": reason.value,
            "count": count,
            "last_at": now,
            "last_detail": checked.last_detail.get(reason, ""),
        }
        for gateway_id, checked in outcomes
        for reason, count in sorted(checked.rejected.items())
    ]
    if not rows:
        return
    stmt = _insert(session)(GatewayRejection)
    stmt = stmt.on_conflict_do_update(
        index_elements=["gateway_id", "reason"],
        set_={
            "count": GatewayRejection.count + stmt.excluded.count,
            "last_at": stmt.excluded.last_at,
            "last_detail": stmt.excluded.last_detail,
        },
    )
    session.execute(stmt, rows)


def sensor_specs(session: Session, gateway_id: Any) -> SensorTable:
    """Return the gateway's sensors by code (sensors in maintenance or fault still report)."""
    rows = session.execute(
        select(Sensor.code, Sensor.id, Sensor.unit, Sensor.range_min, Sensor.range_max).where(
            Sensor.gateway_id == gateway_id
        )
    )
    return SensorTable({r[0]: SensorSpec(r[1], r[2], r[3], r[4]) for r in rows})
