"""Ingestion of a batch of several gateways' payloads at once (the MQTT worker's unit of work).

``ingest_batch`` does what ``service.ingest`` does for one gateway, for all the gateways of a
batch together: one query for the gateways, their sensors from a ``SensorCache``, one storage
pass for all their readings, the counters of every gateway in key order.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.monitoring._ingest import (
    Checked,
    RejectReason,
    check_payload,
    record_rejections,
)
from yingji.monitoring._reading_store import store_rows
from yingji.monitoring._sensor_table import SensorSpec, SensorTable
from yingji.monitoring.models import Gateway, Sensor

SENSOR_CACHE_SECONDS = 30.0


class SensorCache:
    """The sensors of each gateway, kept for ``ttl_seconds`` between database reads.

    Loading 10,000 sensors for a batch of 100 gateways costs more than checking their 50,000
    readings, so a worker keeps them. A reading of a sensor code that the kept list lacks makes
    its gateway's list reload before the reading is rejected, so a newly registered sensor is
    accepted at once; a changed unit or range reaches the worker within ``ttl_seconds``.
    """

    def __init__(self, ttl_seconds: float = SENSOR_CACHE_SECONDS) -> None:
        self._ttl = ttl_seconds
        self._kept: dict[Any, tuple[float, SensorTable]] = {}

    def get(self, session: Session, gateway_ids: Iterable[Any]) -> dict[Any, SensorTable]:
        """Return the sensors of gateways by code, reading the missing and stale ones."""
        now = time.monotonic()
        out: dict[Any, SensorTable] = {}
        missing = []
        for gateway_id in gateway_ids:
            kept = self._kept.get(gateway_id)
            if kept is not None and now - kept[0] < self._ttl:
                out[gateway_id] = kept[1]
            else:
                missing.append(gateway_id)
        if missing:
            loaded = load_sensors(session, missing)
            for gateway_id, specs in loaded.items():
                self._kept[gateway_id] = (now, specs)
            out.update(loaded)
        return out

    def read_at(self, gateway_id: Any) -> float:
        """Return when (``time.monotonic()``) a gateway's sensors were last read."""
        kept = self._kept.get(gateway_id)
        return kept[0] if kept is not None else float("-inf")

    def forget(self, gateway_id: Any) -> None:
        """Drop a gateway's kept sensors (the next ``get`` reads them)."""
        self._kept.pop(gateway_id, None)


def load_sensors(session: Session, gateway_ids: Sequence[Any]) -> dict[Any, SensorTable]:
    """Return the sensors of gateways by code (sensors in maintenance or fault still report)."""
    out: dict[Any, SensorTable] = {gateway_id: SensorTable() for gateway_id in gateway_ids}
    rows = session.execute(
        select(
            Sensor.gateway_id, Sensor.code, Sensor.id, Sensor.unit, Sensor.range_min,
            Sensor.range_max,
        ).where(Sensor.gateway_id.in_(gateway_ids))
    )  # fmt: skip
    for row in rows:
        out[row[0]][row[1]] = SensorSpec(row[2], row[3], row[4], row[5])
    return out


@dataclass(slots=True)
class GatewayOutcome:
    """What became of one gateway's payloads in a batch."""

    stored: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class BatchOutcome:
    """What became of a batch: per known gateway, and the payloads of unknown gateways."""

    gateways: dict[str, GatewayOutcome] = field(default_factory=dict)
    unknown_gateways: dict[str, int] = field(default_factory=dict)  # code -> payloads


@dataclass(slots=True)
class PreparedBatch:
    """A batch checked and ready to store: the good readings and each gateway's outcome."""

    outcome: BatchOutcome
    checked: list[tuple[str, Any, Checked]]
    sensor_ids: list[int]
    timestamps: list[int]
    values: list[float]


