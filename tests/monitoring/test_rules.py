"""Worked examples of each rule of ``yingji.monitoring.rules``, one sensor or group at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from yingji.monitoring.rules import (
    Direction,
    GroupRule,
    Level,
    RuleEngine,
    SensorRule,
    TargetKind,
    rule_for,
)

Step = tuple[float, float] | tuple[str, float]  # (timestamp, value) or ("tick", now)
Seen = tuple[str, float, int, int]  # (rule, timestamp, old, new)

GAS = rule_for("combustible_gas", rate_limit=None)  # yellow 25, orange 50, deadband 2
LOW_WATER = SensorRule(direction=Direction.BELOW, blue=5.0, yellow=4.0, red=2.0, deadband=1.0)
SPARSE = SensorRule(yellow=25.0, red=60.0, deadband=2.0)  # blue and orange unset


def run(
    rule: SensorRule,
    steps: Sequence[Step],
    *,
    windows: Sequence[tuple[float, float]] = (),
    registered_at: float | None = None,
) -> list[Seen]:
    """Feed one sensor reading by reading (or tick); return (rule, time, old, new) seen."""
    engine = RuleEngine()
    engine.add_sensors([rule], registered_at=registered_at)
    engine.set_maintenance(0, windows)
    seen: list[Seen] = []
    for step in steps:
        if step[0] == "tick":
            result = engine.tick(float(step[1]))
        else:
            result = engine.evaluate([0], [float(step[0])], [float(step[1])])
        seen += [(r.rule.value, r.timestamp, r.old, r.new) for r in result.records()]
    return seen


THRESHOLD_CASES: list[tuple[str, SensorRule, list[Step], list[Seen]]] = [
    (
        "gas 20 -> 30 raises yellow, 24 stays (deadband 2), 22 clears",
        GAS,
        [(0, 20), (10, 30), (20, 24), (30, 22)],
        [("threshold", 10, 0, 2), ("threshold", 30, 2, 0)],
    ),
    (
        "exactly at the threshold raises; exactly threshold - deadband still holds",
        GAS,
        [(0, 25), (10, 23), (20, 22.9)],
        [("threshold", 0, 0, 2), ("threshold", 20, 2, 0)],
    ),
    (
        "jumps straight to orange, lowers to the held yellow, not to normal",
        GAS,
        [(0, 55), (10, 49), (20, 47.5), (30, 26), (40, 10)],
        [("threshold", 0, 0, 3), ("threshold", 20, 3, 2), ("threshold", 40, 2, 0)],
    ),
    (
        "no repeat while the level is unchanged",
        GAS,
        [(0, 30), (10, 31), (20, 40), (30, 29)],
        [("threshold", 0, 0, 2)],
    ),
    (
        "below: 4 raises yellow, 4.9 stays (deadband 1), 5.5 lowers to blue, 6.5 clears",
        LOW_WATER,
        [(0, 7), (10, 4), (20, 4.9), (30, 5.5), (40, 6.5)],
        [("threshold", 10, 0, 2), ("threshold", 30, 2, 1), ("threshold", 40, 1, 0)],
    ),
    (
        "below: red at 2, and an unset orange is skipped on the way down",
        LOW_WATER,
        [(0, 1.5), (10, 3.5)],
        [("threshold", 0, 0, 4), ("threshold", 10, 4, 2)],
    ),
    (
        "unset levels are never reached: 70 is red, 50 lowers to yellow",
        SPARSE,
        [(0, 70), (10, 50), (20, 10)],
        [("threshold", 0, 0, 4), ("threshold", 10, 4, 2), ("threshold", 20, 2, 0)],
    ),
]


@pytest.mark.parametrize(
    ("rule", "steps", "expected"),
    [case[1:] for case in THRESHOLD_CASES],
    ids=[case[0] for case in THRESHOLD_CASES],
)
def test_threshold_bands_and_hysteresis(
    rule: SensorRule, steps: list[Step], expected: list[Seen]
) -> None:
    assert run(rule, steps) == expected


SLOW = SensorRule(yellow=25.0, orange=50.0, deadband=2.0, duration=10.0)
DURATION_CASES: list[tuple[str, list[Step], list[Seen]]] = [
    ("raised once the band has held 10 s", [(0, 30), (5, 30), (10, 30)], [("threshold", 10, 0, 2)]),
    ("a dip below the band restarts the count", [(0, 30), (5, 20), (10, 30), (19, 30), (20, 30)],
     [("threshold", 20, 0, 2)]),
    ("the highest level held long enough wins", [(0, 30), (5, 55), (10, 55), (15, 55)],
     [("threshold", 10, 0, 2), ("threshold", 15, 2, 3)]),
    ("a single high reading raises nothing", [(0, 60), (5, 10)], []),
    ("lowering needs no duration", [(0, 30), (10, 30), (11, 10)],
     [("threshold", 10, 0, 2), ("threshold", 11, 2, 0)]),
    ("a value inside the deadband does not count towards the duration",
     [(0, 24), (10, 24), (11, 25)], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "expected"),
    [case[1:] for case in DURATION_CASES],
    ids=[case[0] for case in DURATION_CASES],
)
def test_minimum_duration(steps: list[Step], expected: list[Seen]) -> None:
    assert run(SLOW, steps) == expected


RATE = SensorRule(rate_limit=1.0, rate_level=Level.ORANGE)
RATE_CASES: list[tuple[str, list[Step], list[Seen]]] = [
    ("0.5 /s is within the limit", [(0, 10), (10, 15)], []),
    ("exactly at the limit does not raise", [(0, 10), (10, 20)], []),
    ("1.5 /s raises, the next calm reading clears", [(0, 10), (10, 25), (20, 26)],
     [("rate", 10, 0, 3), ("rate", 20, 3, 0)]),
    ("falling counts too (absolute rate)", [(0, 30), (2, 20)], [("rate", 2, 0, 3)]),
    ("held while it holds, reported once", [(0, 0), (1, 5), (2, 10), (3, 10)],
     [("rate", 1, 0, 3), ("rate", 3, 3, 0)]),
    ("the first reading has no rate", [(0, 1000)], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "expected"),
    [case[1:] for case in RATE_CASES],
    ids=[case[0] for case in RATE_CASES],
)
def test_rate_of_change(steps: list[Step], expected: list[Seen]) -> None:
    assert run(RATE, steps) == expected


STALE = SensorRule(stale_after=60.0, stale_level=Level.YELLOW)
STALE_CASES: list[tuple[str, float | None, list[Step], list[Seen]]] = [
    ("silent for 60 s is stale, reported once, the next reading recovers", None,
     [(0, 1), ("tick", 59), ("tick", 60), ("tick", 120), (130, 1)],
     [("stale", 60, 0, 2), ("stale", 130, 2, 0)]),
    ("a sensor that never reported is watched from its registration", 0.0,
     [("tick", 59.5), ("tick", 60)], [("stale", 60, 0, 2)]),
    ("without a registration time, not before its first reading", None,
     [("tick", 1000)], []),
    ("a tick never recovers a stale sensor", None,
     [(0, 1), ("tick", 100), ("tick", 0)], [("stale", 100, 0, 2)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("registered_at", "steps", "expected"),
    [case[1:] for case in STALE_CASES],
    ids=[case[0] for case in STALE_CASES],
)
def test_stale_detection(
    registered_at: float | None, steps: list[Step], expected: list[Seen]
) -> None:
    assert run(STALE, steps, registered_at=registered_at) == expected


WINDOW = [(100.0, 200.0)]
MAINTENANCE_CASES: list[tuple[str, SensorRule, list[Step], list[Seen]]] = [
    ("an alarm inside the window is suppressed, reported by the first reading after", GAS,
     [(50, 10), (100, 30), (150, 40), (200, 40)], [("threshold", 200, 0, 2)]),
    ("a level that came and went inside the window is never reported", GAS,
     [(50, 10), (120, 60), (150, 10), (210, 10)], []),
    ("an alarm active before the window is cleared only after it", GAS,
     [(50, 30), (120, 10), (199, 10), (200, 10)],
     [("threshold", 50, 0, 2), ("threshold", 200, 2, 0)]),
    ("a tick after the window reports what the readings inside it left", GAS,
     [(150, 30), ("tick", 199), ("tick", 200)], [("threshold", 200, 0, 2)]),
    ("stale inside the window is reported once the window is over",
     SensorRule(stale_after=30.0), [(90, 1), ("tick", 150), ("tick", 210)],
     [("stale", 210, 0, 1)]),
    ("rate changes are suppressed too", RATE,
     [(90, 0), (110, 100), (250, 100)], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "steps", "expected"),
    [case[1:] for case in MAINTENANCE_CASES],
    ids=[case[0] for case in MAINTENANCE_CASES],
)
def test_maintenance_windows(rule: SensorRule, steps: list[Step], expected: list[Seen]) -> None:
    assert run(rule, steps, windows=WINDOW) == expected


def test_maintenance_windows_are_merged_and_validated() -> None:
    engine = RuleEngine()
    engine.add_sensors([GAS])
    engine.set_maintenance(0, [(5.0, 8.0), (0.0, 5.0), (20.0, 30.0), (25.0, 26.0)])
    assert engine.maintenance_of(0) == [(0.0, 8.0), (20.0, 30.0)]
    with pytest.raises(ValueError, match="start < end"):
        engine.set_maintenance(0, [(3.0, 3.0)])


def gas_detectors(count: int = 3, *, k: int = 2) -> RuleEngine:
    """Return an engine with ``count`` gas detectors in one k-of-n group at ≥ yellow."""
    engine = RuleEngine()
    engine.add_sensors([GAS] * count)
    engine.add_group(GroupRule(members=tuple(range(count)), k=k, min_level=Level.YELLOW))
    return engine


def group_rows(engine: RuleEngine, readings: list[tuple[int, float, float]]) -> list[Any]:
    """Evaluate readings one batch; return (group, reading, old, new) of the group rows."""
    s, t, v = zip(*readings, strict=True)
    result = engine.evaluate(list(s), list(t), list(v))
    return [
        (r.target, r.reading, r.old, r.new)
        for r in result.records()
        if r.target_kind is TargetKind.GROUP
    ]


def test_two_of_three_gas_detectors() -> None:
    engine = gas_detectors()
    assert group_rows(engine, [(0, 0, 30)]) == []  # one detector at yellow is not enough
    assert group_rows(engine, [(1, 1, 30)]) == [(0, 0, 0, 2)]
    assert group_rows(engine, [(0, 2, 60)]) == []  # orange + yellow: 2 members reach yellow
    assert group_rows(engine, [(1, 3, 60)]) == [(0, 0, 2, 3)]  # two at orange
    assert group_rows(engine, [(2, 4, 60)]) == []  # a third changes nothing
    assert group_rows(engine, [(0, 5, 0), (2, 5, 0)]) == [(0, 1, 3, 0)]
    assert engine.group_level(0) == Level.NORMAL


def test_group_min_level_ignores_lower_levels() -> None:
    engine = RuleEngine()
    engine.add_sensors([SensorRule(blue=10.0, yellow=20.0)] * 2)
    engine.add_group(GroupRule(members=(0, 1), k=2, min_level=Level.YELLOW))
    assert group_rows(engine, [(0, 0, 15), (1, 0, 15)]) == []  # both blue
    assert group_rows(engine, [(0, 1, 25), (1, 1, 25)]) == [(0, 1, 0, 2)]


def test_transitions_come_in_reading_order_then_rule_then_group() -> None:
    engine = gas_detectors()
    engine.configure([1], rule_for("combustible_gas"))  # with a rate limit of 1 %LEL/s
    engine.evaluate([0, 1], [0.0, 0.0], [30.0, 0.0])
    result = engine.evaluate([2, 1, 0], [1.0, 1.0, 1.0], [0.0, 30.0, 40.0])
    assert [(r.reading, r.target_kind.value, r.rule.value, r.target) for r in result.records()] == [
        (1, "sensor", "threshold", 1),
        (1, "sensor", "rate", 1),
        (1, "group", "combination", 0),
    ]
    first = result.records()[0]
    assert (first.timestamp, first.value, first.old, first.new) == (1.0, 30.0, 0, 2)


def test_late_and_duplicate_readings_are_skipped_and_counted() -> None:
    engine = RuleEngine()
    engine.add_sensors([GAS, GAS])
    assert engine.evaluate([0], [10.0], [30.0]).skipped == 0
    result = engine.evaluate(
        np.array([0, 0, 1, 0, 1, 1], dtype=np.int32),
        [5.0, 10.0, 20.0, 11.0, 15.0, 20.0],
        [0.0, 0.0, 30.0, 0.0, 60.0, 60.0],
    )
    assert result.skipped == 4  # 5 and 10 for sensor 0 (late, duplicate); 15 and 20 for 1
    assert [(r.target, r.timestamp, r.new) for r in result.records()] == [
        (1, 20.0, 2),
        (0, 11.0, 0),
    ]
    assert engine.state(0).last_timestamp == 11.0


def test_reconfiguring_keeps_state_and_restarts_durations_only_on_a_real_change() -> None:
    engine = RuleEngine()
    engine.add_sensors([SLOW, SLOW, GAS])
    engine.evaluate([0, 1, 2], [0.0, 0.0, 0.0], [30.0, 30.0, 30.0])
    engine.configure([0], SLOW)  # same rule: the run since t=0 continues
    engine.configure([1], SensorRule(yellow=25.0, orange=50.0, duration=10.0))
    result = engine.evaluate([0, 1, 2], [10.0, 10.0, 10.0], [30.0, 30.0, 30.0])
    assert [(r.target, r.new) for r in result.records()] == [(0, 2)]
    assert engine.state(2).threshold == Level.YELLOW  # untouched by the others' changes
    assert engine.evaluate([1], [20.0], [30.0]).records()[0].new == Level.YELLOW
    added = engine.add_sensors([GAS])
    assert list(added) == [3]
    assert engine.state(0).threshold == Level.YELLOW
    assert engine.rule_of(1).duration == 10.0


def test_snapshot_is_json_and_restores_everything() -> None:
    engine = gas_detectors()
    engine.configure([2], SLOW)
    engine.set_maintenance(1, [(100.0, 200.0)])
    engine.evaluate([0, 1, 2], [0.0, 0.0, 0.0], [30.0, 30.0, 30.0])
    restored = RuleEngine.restore(json.loads(json.dumps(engine.snapshot())))
    assert restored.snapshot() == engine.snapshot()
    assert restored.rule_of(2) == SLOW
    assert restored.maintenance_of(1) == [(100.0, 200.0)]
    assert restored.group_rule(0) == engine.group_rule(0)
    assert restored.group_level(0) == Level.YELLOW
    # The duration run of sensor 2 started at t=0 survived the restart.
    assert [r.target for r in restored.evaluate([2], [10.0], [30.0]).records()] == [2]


def test_restore_rejects_foreign_or_inconsistent_snapshots() -> None:
    snapshot = gas_detectors().snapshot()
    with pytest.raises(ValueError, match="not a"):
        RuleEngine.restore({**snapshot, "format": "something/else"})
    broken = json.loads(json.dumps(snapshot))
    broken["sensors"]["last_ts"]["dtype"] = "<i8"
    with pytest.raises(ValueError, match="dtype"):
        RuleEngine.restore(broken)


@pytest.mark.parametrize(
    ("sensors", "timestamps", "values", "message"),
    [
        ([1], [0.0], [1.0], "unknown sensor"),
        ([-1], [0.0], [1.0], "unknown sensor"),
        ([0.0], [0.0], [1.0], "integers"),
        ([0], [float("nan")], [1.0], "finite"),
        ([0], [0.0], [float("inf")], "finite"),
        ([0, 0], [0.0], [1.0], "one length"),
    ],
)
def test_bad_batches_are_refused(
    sensors: list[Any], timestamps: list[float], values: list[float], message: str
) -> None:
    engine = RuleEngine()
    engine.add_sensors([GAS])
    with pytest.raises(ValueError, match=message):
        engine.evaluate(sensors, timestamps, values)
