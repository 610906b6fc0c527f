"""The sensor simulator: realistic readings of registered sensors, with injected anomalies.

``yingji simulate sensors`` (``sim_cli``) publishes what this module generates over MQTT;
this module itself does no I/O beyond reading the registry, so tests feed its payloads
straight to ingestion.

**Which sensors.** Only registered sensors of active gateways (``load_registry``): readings of
any other sensor would be rejected as ``unknown_sensor``, which tests nothing useful. Sensors
take turns, interleaved across gateways (``interleave``).

**Time.** Reading number g (counting from 0 over all sensors) is stamped t0 + g / rate, so
each sensor reports every ``len(sensors) / rate`` seconds whatever its registered interval:
the simulator compresses time so a demo moves. Above 1,000 × len(sensors) readings a second,
two readings of a sensor would share a millisecond and the second be stored as a duplicate.

**Values** (per kind, ``_sim_profiles``): base + a daily cycle + a slow wave + white noise,
rounded to the device's resolution and kept within the sensor's range.

**Anomalies.** For each reading, with the probabilities of ``Anomalies``, an episode starts:
*drift* (the value creeps away at the kind's drift speed for a few minutes, then snaps back as
if recalibrated), *spike* (one reading jumps by about the kind's spike size), *stuck* (the
sensor repeats its last value for a while), *dropout* (the sensor is silent for a while) or a
*bad* reading (a wrong unit, or a value outside the sensor's range as a broken current loop
gives), which ingestion rejects and counts per gateway.

**Determinism.** With a seed, the same sensors, rate and t0 give the same readings however
``generate`` is called (one call of 1,000 or ten of 100): every random stream is drawn per
reading, in reading order.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from enum import IntFlag
from itertools import pairwise
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.monitoring._sim_profiles import profile_for, wrong_unit_for
from yingji.monitoring.models import Gateway, Sensor

_LOCAL_OFFSET_S: Final = 8 * 3600  # the daily cycle follows China Standard Time
_PEAK_HOUR: Final = 14.0


class Flag(IntFlag):
    """What happened to a generated reading."""

    DRIFT = 1
    SPIKE = 2
    STUCK = 4
    WRONG_UNIT = 8
    OUT_OF_RANGE = 16


@dataclass(frozen=True, slots=True)
class SimSensor:
    """A registered sensor, as the simulator needs it."""

    gateway: str
    code: str
    kind: str
    unit: str
    range_min: float
    range_max: float


@dataclass(frozen=True, slots=True)
class Anomalies:
    """Per-reading probabilities that an anomaly starts, and episode lengths in seconds."""

    drift: float = 0.0004
    spike: float = 0.002
    stuck: float = 0.0004
    dropout: float = 0.0004
    bad: float = 0.002
    drift_seconds: tuple[float, float] = (120.0, 360.0)
    stuck_seconds: tuple[float, float] = (30.0, 120.0)
    dropout_seconds: tuple[float, float] = (60.0, 600.0)  # long ones outlast stale_after

    def scaled(self, factor: float) -> Anomalies:
        """Return these anomalies with every probability multiplied by ``factor`` (0: none)."""
        if not (factor >= 0 and math.isfinite(factor)):
            raise ValueError("the anomaly factor must be a finite number ≥ 0")
        changes = {
            f.name: min(1.0, getattr(self, f.name) * factor)
            for f in fields(self)
            if not f.name.endswith("_seconds")
        }
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Block:
    """Generated readings in time order (those of silent sensors already left out)."""

    sensor: npt.NDArray[np.intp]  # position in the simulator's sensor list
    ts: npt.NDArray[np.int64]  # epoch milliseconds
    value: npt.NDArray[np.float64]
    flags: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        """Return the number of readings."""
        return len(self.ts)

    def count(self, flag: Flag) -> int:
        """Return how many readings carry ``flag``."""
        return int(np.count_nonzero(self.flags & flag))


class Payload(NamedTuple):
    """One MQTT message: the gateway it is from, its body and how many readings it carries."""

    gateway: str
    body: bytes
    readings: int


def load_registry(session: Session, *, gateways: Iterable[str] = ()) -> list[SimSensor]:
    """Return the sensors of active gateways (or of the named ones), by gateway and code."""
    stmt = (
        select(Gateway.code, Sensor.code, Sensor.kind, Sensor.unit, Sensor.range_min,
               Sensor.range_max)
        .join(Gateway, Gateway.id == Sensor.gateway_id)
        .where(Gateway.active.is_(True))
        .order_by(Gateway.code, Sensor.code)
    )  # fmt: skip
    wanted = list(gateways)
    if wanted:
        stmt = stmt.where(Gateway.code.in_(wanted))
    return [SimSensor(*row) for row in session.execute(stmt)]


def interleave(sensors: Sequence[SimSensor]) -> list[SimSensor]:
    """Return the sensors taking turns across gateways (so any prefix covers every gateway)."""
    by_gateway: dict[str, list[SimSensor]] = {}
    for sensor in sensors:
        by_gateway.setdefault(sensor.gateway, []).append(sensor)
    queues = list(by_gateway.values())
    longest = max((len(q) for q in queues), default=0)
    return [q[i] for i in range(longest) for q in queues if i < len(q)]


class Simulator:
    """Generate readings of a fixed list of sensors at a fixed rate (see the module doc)."""

    def __init__(
        self,
        sensors: Sequence[SimSensor],
        *,
        rate: float,
        seed: int | None = None,
        anomalies: Anomalies | None = None,
        t0_ms: int | None = None,
    ) -> None:
        if not sensors:
            raise ValueError("no sensors to simulate")
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError("the rate must be a positive number of readings a second")
        self.sensors = tuple(sensors)
        self.rate = float(rate)
        self.anomalies = anomalies if anomalies is not None else Anomalies()
        self.t0_ms = t0_ms if t0_ms is not None else int(time.time() * 1000)
        self.generated = 0  # readings scheduled so far, the silent ones included
        self.counts: Counter[str] = Counter()  # episodes started and readings per anomaly
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
        self._events, self._sizes, self._noise, setup = streams
        self._setup(setup)

    def _setup(self, rng: np.random.Generator) -> None:
        n = len(self.sensors)
        profiles = [profile_for(s.kind, s.range_min, s.range_max) for s in self.sensors]

        def column(values: Iterable[float]) -> npt.NDArray[np.float64]:
            return np.fromiter(values, dtype=np.float64, count=n)

        self._base = column(p.base for p in profiles)
        self._diurnal = column(p.diurnal for p in profiles)
        self._slow = column(p.slow for p in profiles)
        self._omega = column(2 * math.pi / p.slow_period for p in profiles)
        self._sigma = column(p.noise for p in profiles)
        self._resolution = column(10.0**p.decimals for p in profiles)
        self._spike = column(p.spike for p in profiles)
        self._drift = column(p.drift for p in profiles)
        self._low = column(s.range_min for s in self.sensors)
        self._high = column(s.range_max for s in self.sensors)
        self._floor = column(
            s.range_min if p.floor is None else max(s.range_min, p.floor)
            for s, p in zip(self.sensors, profiles, strict=True)
        )
        wrong = [wrong_unit_for(s.kind, s.unit) for s in self.sensors]
        self._wrong_scale = column(w.scale for w in wrong)
        self._wrong_offset = column(w.offset for w in wrong)
        self._wrong_unit = [w.unit for w in wrong]
        self._phase = rng.uniform(0.0, 2 * math.pi, n)  # sensors do not move in lockstep
        never = np.full(n, -np.inf)  # episode ends: no episode yet
        self._drift_until, self._stuck_until, self._drop_until = never, never.copy(), never.copy()
        self._drift_start, self._drift_speed = np.zeros(n), np.zeros(n)
        self._stuck_value = np.full(n, np.nan)
        self._last = np.full(n, np.nan)
        self._codes = [s.code for s in self.sensors]
        self._units = [s.unit for s in self.sensors]
        self.gateways = sorted({s.gateway for s in self.sensors})
        index = {code: i for i, code in enumerate(self.gateways)}
        self._gateway = np.fromiter((index[s.gateway] for s in self.sensors), np.intp, count=n)

    def generate(self, count: int) -> Block:
        """Generate the next ``count`` scheduled readings, less those of silent sensors."""
        parts = []
        while count > 0:
            k = min(count, len(self.sensors))  # a sensor at most once per chunk
            parts.append(self._chunk(k))
            count -= k
        if not parts:
            return self._chunk(0)
        if len(parts) == 1:
            return parts[0]
        return Block(
            np.concatenate([p.sensor for p in parts]), np.concatenate([p.ts for p in parts]),
            np.concatenate([p.value for p in parts]), np.concatenate([p.flags for p in parts]),
        )  # fmt: skip

    def _episodes(
        self, idx: npt.NDArray[np.intp], t: npt.NDArray[np.float64], u: Any, m: Any
    ) -> None:
        """Start drift, stuck and dropout episodes where the dice say so."""
        a = self.anomalies

        def starting(column: int, probability: float, until: npt.NDArray[np.float64]) -> Any:
            return (u[:, column] < probability) & (until[idx] <= t)

        def length(bounds: tuple[float, float], where: Any) -> Any:
            return bounds[0] + (bounds[1] - bounds[0]) * m[where, 1]

        start = starting(0, a.drift, self._drift_until)
        if start.any():
            sel = idx[start]
            self._drift_start[sel] = t[start]
            self._drift_until[sel] = t[start] + length(a.drift_seconds, start)
            self._drift_speed[sel] = self._drift[sel] * (0.5 + m[start, 0])
            self.counts["drift"] += int(start.sum())
        start = starting(2, a.stuck, self._stuck_until) & ~np.isnan(self._last[idx])
        if start.any():
            sel = idx[start]
            self._stuck_until[sel] = t[start] + length(a.stuck_seconds, start)
            self._stuck_value[sel] = self._last[sel]
            self.counts["stuck"] += int(start.sum())
        start = starting(3, a.dropout, self._drop_until)
        if start.any():
            self._drop_until[idx[start]] = t[start] + length(a.dropout_seconds, start)
            self.counts["dropout"] += int(start.sum())

    def _chunk(self, k: int) -> Block:
        g = np.arange(self.generated, self.generated + k, dtype=np.int64)
        self.generated += k
        idx = (g % len(self.sensors)).astype(np.intp)
        ts = self.t0_ms + np.floor(g * (1000.0 / self.rate)).astype(np.int64)
        t = ts / 1000.0
        u = self._events.random((k, 5))  # drift, spike, stuck, dropout, bad
        m = self._sizes.random((k, 3))  # size, episode length, kind of bad reading
        noise = self._noise.standard_normal(k)
        self._episodes(idx, t, u, m)
        hours = ((t + _LOCAL_OFFSET_S) / 3600.0 - _PEAK_HOUR) % 24.0
        value = (
            self._base[idx]
            + self._diurnal[idx] * np.cos(hours * (2 * math.pi / 24.0))
            + self._slow[idx] * np.sin(self._omega[idx] * t + self._phase[idx])
            + self._sigma[idx] * noise
        )
        flags = np.zeros(k, dtype=np.uint8)
        drifting = self._drift_until[idx] > t
        value += np.where(drifting, self._drift_speed[idx] * (t - self._drift_start[idx]), 0.0)
        flags[drifting] |= np.uint8(Flag.DRIFT)
        spike = u[:, 1] < self.anomalies.spike
        value += np.where(spike, self._spike[idx] * (0.6 + m[:, 0]), 0.0)
        flags[spike] |= np.uint8(Flag.SPIKE)
        value = np.round(value * self._resolution[idx]) / self._resolution[idx]
        value = np.clip(value, self._floor[idx], self._high[idx])
        stuck = self._stuck_until[idx] > t
        value = np.where(stuck, self._stuck_value[idx], value)
        flags[stuck] = (flags[stuck] & ~np.uint8(Flag.SPIKE)) | np.uint8(Flag.STUCK)
        self._last[idx] = value
        keep = self._drop_until[idx] <= t
        self._bad_readings(idx, value, flags, (u[:, 4] < self.anomalies.bad) & keep, m[:, 2])
        block = Block(idx[keep], ts[keep], value[keep], flags[keep])
        self.counts["silent"] += k - len(block)
        for name, flag in (("spike", Flag.SPIKE), ("wrong_unit", Flag.WRONG_UNIT),
                           ("out_of_range", Flag.OUT_OF_RANGE)):  # fmt: skip
            self.counts[name] += block.count(flag)
        return block

    def _bad_readings(
        self, idx: npt.NDArray[np.intp], value: Any, flags: Any, bad: Any, dice: Any
    ) -> None:
        """Turn the chosen readings into a wrong unit or a reading outside the range."""
        wrong = bad & (dice < 0.5)
        if wrong.any():
            sel = idx[wrong]
            value[wrong] = np.round(
                value[wrong] * self._wrong_scale[sel] + self._wrong_offset[sel], 6
            )
            flags[wrong] |= np.uint8(Flag.WRONG_UNIT)
        outside = bad & ~wrong
        if outside.any():
            sel = idx[outside]
            span = self._high[sel] - self._low[sel]
            under = self._low[sel] - 0.25 * span  # a broken 4–20 mA loop reads 0 mA
            value[outside] = np.where(dice[outside] < 0.75, under, self._high[sel] + 0.5 * span)
            flags[outside] |= np.uint8(Flag.OUT_OF_RANGE)

    def payloads(self, block: Block, *, batch: int) -> list[Payload]:
        """Return the block as payloads per gateway, each of at most ``batch`` readings."""
        if batch < 1:
            raise ValueError("a batch holds at least one reading")
        gateway = self._gateway[block.sensor]
        order = np.argsort(gateway, kind="stable")
        gateway = gateway[order]
        sensors = block.sensor[order].tolist()
        codes, units = self._codes, self._units
        stamps, values = block.ts[order].tolist(), block.value[order].tolist()
        readings = [
            {"sensor": codes[i], "ts": t, "value": v, "unit": units[i]}
            for i, t, v in zip(sensors, stamps, values, strict=True)
        ]
        for position in np.flatnonzero(block.flags[order] & Flag.WRONG_UNIT).tolist():
            readings[position]["unit"] = self._wrong_unit[sensors[position]]
        bounds = [0, *(np.flatnonzero(np.diff(gateway)) + 1).tolist(), len(readings)]
        out: list[Payload] = []
        for start, end in pairwise(bounds):
            if start == end:
                continue
            code = self.gateways[int(gateway[start])]
            for first in range(start, end, batch):
                chunk = readings[first : min(end, first + batch)]
                out.append(Payload(code, orjson.dumps({"readings": chunk}), len(chunk)))
        return out
