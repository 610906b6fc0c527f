"""The column check of typical payloads agrees exactly with the per-reading check."""

from __future__ import annotations

import random
from typing import Any

import pytest

from yingji.monitoring._ingest import Checked, RejectReason, check
from yingji.monitoring._sensor_table import SensorSpec, SensorTable

NOW_MS = 1_764_000_000_000
SENSORS = SensorTable(
    {
        "CH4-01": SensorSpec(11, "%LEL", 0.0, 100.0),
        "CH4-02": SensorSpec(12, "%LEL", 0.0, 100.0),
        "P-01": SensorSpec(21, "MPa", -0.1, 100.0),
        "T-01": SensorSpec(31, "°C", -60.0, 1500.0),
    }
)


def _good(rng: random.Random) -> dict[str, Any]:
    code = rng.choice(list(SENSORS))
    spec = SENSORS[code]
    value: float | int = rng.uniform(spec.range_min, spec.range_max)
    if rng.random() < 0.2:
        value = int(value)
    return {"sensor": code, "ts": NOW_MS - rng.randrange(1, 10**7), "value": value,
            "unit": spec.unit}  # fmt: skip


def _bad(rng: random.Random) -> Any:
    item = _good(rng)
    spec = SENSORS[item["sensor"]]
    mutation = rng.randrange(16)
    if mutation == 0:
        item["sensor"] = "GHOST"
    elif mutation == 1:
        item["unit"] = "ppm"
    elif mutation == 2:
        item["value"] = spec.range_max + 1
    elif mutation == 3:
        item["value"] = spec.range_min - 0.5
    elif mutation == 4:
        item["ts"] = NOW_MS + 10**8  # far in the future
    elif mutation == 5:
        item["value"] = True
    elif mutation == 6:
        item["ts"] = "2025-12-02T08:00:00+08:00"  # valid, but not the typical form
    elif mutation == 7:
        item["value"] = "12"
    elif mutation == 8:
        del item["unit"]
    elif mutation == 9:
        item["sensor"] = 7
    elif mutation == 10:
        item["ts"] = 2**70
    elif mutation == 11:
        item["unit"] = ["%LEL"]
    elif mutation == 12:
        item["value"] = float("nan")
    elif mutation == 13:
        item["ts"] = float(item["ts"])
    elif mutation == 14:
        return ["not", "an", "object"]
    else:
        item["value"] = 10**400
    return item


def _per_reading(readings: list[Any]) -> Checked:
    return check(iter(readings), SENSORS, now_ms=NOW_MS)  # not a list: never by columns


@pytest.mark.parametrize("seed", range(300))
def test_columns_and_per_reading_agree(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.choice([16, 40, 500])
    bad_share = rng.choice([0.0, 0.0, 0.01, 0.2, 1.0])
    readings = [_bad(rng) if rng.random() < bad_share else _good(rng) for _ in range(size)]
    by_columns = check(readings, SENSORS, now_ms=NOW_MS)
    expected = _per_reading(readings)
    assert by_columns.sensor_ids == expected.sensor_ids
    assert by_columns.timestamps == expected.timestamps
    assert by_columns.values == expected.values
    assert by_columns.rejected == expected.rejected
    assert by_columns.last_detail == expected.last_detail


def test_a_typical_batch_with_wrong_readings_names_each_reason() -> None:
    rng = random.Random(1)
    readings = [_good(rng) for _ in range(30)]
    readings[3] = {**readings[3], "sensor": "GHOST"}
    readings[7] = {**readings[7], "unit": "furlong"}
    readings[9] = {**readings[9], "value": 1e6}
    readings[12] = {**readings[12], "ts": NOW_MS + 3_600_000}
    out = check(readings, SENSORS, now_ms=NOW_MS)
    assert out.accepted == 26
    assert dict(out.rejected) == {
        RejectReason.UNKNOWN_SENSOR: 1, RejectReason.WRONG_UNIT: 1,
        RejectReason.OUT_OF_RANGE: 1, RejectReason.FUTURE: 1,
    }  # fmt: skip
    kept = [r for i, r in enumerate(readings) if i not in {3, 7, 9, 12}]
    assert out.sensor_ids == [SENSORS[r["sensor"]].id for r in kept]  # in payload order
    assert out.values == [float(r["value"]) for r in kept]


def test_a_plain_mapping_of_sensors_is_checked_alike() -> None:
    rng = random.Random(2)
    readings = [_good(rng) for _ in range(20)]
    assert (
        check(readings, dict(SENSORS), now_ms=NOW_MS).sensor_ids
        == _per_reading(readings).sensor_ids
    )