def ingest_batch(
    session: Session,
    payloads: Mapping[str, Sequence[bytes]],
    *,
    now_ms: int,
    sensors: SensorCache | None = None,
) -> BatchOutcome:
    """Check and store the payloads of several gateways at once; count the outcome on each.

    The same as ``service.ingest`` for each gateway (payloads by gateway code), in one pass.
    Payloads of an unknown or inactive gateway are left out and reported. Never commits.
    """
    return store_batch(session, prepare_batch(session, payloads, now_ms=now_ms, sensors=sensors))


def prepare_batch(
    session: Session,
    payloads: Mapping[str, Sequence[bytes]],
    *,
    now_ms: int,
    sensors: SensorCache | None = None,
) -> PreparedBatch:
    """Check a batch's payloads against the registry (reads only; see ``store_batch``)."""
    outcome = BatchOutcome()
    codes = sorted(payloads)  # every worker updates the gateways' counters in this order
    found = {
        row[0]: row[1]
        for row in session.execute(
            select(Gateway.code, Gateway.id).where(Gateway.code.in_(codes), Gateway.active)
        )
    }
    cache = sensors if sensors is not None else SensorCache(ttl_seconds=0)
    started = time.monotonic()
    specs = cache.get(session, list(found.values()))
    prepared = PreparedBatch(outcome, [], [], [], [])
    for code in codes:
        gateway_id = found.get(code)
        if gateway_id is None:
            outcome.unknown_gateways[code] = len(payloads[code])
            continue
        one = _check(payloads[code], specs[gateway_id], now_ms)
        if one.rejected[RejectReason.UNKNOWN_SENSOR] and cache.read_at(gateway_id) < started:
            cache.forget(gateway_id)  # perhaps registered since: read its sensors again
            one = _check(payloads[code], cache.get(session, [gateway_id])[gateway_id], now_ms)
        prepared.checked.append((code, gateway_id, one))
        outcome.gateways[code] = GatewayOutcome(stored=one.accepted)
        prepared.sensor_ids += one.sensor_ids
        prepared.timestamps += one.timestamps
        prepared.values += one.values
    return prepared


def store_batch(session: Session, prepared: PreparedBatch) -> BatchOutcome:
    """Store a prepared batch and count it on its gateways; never commits.

    May run again on a new transaction after a failure: it changes nothing in ``prepared``
    but the outcome's counts, which it sets afresh.
    """
    outcome, checked = prepared.outcome, prepared.checked
    for code, _, one in checked:
        outcome.gateways[code] = GatewayOutcome(stored=one.accepted)
    inserted = store_rows(session, prepared.sensor_ids, prepared.timestamps, prepared.values)
    if inserted is not None:  # some were stored before: whose? (a sensor has one gateway)
        for code, _, one in checked:
            own = sum(inserted.get(sensor_id, 0) for sensor_id in set(one.sensor_ids))
            result = outcome.gateways[code]
            result.stored, result.duplicates = own, one.accepted - own
    now = utcnow()
    if checked:
        add = (
            update(Gateway)
            .where(Gateway.id == bindparam("gateway"))
            .values(
                accepted=Gateway.accepted + bindparam("stored"),
                duplicates=Gateway.duplicates + bindparam("repeated"),
                last_seen_at=now,
            )
        )
        session.connection().execute(
            add,
            [
                {
                    "gateway": gateway_id,
                    "stored": outcome.gateways[code].stored,
                    "repeated": outcome.gateways[code].duplicates,
                }
                for code, gateway_id, _ in checked
            ],
        )
    record_rejections(session, [(gateway_id, one) for _, gateway_id, one in checked], now)
    for code, _, one in checked:
        outcome.gateways[code].rejected = {r.value: n for r, n in one.rejected.items()}
    return outcome


def _check(payloads: Sequence[bytes], specs: Mapping[str, SensorSpec], now_ms: int) -> Checked:
    out = Checked()
    for payload in payloads:
        check_payload(payload, specs, now_ms=now_ms, into=out)
    return out
