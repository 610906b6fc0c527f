"""Vectorised evaluation of one batch of readings against the sensor table.

The batch is sorted by sensor (stably, so each sensor's readings stay in arrival order). Each
per-reading recurrence of the specification is then solved without a Python loop:

* The threshold level obeys ``c_i = max(q_i, min(c_{i-1}, h_i))``. For each level L the
  indicator ``c_i ≥ L`` is a set/reset latch: set when ``q_i ≥ L``, reset when ``h_i < L``,
  otherwise unchanged. Its value is the kind of the last event at or before i (or the state
  before the batch), found with a running maximum of event positions.
* The start of a run of readings at ≥ L (for durations) is a running maximum of run starts.
* A reported level is the evaluated level of the last reading outside maintenance.

Only "hot" sensors get the threshold evaluation: those with a reading in a band in this batch
or a level above 0 before it. All others stay at level 0, which is most sensors most of the
time, so the cost per batch follows the number of readings near or in a band.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from yingji.monitoring._rule_config import LEVEL_COUNT
from yingji.monitoring._rule_maintenance import Maintenance
from yingji.monitoring._rule_state import SensorTable

_S = TypeVar("_S", bound=np.generic)
Ints = npt.NDArray[np.intp]
Floats = npt.NDArray[np.float64]
Levels = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]


class SensorChanges(NamedTuple):
    """Reported-level changes of one sensor rule in a batch, in sorted-batch order."""

    reading: Ints  # position in the caller's batch
    sensor: Ints
    timestamp: Floats
    old: Levels
    new: Levels
    value: Floats


class BatchOutcome(NamedTuple):
    """What a batch changed: per-rule changes and the final reported threshold levels."""

    threshold: SensorChanges
    rate: SensorChanges
    stale: SensorChanges
    skipped: int
    last_sensors: Ints  # one per sensor present in the batch
    last_thr_out: Levels  # its reported threshold level after the batch (not yet stored)


def _shift(x: npt.NDArray[_S], first: Bools, head: npt.ArrayLike) -> npt.NDArray[_S]:
    """Return the previous element of each reading's sensor: x shifted by one, head at starts."""
    out = np.empty_like(x)
    out[1:] = x[:-1]
    out[first] = head
    return out


def _starts(sensors: Ints) -> Bools:
    """Return where each sensor's run of readings starts in a sensor-sorted batch."""
    first = np.empty(sensors.size, dtype=bool)
    first[:1] = True
    np.not_equal(sensors[1:], sensors[:-1], out=first[1:])
    return first


def _fresh(times: Floats, first: Bools, head: Floats) -> Bools:
    """Return which readings are later than every earlier one of their sensor (exactly).

    Timestamps are replaced by their ranks so that ``group * span + rank`` is an exact integer
    key whose running maximum stays within each sensor's run.
    """
    group = np.cumsum(first) - 1
    _, inverse = np.unique(np.concatenate([times, head]), return_inverse=True)
    rank, head_rank = inverse[: times.size], inverse[times.size :]
    span = int(inverse.max()) + 1
    key = group * span + rank
    running = np.maximum.accumulate(key)
    before = _shift(running, first, group[first] * span + head_rank) - group * span
    fresh: Bools = rank > np.maximum(before, head_rank[group])
    return fresh


class _Sub(NamedTuple):
    """Readings of some sensors (whole runs) of a sensor-sorted batch."""

    s: Ints
    t: Floats
    first: Bools
    start: Ints  # position of the sensor's first reading, within this subset
    last: Bools


def _runs(s: Ints, t: Floats, first: Bools) -> _Sub:
    """Return the run bookkeeping of sensor-sorted readings."""
    positions = np.arange(s.size)
    last = np.empty_like(first)
    last[:-1] = first[1:]
    last[-1:] = True
    return _Sub(s, t, first, np.maximum.accumulate(np.where(first, positions, 0)), last)


def _latch(qualified: Bools, held: Bools, start: Ints, initial: Levels) -> Levels:
    """Return the threshold level after each reading (see the module docstring)."""
    positions = np.arange(start.size)
    level = np.zeros(start.size, dtype=np.int8)
    for lv in range(LEVEL_COUNT):
        set_ = qualified[lv]
        event = set_ | ~held[lv]
        last_event = np.maximum.accumulate(np.where(event, positions, -1))
        known = last_event >= start
        level += np.where(known, set_[last_event], initial > lv)
    return level


def _qualify(
    passed: Bools, sub: _Sub, duration: Floats, carried: npt.NDArray[np.float64]
) -> tuple[Bools, Floats | None]:
    """Return which passes count after durations, and each run's start time (if any timed).

    Only readings that pass a level of a sensor with a duration are looked at: per level, each
    one's run began at the latest run start at or before it, or, for a run that includes the
    sensor's first reading of the batch, possibly before the batch (``carried``, NaN if not).
    """
    timed = duration > 0
    if not timed.any():
        return passed, None
    qualified = passed.copy()
    since = np.full(passed.shape, np.nan)
    for lv in range(LEVEL_COUNT):
        at = np.flatnonzero(passed[lv] & timed)
        if at.size == 0:
            continue
        begins = sub.first[at] | ~passed[lv, at - 1]
        run = np.maximum.accumulate(np.where(begins, at, -1))
        before = carried[lv, at]
        began = np.where((run == sub.start[at]) & ~np.isnan(before), before, sub.t[run])
        qualified[lv, at] = sub.t[at] - began >= duration[at]
        since[lv, at] = began
    return qualified, since


