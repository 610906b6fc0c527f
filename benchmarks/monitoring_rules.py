"""Benchmark the monitoring rule engine alone (issue 4: ≥ 2,000,000 readings/s on 2 cores).

Registers 100,000 sensors spread over the ten default sensor kinds (``rule_defaults.toml``,
durations and rate limits included), two-of-three groups over all gas detectors (3,333) and a
maintenance window on 1 % of the sensors. Every sensor reports every 10 s on its own clock; a
reading sits near a per-sensor baseline below the first band, a small share of sensors spike
into a band for a few readings (so ~0.5 % of readings cross a band) and 0.1 % of readings
arrive twice (MQTT QoS 1 redelivery; skipped as duplicates). The worst case uses duration-free
rules and values that jump between normal and red at every reading after the first round, so
that nearly every reading changes a threshold level, and the groups follow.

Only ``RuleEngine.evaluate`` is timed, on pre-built arrays, after one warm-up round; ``tick``,
``snapshot`` (with JSON encoding) and ``restore`` are timed once. Prints one JSON object.

    .venv/bin/python benchmarks/monitoring_rules.py
    .venv/bin/python benchmarks/monitoring_rules.py --sensors 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from yingji.monitoring.rules import (
    GroupRule,
    Level,
    RuleEngine,
    RuleKind,
    SensorRule,
    kind_defaults,
)

START = 1_780_000_000.0  # epoch seconds, 2026
PERIOD = 10.0  # seconds between two readings of one sensor
JITTER = 0.5  # seconds of jitter around a sensor's reporting time
SPIKE_SHARE = 0.004  # share of (sensor, round) pairs that start a spike into a band
SPIKE_LENGTH = 3  # readings a spike lasts
DUPLICATE_SHARE = 0.001  # readings delivered twice (MQTT QoS 1), the copy a little later

Stream = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _first_band(rule: SensorRule) -> tuple[float, float]:
    """Return the lowest and the highest set threshold of a rule."""
    present = [t for t in rule.thresholds if t is not None]
    return present[0], present[-1]


def build(sensors: int, *, worst: bool) -> tuple[RuleEngine, list[SensorRule]]:
    """Return an engine with sensors of every kind, groups over gas detectors, windows."""
    kinds = list(kind_defaults().values())
    rules = [kinds[i % len(kinds)].rule for i in range(sensors)]
    if worst:
        rules = [replace(r, duration=0.0) for r in rules]
    engine = RuleEngine()
    engine.add_sensors(rules, registered_at=START)
    gas = np.flatnonzero(np.arange(sensors) % len(kinds) == 0)
    for g in range(min(10_000, gas.size // 3)):
        engine.add_group(
            GroupRule(members=tuple(gas[3 * g : 3 * g + 3].tolist()), k=2, min_level=Level.YELLOW)
        )
    for sensor in range(0, sensors, 100):
        engine.set_maintenance(sensor + 1, [(START + 50.0, START + 3600.0)])
    return engine, rules


def stream(rules: list[SensorRule], rounds: int, *, worst: bool, seed: int = 7) -> Stream:
    """Return one reading per sensor per round, in timestamp order."""
    rng = np.random.default_rng(seed)
    n = len(rules)
    low = np.array([_first_band(r)[0] for r in rules])
    high = np.array([_first_band(r)[1] for r in rules])
    baseline = low * 0.5
    noise = np.abs(low) * 0.002
    spike_until = np.full(n, -1)
    phase = rng.uniform(JITTER, PERIOD - JITTER, n)  # each sensor reports on its own clock
    s_parts, t_parts, v_parts = [], [], []
    for r in range(rounds):
        at = START + r * PERIOD + phase + rng.uniform(-JITTER, JITTER, n)
        order = np.argsort(at)
        t = at[order]
        if worst:
            v = np.where(r % 2 == 0, baseline, high * 1.5)[order]
        else:
            starting = rng.random(n) < SPIKE_SHARE
            spike_until[starting] = r + SPIKE_LENGTH
            spiking = spike_until >= r
            v = baseline + rng.normal(0.0, 1.0, n) * noise
            v = np.where(spiking, low + (high - low) * 0.5 * rng.random(n), v)[order]
        again = np.sort(rng.choice(n, int(n * DUPLICATE_SHARE), replace=False))
        s_parts.append(np.concatenate([order, order[again]]))
        t_parts.append(np.concatenate([t, t[again]]))
        v_parts.append(np.concatenate([v, v[again]]))
    return np.concatenate(s_parts), np.concatenate(t_parts), np.concatenate(v_parts)


def run(engine: RuleEngine, data: Stream, batch: int) -> dict[str, Any]:
    """Evaluate the stream in batches; return throughput and what happened."""
    s, t, v = data
    by_rule = dict.fromkeys(RuleKind, 0)
    changed_readings = 0
    crossing_readings = 0
    skipped = 0
    elapsed = 0.0
    for lo in range(0, s.size, batch):
        hi = lo + batch
        began = time.perf_counter()
        result = engine.evaluate(s[lo:hi], t[lo:hi], v[lo:hi])
        elapsed += time.perf_counter() - began
        rows = result.transitions
        for code, rule in enumerate(RuleKind):
            by_rule[rule] += int(np.count_nonzero(rows["rule"] == code))
        changed_readings += np.unique(rows["reading"]).size
        crossing_readings += np.unique(rows["reading"][rows["rule"] == 0]).size
        skipped += result.skipped
    return {
        "batch": batch,
        "readings": int(s.size),
        "seconds": round(elapsed, 4),
        "readings_per_s": round(s.size / elapsed),
        "transitions": {rule.value: count for rule, count in by_rule.items()},
        "readings_crossing_a_band_pct": round(100.0 * crossing_readings / s.size, 3),
        "readings_with_any_transition_pct": round(100.0 * changed_readings / s.size, 3),
        "skipped": skipped,
    }


def main() -> None:
    """Run the realistic and the worst case for each batch size; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batches", default="10000,100000")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    out: dict[str, Any] = {"sensors": args.sensors, "numpy": np.__version__, "cases": []}
    for worst in (False, True):
        engine, rules = build(args.sensors, worst=worst)
        data = stream(rules, args.rounds, worst=worst)
        warm = stream(rules, 1, worst=worst, seed=1)
        for batch in batches:
            fresh = RuleEngine.restore(engine.snapshot())
            run(fresh, warm, batch)  # warm-up: first readings of every sensor
            shifted = (data[0], data[1] + PERIOD, data[2])
            case = run(fresh, shifted, batch)
            out["cases"].append({"case": "worst" if worst else "realistic", **case})
        if not worst:
            began = time.perf_counter()
            ticked = engine.tick(START + 3 * 3600.0).transitions.size
            out["tick_seconds"] = round(time.perf_counter() - began, 4)
            out["tick_transitions"] = ticked
            began = time.perf_counter()
            snap = json.dumps(fresh.snapshot())
            out["snapshot_seconds"] = round(time.perf_counter() - began, 4)
            out["snapshot_mib"] = round(len(snap) / 2**20, 2)
            began = time.perf_counter()
            RuleEngine.restore(json.loads(snap))
            out["restore_seconds"] = round(time.perf_counter() - began, 4)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
