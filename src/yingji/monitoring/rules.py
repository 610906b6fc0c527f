"""The monitoring rule engine (issue 4 point 4): pure, vectorised, with restorable state.

No database, no MQTT: callers register sensors (dense indices 0..n-1) and k-of-n groups, feed
batches of readings as numpy arrays, call ``tick(now)`` periodically, and get the changes of
alarm level back. This docstring is the specification; ``tests/monitoring`` holds a scalar
reference implementation of it that the engine must match exactly on random streams.

Levels: 0 normal, 1 blue, 2 yellow, 3 orange, 4 red (``Level``).

**Sensor rule** (``SensorRule``; per-kind defaults in ``data/rule_defaults.toml``,
``rule_for(kind, **overrides)`` applies per-sensor overrides). For a value v, level l with a
set threshold T_l is *passed* when v ≥ T_l (direction ``above``) or v ≤ T_l (``below``), and
*held* when v ≥ T_l − deadband (``above``) or v ≤ T_l + deadband (``below``); the deadband is
absolute, in the sensor's unit. Unset levels are never passed nor held. r = highest passed
level, h = highest held level (0 if none; h ≥ r).

**Readings.** ``evaluate(sensors, timestamps, values)`` takes one batch in arrival order. A
reading not strictly later than every earlier reading of its sensor (earlier batches or earlier
in this batch) is *skipped*: late or duplicate, it is not evaluated, changes no state and is
only counted (``Evaluation.skipped``). Every other reading, at time t with value v, updates the
sensor's three *evaluated* levels in order:

1. Threshold. For each level l, since_l is the time of the first reading of the current
   uninterrupted run of the sensor's readings with r ≥ l (a reading with r < l ends the run).
   q = highest l ≤ r with t − since_l ≥ duration (so q = r when duration is 0). With c the
   level before the reading, the new level is q if q > c, else min(c, h). So a level is raised
   once its band has held for ``duration`` seconds (judged at readings; the time between two
   readings of a run counts), and is left, at once, when the value has gone back past its
   threshold by more than the deadband; lowering goes to h, which may be above 0.
2. Rate. With (t0, v0) the sensor's previous evaluated reading, the rate level is
   ``rate_level`` when |v − v0| / (t − t0) > ``rate_limit``, else 0 (0 for a first reading).
   It holds until the next reading.
3. Stale. The reading ends staleness (0).

**Stale.** ``tick(now)`` makes a sensor's evaluated stale level ``stale_level`` once now − seen
≥ ``stale_after``, seen being its last evaluated reading's time or, before any, the
``registered_at`` given to ``add_sensors`` (None: not watched until its first reading). Only a
reading ends staleness, never a tick.

**Reported levels and maintenance.** Each sensor has [start, end) maintenance windows (epoch
seconds). Per rule, a *reported* level is set to the evaluated one at every reading whose
timestamp is outside the sensor's windows and at every ``tick(now)`` with now outside them;
inside a window it is left alone. So readings in a window change the state but report
nothing, and the first reading (or tick) after it reports the difference: 0 → current level if
that is non-zero, nothing if it equals what was reported before the window.

**Groups** (``GroupRule``: members, k, min_level). A group's level is the highest L ≥
``min_level`` such that at least k members have a reported threshold level ≥ L, else 0: the
level reached by at least k members (two of three detectors at ≥ yellow gives yellow, orange
once two are orange). It is active while that holds, and is recomputed after every change of a
member's reported threshold level and, for all groups, at every tick (which also applies
``configure_group``). Members in maintenance count with their reported (frozen) level.

**Transitions.** Each change of a reported level, never a repeat, is one row of
``TRANSITION_DTYPE``: target (sensor index or group id), target_kind (0 sensor, 1 group), rule
(``RuleKind.code``: 0 threshold, 1 rate, 2 stale, 3 combination), timestamp, old and new level,
value, reading (position in the batch; −1 from a tick). ``evaluate`` returns them in reading
order; for one reading threshold, rate, stale, then its groups by id, all with the reading's
timestamp and value. ``tick`` returns sensor rows by sensor then rule, then group rows by id,
at ``now``, with the sensor's last value (NaN for stale and group rows, and before any reading).

**Registry changes.** ``add_sensors`` appends sensors; ``configure`` gives sensors a new rule,
effective from their next reading or tick, keeping their state except that duration runs
restart where the rule actually changed. Indices are never reused: retire a sensor with
``SensorRule()`` (no checks; its reported levels stay until its next reading).
``set_maintenance`` and ``configure_group`` replace windows and group rules. No call changes
the state of sensors it does not name.

**Restart.** ``snapshot()`` returns plain JSON values holding everything: rules, windows,
groups, and every per-sensor state array (base64 of little-endian bytes). ``RuleEngine.restore``
rebuilds an engine that produces exactly the transitions the original would have.

**Speed.** A batch is sorted by sensor once; the per-reading recurrences above are solved with
running maxima over the sorted arrays (see ``_rule_batch``), only sensors with a reading in a
band or a level above 0 get the full evaluation, and group changes are replayed as count
deltas. No Python loop runs per reading.

Readings must have integer indices of registered sensors and finite timestamps and values
(``ValueError`` otherwise): ingestion rejects bad readings before they get here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from yingji.monitoring._rule_batch import evaluate_batch
from yingji.monitoring._rule_config import (
    Direction,
    GroupRule,
    KindDefault,
    Level,
    SensorRule,
    compile_rules,
    kind_defaults,
    rule_for,
)
from yingji.monitoring._rule_groups import Groups
from yingji.monitoring._rule_maintenance import Maintenance
from yingji.monitoring._rule_output import (
    TRANSITION_DTYPE,
    Evaluation,
    RuleKind,
    TargetKind,
    Transition,
    changes_rows,
    transition_rows,
)
from yingji.monitoring._rule_state import SensorTable, decode_array, encode_array

__all__ = [
    "TRANSITION_DTYPE",
    "Direction",
    "Evaluation",
    "GroupRule",
    "KindDefault",
    "Level",
    "RuleEngine",
    "RuleKind",
    "SensorRule",
    "SensorState",
    "TargetKind",
    "Transition",
    "kind_defaults",
    "rule_for",
]

SNAPSHOT_FORMAT: Final = "yingji.monitoring.rules/1"


class SensorState(NamedTuple):
    """The rule state of one sensor: last reading and reported levels."""

    last_timestamp: float | None
    last_value: float | None
    threshold: Level
    rate: Level
    stale: Level


class RuleEngine:
    """Evaluates sensor readings against per-sensor rules and k-of-n groups."""

    def __init__(self) -> None:
        """Start with no sensors and no groups."""
        self._rules: list[SensorRule] = []
        self._rule_ids: dict[SensorRule, int] = {}
        self._compiled = compile_rules([])
        self._table = SensorTable.empty()
        self._maintenance = Maintenance()
        self._groups = Groups()

    @property
    def sensor_count(self) -> int:
        """Return the number of registered sensors."""
        return self._table.size

    @property
    def group_count(self) -> int:
        """Return the number of groups."""
        return len(self._groups.rules)

    def _intern(self, rules: Iterable[SensorRule]) -> npt.NDArray[np.int32]:
        """Return the rule-table ids of rules, adding new ones to the compiled table."""
        before = len(self._rules)
        ids = []
        for rule in rules:
            rid = self._rule_ids.get(rule)
            if rid is None:
                rid = self._rule_ids[rule] = len(self._rules)
                self._rules.append(rule)
            ids.append(rid)
        if len(self._rules) != before:
            self._compiled = compile_rules(self._rules)
        return np.array(ids, dtype=np.int32)

    def add_sensors(
        self, rules: Sequence[SensorRule], *, registered_at: float | None = None
    ) -> range:
        """Register sensors with their rules; return their indices."""
        first = self.sensor_count
        ids = self._intern(rules)
        seen = np.nan if registered_at is None else float(registered_at)
        self._table.grow(ids, self._compiled, seen)
        self._maintenance.resize(self.sensor_count)
        self._groups.resize(self.sensor_count)
        return range(first, self.sensor_count)

    def configure(
        self, sensors: int | Sequence[int] | npt.NDArray[np.integer], rule: SensorRule
    ) -> None:
        """Give sensors a new rule (see "Registry changes")."""
        indices = self._indices(np.atleast_1d(np.asarray(sensors)))
        rid = int(self._intern([rule])[0])
        self._table.assign(indices, rid, self._compiled)

    def rule_of(self, sensor: int) -> SensorRule:
        """Return a sensor's rule."""
        return self._rules[int(self._table.rule_id[self._index(sensor)])]

    def set_maintenance(self, sensor: int, windows: Iterable[tuple[float, float]]) -> None:
        """Replace a sensor's maintenance windows ([start, end) epoch seconds)."""
        self._maintenance.set(self._index(sensor), windows)

    def maintenance_of(self, sensor: int) -> list[tuple[float, float]]:
        """Return a sensor's maintenance windows, merged and sorted."""
        return self._maintenance.get(self._index(sensor))

    def add_group(self, rule: GroupRule) -> int:
        """Add a k-of-n group over registered sensors; return its id."""
        group = self.group_count
        self._groups.set(group, rule)
        return group

    def configure_group(self, group: int, rule: GroupRule) -> None:
        """Replace a group's rule; its level is recomputed at the next member change or tick."""
        if not 0 <= group < self.group_count:
            raise ValueError(f"no group {group}")
        self._groups.set(group, rule)

    def group_rule(self, group: int) -> GroupRule:
        """Return a group's rule."""
        return self._groups.rules[group]

    def group_level(self, group: int) -> Level:
        """Return a group's reported level."""
        return Level(int(self._groups.level[group]))

    def state(self, sensor: int) -> SensorState:
        """Return one sensor's last reading and reported levels."""
        st = self._table.state
        i = self._index(sensor)
        seen = bool(np.isfinite(st["last_ts"][i]))
        return SensorState(
            float(st["last_ts"][i]) if seen else None,
            float(st["last_value"][i]) if seen else None,
            Level(int(st["thr_out"][i])),
            Level(int(st["rate_out"][i])),
            Level(int(st["stale_out"][i])),
        )

    def _index(self, sensor: int) -> int:
        """Return one sensor index, checking it is registered."""
        return int(self._indices(np.array([sensor]))[0])

    def _indices(self, sensors: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
        """Return sensors as indices, checking they are integers of registered sensors."""
        if sensors.size and sensors.dtype.kind not in "iu":
            raise ValueError("sensor indices must be integers")
        indices = sensors.astype(np.intp, copy=False)
        if indices.size and (indices.min() < 0 or indices.max() >= self.sensor_count):
            raise ValueError("unknown sensor index")
        return indices

    def evaluate(
        self, sensors: npt.ArrayLike, timestamps: npt.ArrayLike, values: npt.ArrayLike
    ) -> Evaluation:
        """Evaluate a batch of readings (arrival order); return the transitions it causes."""
        s = self._indices(np.asarray(sensors))
        t = np.asarray(timestamps, dtype=np.float64)
        v = np.asarray(values, dtype=np.float64)
        if not (s.ndim == t.ndim == v.ndim == 1 and s.size == t.size == v.size):
            raise ValueError("sensors, timestamps and values must be 1-D and of one length")
        if not (np.isfinite(t).all() and np.isfinite(v).all()):
            raise ValueError("timestamps and values must be finite")
        if s.size == 0:
            return Evaluation(np.empty(0, TRANSITION_DTYPE))
        outcome = evaluate_batch(self._table, self._maintenance, s, t, v)
        thr = outcome.threshold
        thr_out = self._table.state["thr_out"]
        groups = self._groups.replay(thr.sensor, thr.reading, thr.old, thr.new, thr_out)
        thr_out[outcome.last_sensors] = outcome.last_thr_out
        rows = np.concatenate(
            [
                changes_rows(thr, RuleKind.THRESHOLD),
                changes_rows(outcome.rate, RuleKind.RATE),
                changes_rows(outcome.stale, RuleKind.STALE),
                transition_rows(
                    groups.group,
                    rule=RuleKind.COMBINATION,
                    timestamp=thr.timestamp[groups.cause],
                    old=groups.old,
                    new=groups.new,
                    value=thr.value[groups.cause],
                    reading=thr.reading[groups.cause],
                    group=True,
                ),
            ]
        )
        # Unique keys: (reading, rule) is unique for sensor rows; group rows add the group id.
        key = (rows["reading"] * len(RuleKind) + rows["rule"]) * (self.group_count + 1)
        key += np.where(rows["target_kind"] == 1, rows["target"], 0)
        return Evaluation(np.take(rows, np.argsort(key)), outcome.skipped)

    def tick(self, now: float) -> Evaluation:
        """Detect stale sensors and catch up reported levels at time ``now``."""
        now = float(now)
        if not np.isfinite(now):
            raise ValueError("now must be finite")
        st, cf = self._table.state, self._table.config
        n = self.sensor_count
        st["stale_eval"] |= now - st["seen"] >= cf.stale_after
        active = np.ones(n, dtype=bool)
        inside = self._maintenance.mask(np.arange(n), np.full(n, now))
        if inside is not None:
            active &= ~inside
        stale_eval = np.where(st["stale_eval"], cf.stale_level, 0).astype(np.int8)
        parts = []
        for rule, evaluated, name in (
            (RuleKind.THRESHOLD, st["thr_eval"], "thr_out"),
            (RuleKind.RATE, st["rate_eval"], "rate_out"),
            (RuleKind.STALE, stale_eval, "stale_out"),
        ):
            out = st[name]
            at = np.flatnonzero(active & (evaluated != out))
            parts.append(
                transition_rows(
                    at,
                    rule=rule,
                    timestamp=now,
                    old=out[at],
                    new=evaluated[at],
                    value=np.nan if rule is RuleKind.STALE else st["last_value"][at],
                    reading=-1,
                )
            )
            out[at] = evaluated[at]
        sensor_rows = np.concatenate(parts)
        sensor_rows = np.take(sensor_rows, np.lexsort((sensor_rows["rule"], sensor_rows["target"])))
        new_levels = self._groups.levels_of_all(st["thr_out"])
        at = np.flatnonzero(new_levels != self._groups.level)
        group_rows = transition_rows(
            at,
            rule=RuleKind.COMBINATION,
            timestamp=now,
            old=self._groups.level[at],
            new=new_levels[at],
            value=np.nan,
            reading=-1,
            group=True,
        )
        self._groups.level[:] = new_levels
        return Evaluation(np.concatenate([sensor_rows, group_rows]))

    def snapshot(self) -> dict[str, Any]:
        """Return the whole engine (rules, windows, groups, state) as JSON values."""
        return {
            "format": SNAPSHOT_FORMAT,
            "rules": [rule.to_dict() for rule in self._rules],
            "sensors": self._table.encode_state(),
            "maintenance": [
                [sensor, [list(w) for w in windows]]
                for sensor, windows in sorted(self._maintenance.items().items())
            ],
            "groups": [rule.to_dict() for rule in self._groups.rules],
            "group_levels": encode_array(self._groups.level),
        }

    @classmethod
    def restore(cls, snapshot: dict[str, Any]) -> RuleEngine:
        """Rebuild an engine from ``snapshot()`` output; it continues as if never stopped."""
        if snapshot.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a {SNAPSHOT_FORMAT} snapshot")
        engine = cls()
        engine._intern(SensorRule.from_dict(raw) for raw in snapshot["rules"])
        engine._table = SensorTable.decode_state(snapshot["sensors"], engine._compiled)
        engine._maintenance.resize(engine.sensor_count)
        engine._groups.resize(engine.sensor_count)
        for sensor, windows in snapshot["maintenance"]:
            engine._maintenance.set(int(sensor), [(float(a), float(b)) for a, b in windows])
        for raw in snapshot["groups"]:
            engine.add_group(GroupRule.from_dict(raw))
        levels = decode_array(snapshot["group_levels"], "i1")
        if levels.shape != (engine.group_count,):
            raise ValueError("snapshot group levels disagree with its groups")
        engine._groups.level[:] = levels
        return engine
