"""Maintenance windows per sensor and the vectorised "is this reading in a window" test."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt


def merge_windows(windows: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return [start, end) windows sorted, with overlapping or touching ones merged."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted((float(a), float(b)) for a, b in windows):
        if not (math.isfinite(start) and math.isfinite(end) and start < end):
            raise ValueError("a maintenance window needs finite start < end")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class Maintenance:
    """Maintenance windows of the sensors that have any, indexed for batch lookups."""

    def __init__(self) -> None:
        """Start with no windows."""
        self._windows: dict[int, list[tuple[float, float]]] = {}
        self._has = np.zeros(0, dtype=bool)
        self._sensor = np.zeros(0, dtype=np.intp)
        self._start = np.zeros(0)
        self._end = np.zeros(0)
        self._stale_index = False

    def resize(self, count: int) -> None:
        """Track ``count`` sensors (new ones have no windows)."""
        self._has = np.concatenate([self._has, np.zeros(count - self._has.size, dtype=bool)])

    def set(self, sensor: int, windows: Iterable[tuple[float, float]]) -> None:
        """Replace the windows of one sensor (an empty list removes them)."""
        merged = merge_windows(windows)
        if merged:
            self._windows[sensor] = merged
        else:
            self._windows.pop(sensor, None)
        self._has[sensor] = bool(merged)
        self._stale_index = True

    def _index(self) -> None:
        """Rebuild the flat (sensor, start, end) arrays after windows changed."""
        rows = sorted((s, a, b) for s, ws in self._windows.items() for a, b in ws)
        self._sensor = np.array([r[0] for r in rows], dtype=np.intp)
        self._start = np.array([r[1] for r in rows], dtype=np.float64)
        self._end = np.array([r[2] for r in rows], dtype=np.float64)
        self._stale_index = False

    def get(self, sensor: int) -> list[tuple[float, float]]:
        """Return the merged windows of one sensor."""
        return list(self._windows.get(sensor, ()))

    def items(self) -> Mapping[int, list[tuple[float, float]]]:
        """Return every sensor's windows."""
        return dict(self._windows)

    def mask(
        self, sensors: npt.NDArray[np.intp], times: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_] | None:
        """Return which (sensor, time) pairs fall in a window, or None if none does."""
        if not self._windows:
            return None
        candidates = np.flatnonzero(self._has[sensors])
        if candidates.size == 0:
            return None
        if self._stale_index:
            self._index()
        qs, qt = sensors[candidates], times[candidates]
        n_win = self._sensor.size
        # Sort windows and queries together by (sensor, time), a window before a query at the
        # same time (start is inclusive); the last window at or before a query is its candidate.
        kind = np.concatenate([np.zeros(n_win, np.int8), np.ones(qs.size, np.int8)])
        order = np.lexsort(
            (kind, np.concatenate([self._start, qt]), np.concatenate([self._sensor, qs]))
        )
        is_window = order < n_win
        last_pos = np.maximum.accumulate(np.where(is_window, np.arange(order.size), -1))
        query_at = np.flatnonzero(~is_window)
        found = last_pos[query_at] >= 0
        window = np.where(found, order[last_pos[query_at]], 0)
        query = order[query_at] - n_win
        inside = found & (self._sensor[window] == qs[query]) & (qt[query] < self._end[window])
        if not inside.any():
            return None
        out = np.zeros(sensors.size, dtype=bool)
        out[candidates[query]] = inside
        return out