def _threshold(table: SensorTable, runs: _Sub, x: Floats) -> Levels:
    """Return the evaluated threshold level after each reading; store the duration runs.

    Only "hot" sensors are evaluated in full: those with a reading that passes their lowest
    level or a level above 0 before the batch. Every other sensor stays at 0 throughout.
    """
    cf, since_state = table.config, table.since
    initial = table.state["thr_eval"][runs.s]
    mark = np.zeros(table.size, dtype=bool)
    mark[runs.s[x >= cf.raise_at[0, runs.s]]] = True
    hot = mark[runs.s] | (initial > 0)
    level = np.zeros(runs.s.size, dtype=np.int8)
    cold_tails = runs.s[runs.last & ~hot]
    since_state[:, cold_tails[~np.isnan(since_state[0, cold_tails])]] = np.nan
    at = np.flatnonzero(hot)
    if at.size == 0:
        return level
    sub = _runs(runs.s[at], runs.t[at], runs.first[at])
    hx = x[at]
    passed = hx >= cf.raise_at[:, sub.s]
    held = hx >= cf.hold_at[:, sub.s]
    duration = cf.duration[sub.s]
    qualified, since = _qualify(passed, sub, duration, since_state[:, sub.s])
    if since is not None:
        tails = sub.s[sub.last]
        since_state[:, tails] = np.where(duration[sub.last] > 0, since[:, sub.last], np.nan)
    level[at] = _latch(qualified, held, sub.start, initial[at])
    return level


def _reported(evaluated: Levels, maint: Bools | None, start: Ints, initial: Levels) -> Levels:
    """Return the reported level: the evaluated one of the last reading outside maintenance."""
    if maint is None:
        return evaluated
    last_open = np.maximum.accumulate(np.where(maint, -1, np.arange(start.size)))
    return np.where(last_open >= start, evaluated[last_open], initial).astype(np.int8)


def _changes(
    out: Levels, first: Bools, initial: Levels, cols: tuple[Ints, Ints, Floats, Floats]
) -> SensorChanges:
    """Return where a reported level changed from the previous reading (or the stored one)."""
    previous = _shift(out, first, initial)
    at = np.flatnonzero(out != previous)
    order, sensors, times, values = cols
    return SensorChanges(order[at], sensors[at], times[at], previous[at], out[at], values[at])


def _stable_order(sensors: Ints) -> Ints:
    """Return the stable sorting order of sensor indices (a plain sort of unique keys)."""
    n = sensors.size
    if n == 0 or int(sensors.max()) >= (2**62) // n:
        return np.argsort(sensors, kind="stable")
    key = sensors.astype(np.int64) * n + np.arange(n)
    key.sort()
    return (key % n).astype(np.intp)


def evaluate_batch(
    table: SensorTable, maintenance: Maintenance, sensors: Ints, times: Floats, values: Floats
) -> BatchOutcome:
    """Evaluate a validated batch, update the table's state (except ``thr_out``), report."""
    st, cf = table.state, table.config
    order = _stable_order(sensors)
    s, t, v = sensors[order], times[order], values[order]
    first = _starts(s)
    prev_t = _shift(t, first, st["last_ts"][s[first]])
    fresh = t > prev_t
    if not fresh.all():
        # Only sensors with a reading out of order need the exact test (whole runs of them).
        mark = np.zeros(table.size, dtype=bool)
        mark[s[~fresh]] = True
        redo = np.flatnonzero(mark[s])
        redo_first = first[redo]
        fresh[redo] = _fresh(t[redo], redo_first, st["last_ts"][s[redo][redo_first]])
        order, s, t, v = order[fresh], s[fresh], t[fresh], v[fresh]
        first = _starts(s)
        prev_t = _shift(t, first, st["last_ts"][s[first]])
    skipped = sensors.size - s.size
    runs = _runs(s, t, first)
    heads, tails = s[first], s[runs.last]
    thr_eval = _threshold(table, runs, v * cf.sign[s])

    # Rate of change against the previous evaluated reading of the same sensor.
    prev_v = _shift(v, first, st["last_value"][heads])
    with np.errstate(invalid="ignore", divide="ignore"):
        over = np.abs(v - prev_v) / (t - prev_t) > cf.rate_limit[s]
    rate_eval = np.where(over, cf.rate_level[s], 0).astype(np.int8)

    maint = maintenance.mask(s, t)
    thr_out = _reported(thr_eval, maint, runs.start, st["thr_out"][s])
    rate_out = _reported(rate_eval, maint, runs.start, st["rate_out"][s])
    stale_out = _reported(np.zeros(s.size, np.int8), maint, runs.start, st["stale_out"][s])
    cols = (order, s, t, v)
    outcome = BatchOutcome(
        _changes(thr_out, first, st["thr_out"][heads], cols),
        _changes(rate_out, first, st["rate_out"][heads], cols),
        _changes(stale_out, first, st["stale_out"][heads], cols),
        skipped,
        tails,
        thr_out[runs.last],
    )
    last = runs.last
    st["last_ts"][tails] = t[last]
    st["last_value"][tails] = v[last]
    st["seen"][tails] = t[last]
    st["thr_eval"][tails] = thr_eval[last]
    st["rate_eval"][tails] = rate_eval[last]
    st["rate_out"][tails] = rate_out[last]
    st["stale_eval"][tails] = False
    st["stale_out"][tails] = stale_out[last]
    return outcome
