"""A gateway's sensors as the reading check needs them, and a typical payload checked by columns.

Both the ingest workers and the rules worker check every reading (the rules worker must never
evaluate a reading that ingestion rejects), so the check is on the hot path twice. A typical
payload (a list of objects whose sensor and unit are strings, ts integers and values numbers)
is checked column by column: the fields are pulled out with C-level loops, and the sensor/unit
lookup and the range and time comparisons run over numpy arrays, about a quarter of the cost of
checking reading by reading. Anything untypical, and every reading this finds wrong, goes
through the per-reading check in ``_ingest``, which names the reason; the two agree exactly
(tests/monitoring/test_check_columns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt


class SensorSpec(NamedTuple):
    """What ingestion needs to know of a registered sensor (a tuple: the check unpacks it)."""

    id: int
    unit: str
    range_min: float
    range_max: float


class _Columns(NamedTuple):
    by_code_unit: dict[tuple[str, str], int]  # (code, unit) -> row
    ids: npt.NDArray[np.int64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]


class SensorTable(dict[str, SensorSpec]):
    """A gateway's sensors by code; filled once, then only read (its columns are cached)."""

    __slots__ = ("_columns",)
    _columns: _Columns

    def columns(self) -> _Columns:
        """Return the table as arrays for the column check (built on first use)."""
        try:
            return self._columns
        except AttributeError:
            specs = list(self.items())
            self._columns = _Columns(
                {(code, spec.unit): row for row, (code, spec) in enumerate(specs)},
                np.array([s.id for _, s in specs], dtype=np.int64),
                np.array([s.range_min for _, s in specs], dtype=np.float64),
                np.array([s.range_max for _, s in specs], dtype=np.float64),
            )
            return self._columns


def as_table(sensors: Mapping[str, SensorSpec]) -> SensorTable:
    """Return ``sensors`` as a SensorTable (itself if it is one)."""
    return sensors if isinstance(sensors, SensorTable) else SensorTable(sensors)


_TS, _VALUE, _KEY = itemgetter("ts"), itemgetter("value"), itemgetter("sensor", "unit")
Rejecter = Callable[[Any], "tuple[int, int, float] | None"]


def check_columns(
    readings: list[Any],
    table: SensorTable,
    latest_ok: int,
    reject: Rejecter,
) -> tuple[list[int], list[int], list[float]] | None:
    """Check a typical payload's readings column-wise; None if it is not typical.

    Returns the accepted (sensor ids, timestamps, values) in payload order. Readings found wrong
    are handed to ``reject`` (the per-reading check, which counts the reason and returns None);
    if it accepts one after all, the columns and the per-reading check disagree and None sends
    the whole payload down the per-reading path.
    """
    if set(map(type, readings)) != {dict}:
        return None
    try:
        stamps = list(map(_TS, readings))
        values = list(map(_VALUE, readings))
        keys = list(map(_KEY, readings))
    except KeyError:  # a field missing: the per-reading path names it
        return None
    if set(map(type, stamps)) != {int} or not set(map(type, values)) <= {int, float}:
        return None  # bool, str, None, nested… : the per-reading path names it
    columns = table.columns()
    try:
        ts = np.array(stamps, dtype=np.int64)
        vals = np.array(values, dtype=np.float64)
        rows = np.array(list(map(columns.by_code_unit.get, keys, repeat(-1))), dtype=np.int64)
    except (OverflowError, TypeError):  # an int beyond int64, an unhashable code or unit
        return None
    known = rows >= 0
    at = np.where(known, rows, 0)
    good = known & (vals >= columns.low[at]) & (vals <= columns.high[at]) & (ts <= latest_ok)
    if not good.all():
        for position in np.flatnonzero(~good).tolist():
            if reject(readings[position]) is not None:
                return None
    return (
        columns.ids[rows[good]].tolist(),
        ts[good].tolist(),
        vals[good].tolist(),
    )
