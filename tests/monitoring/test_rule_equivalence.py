"""The fast rule engine against a plain scalar reference, on random streams and operations.

``Reference`` implements the specification in ``yingji.monitoring.rules`` one reading at a
time, with no numpy and no cleverness. The random scenarios mix NaN (unset) thresholds, both
directions, deadbands, durations, rate limits, stale checks, maintenance windows, k-of-n groups,
late and duplicate readings, reconfiguration, new sensors, and snapshot/restore mid-stream.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from yingji.monitoring.rules import Direction, GroupRule, Level, RuleEngine, SensorRule

Row = tuple[int, int, int, float, int, int, float | None, int]
THRESHOLD, RATE, STALE, COMBINATION = range(4)


@dataclass
class _Sensor:
    rule: SensorRule
    seen: float | None
    last_ts: float | None = None
    last_value: float | None = None
    level: int = 0
    since: dict[int, float | None] = field(default_factory=lambda: dict.fromkeys(range(1, 5)))
    rate: int = 0
    stale: bool = False
    out: list[int] = field(default_factory=lambda: [0, 0, 0])
    windows: list[tuple[float, float]] = field(default_factory=list)

    def passes(self, level: int, value: float, slack: float = 0.0) -> bool:
        threshold = self.rule.thresholds[level - 1]
        if threshold is None:
            return False
        if self.rule.direction is Direction.ABOVE:
            return value >= threshold - slack
        return value <= threshold + slack

    def in_window(self, t: float) -> bool:
        return any(start <= t < end for start, end in self.windows)


class Reference:
    """The specification, one reading at a time."""

    def __init__(self) -> None:
        self.sensors: list[_Sensor] = []
        self.groups: list[GroupRule] = []
        self.group_levels: list[int] = []

    def add_sensors(self, rules: list[SensorRule], registered_at: float | None = None) -> None:
        self.sensors += [_Sensor(rule, registered_at) for rule in rules]

    def configure(self, sensors: list[int], rule: SensorRule) -> None:
        for s in sensors:
            if self.sensors[s].rule != rule:
                self.sensors[s].since = dict.fromkeys(range(1, 5))
            self.sensors[s].rule = rule

    def set_maintenance(self, sensor: int, windows: list[tuple[float, float]]) -> None:
        self.sensors[sensor].windows = list(windows)

    def add_group(self, rule: GroupRule) -> None:
        self.groups.append(rule)
        self.group_levels.append(0)

    def configure_group(self, group: int, rule: GroupRule) -> None:
        self.groups[group] = rule

    def group_level(self, group: int) -> int:
        rule = self.groups[group]
        levels = [self.sensors[m].out[THRESHOLD] for m in rule.members]
        reached = [lv for lv in range(rule.min_level, 5) if sum(x >= lv for x in levels) >= rule.k]
        return max(reached, default=0)

    def evaluate(self, readings: list[tuple[int, float, float]]) -> tuple[list[Row], int]:
        rows: list[Row] = []
        skipped = 0
        for pos, (s, t, v) in enumerate(readings):
            x = self.sensors[s]
            if x.last_ts is not None and t <= x.last_ts:
                skipped += 1
                continue
            raw = max((lv for lv in range(1, 5) if x.passes(lv, v)), default=0)
            hold = max((lv for lv in range(1, 5) if x.passes(lv, v, x.rule.deadband)), default=0)
            for lv in range(1, 5):
                if raw < lv:
                    x.since[lv] = None
                elif x.since[lv] is None:
                    x.since[lv] = t
            q = 0
            for lv in range(1, raw + 1):
                since = x.since[lv]
                assert since is not None
                if t - since >= x.rule.duration:
                    q = lv
            x.level = q if q > x.level else min(x.level, hold)
            x.rate = 0
            limit = x.rule.rate_limit
            if (
                x.last_ts is not None
                and x.last_value is not None
                and limit is not None
                and abs(v - x.last_value) / (t - x.last_ts) > limit
            ):
                x.rate = x.rule.rate_level
            x.stale = False
            x.last_ts, x.last_value, x.seen = t, v, t
            if x.in_window(t):
                continue
            old_threshold = x.out[THRESHOLD]
            for rule, evaluated in ((THRESHOLD, x.level), (RATE, x.rate), (STALE, 0)):
                if x.out[rule] != evaluated:
                    rows.append((s, 0, rule, t, x.out[rule], evaluated, v, pos))
                    x.out[rule] = evaluated
            if x.out[THRESHOLD] != old_threshold:
                for g, group in enumerate(self.groups):
                    if s in group.members and self.group_level(g) != self.group_levels[g]:
                        rows.append((g, 1, COMBINATION, t, self.group_levels[g],
                                     self.group_level(g), v, pos))  # fmt: skip
                        self.group_levels[g] = self.group_level(g)
        return rows, skipped

    def tick(self, now: float) -> list[Row]:
        rows: list[Row] = []
        for x in self.sensors:
            after = x.rule.stale_after
            if after is not None and x.seen is not None and now - x.seen >= after:
                x.stale = True
        for s, x in enumerate(self.sensors):
            if x.in_window(now):
                continue
            stale = x.rule.stale_level if x.stale else 0
            for rule, evaluated in ((THRESHOLD, x.level), (RATE, x.rate), (STALE, stale)):
                if x.out[rule] != evaluated:
                    value = x.last_value if rule != STALE else None
                    rows.append((s, 0, rule, now, x.out[rule], evaluated, value, -1))
                    x.out[rule] = evaluated
        for g in range(len(self.groups)):
            if self.group_level(g) != self.group_levels[g]:
                rows.append((g, 1, COMBINATION, now, self.group_levels[g], self.group_level(g),
                             None, -1))  # fmt: skip
                self.group_levels[g] = self.group_level(g)
        return rows


def _rows(transitions: np.ndarray) -> list[Row]:
    """Return engine transitions as tuples, NaN values as None (comparable)."""
    out = []
    for row in transitions.tolist():
        value = None if math.isnan(row[6]) else row[6]
        out.append((*row[:6], value, row[7]))
    return out


def random_rule(rng: random.Random) -> SensorRule:
    """Return a random valid rule on a small integer grid, so values hit thresholds exactly."""
    direction = rng.choice(list(Direction))
    levels = sorted(rng.sample(range(1, 13), 4))
    if direction is Direction.BELOW:
        levels.reverse()
    thresholds = [float(t) if rng.random() < 0.7 else None for t in levels]
    return SensorRule(
        direction=direction,
        blue=thresholds[0],
        yellow=thresholds[1],
        orange=thresholds[2],
        red=thresholds[3],
        deadband=rng.choice([0.0, 0.0, 0.5, 1.0, 2.0, 3.5]),
        duration=rng.choice([0.0, 0.0, 1.0, 2.5, 5.0]),
        rate_limit=rng.choice([None, None, 0.5, 2.0, 4.0]),
        rate_level=Level(rng.randint(1, 4)),
        stale_after=rng.choice([None, 3.0, 8.0]),
        stale_level=Level(rng.randint(1, 4)),
    )


def random_group(rng: random.Random, n: int) -> GroupRule:
    """Return a random k-of-n group over the first n sensors."""
    members = tuple(rng.sample(range(n), rng.randint(1, min(n, 4))))
    return GroupRule(
        members=members, k=rng.randint(1, len(members)), min_level=Level(rng.randint(1, 4))
    )


def random_windows(rng: random.Random, clock: float) -> list[tuple[float, float]]:
    """Return 0-3 random windows around the current time (some overlapping)."""
    out = []
    for _ in range(rng.randint(0, 3)):
        start = clock + rng.choice([-5.0, 0.0, 3.0, 10.0, 20.0]) + rng.choice([0.0, 0.25, 0.5])
        out.append((start, start + rng.choice([2.0, 10.0, 30.0])))
    return out


def random_batch(rng: random.Random, n: int, clock: float) -> tuple[list[Any], float]:
    """Return readings with mostly rising, sometimes late or duplicate timestamps."""
    readings = []
    for _ in range(rng.randint(1, 40)):
        clock += rng.choice([0.0, 0.25, 0.5, 1.0, 2.0])
        t = clock - rng.choice([0.0, 0.0, 0.0, 0.0, 0.5, 3.0])
        value = float(rng.randint(-1, 14)) + rng.choice([0.0, 0.0, 0.5, 0.25])
        readings.append((rng.randrange(n), t, value))
    return readings, clock


def run_scenario(seed: int, *, restore_at: int | None = None) -> tuple[list[Row], list[Row]]:
    """Drive engine and reference with one random scenario; return both transition lists."""
    rng = random.Random(seed)
    engine, ref = RuleEngine(), Reference()
    n = rng.randint(1, 10)
    rules = [random_rule(rng) for _ in range(n)]
    registered = rng.choice([None, 0.0])
    engine.add_sensors(rules, registered_at=registered)
    ref.add_sensors(rules, registered)
    clock = 0.0
    got: list[Row] = []
    want: list[Row] = []
    steps = rng.randint(5, 40)
    for step in range(steps):
        if step == restore_at:
            engine = RuleEngine.restore(json.loads(json.dumps(engine.snapshot())))
        op = rng.random()
        if op < 0.6:
            readings, clock = random_batch(rng, n, clock)
            s, t, v = (list(c) for c in zip(*readings, strict=True))
            result = engine.evaluate(np.array(s, dtype=rng.choice([np.int32, np.int64])), t, v)
            rows, skipped = ref.evaluate(readings)
            assert result.skipped == skipped, f"seed {seed} step {step}"
            got += _rows(result.transitions)
            want += rows
        elif op < 0.75:
            clock += rng.choice([1.0, 4.0, 10.0])
            got += _rows(engine.tick(clock).transitions)
            want += ref.tick(clock)
        elif op < 0.83:
            sensors = rng.sample(range(n), rng.randint(1, n))
            rule = rng.choice([random_rule(rng), engine.rule_of(sensors[0])])
            engine.configure(sensors, rule)
            ref.configure(sensors, rule)
        elif op < 0.9:
            sensor, windows = rng.randrange(n), random_windows(rng, clock)
            engine.set_maintenance(sensor, windows)
            ref.set_maintenance(sensor, windows)
        elif op < 0.95:
            group = random_group(rng, n)
            if engine.group_count and rng.random() < 0.5:
                gid = rng.randrange(engine.group_count)
                engine.configure_group(gid, group)
                ref.configure_group(gid, group)
            else:
                engine.add_group(group)
                ref.add_group(group)
        else:
            new = [random_rule(rng) for _ in range(rng.randint(1, 3))]
            engine.add_sensors(new, registered_at=clock)
            ref.add_sensors(new, clock)
            n += len(new)
        assert got == want, f"seed {seed} step {step}"
    return got, want


@pytest.mark.parametrize("block", range(10))
def test_engine_matches_reference_on_random_scenarios(block: int) -> None:
    for seed in range(block * 60, (block + 1) * 60):
        got, want = run_scenario(seed)
        assert got == want


def test_random_scenarios_exercise_every_rule() -> None:
    seen: set[tuple[int, int]] = set()
    for seed in range(60):
        got, _ = run_scenario(seed)
        seen |= {(row[2], row[5] > row[4]) for row in got}
    assert seen == {(rule, up) for rule in range(4) for up in (True, False)}


@pytest.mark.parametrize("seed", range(120))
def test_snapshot_and_restore_mid_stream_changes_nothing(seed: int) -> None:
    uninterrupted, _ = run_scenario(seed)
    restore_at = random.Random(seed ^ 0x5EED).randint(0, 20)
    restored, want = run_scenario(seed, restore_at=restore_at)
    assert restored == uninterrupted == want
