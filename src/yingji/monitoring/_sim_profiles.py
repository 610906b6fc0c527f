"""How each sensor kind behaves in the simulator: its normal signal and its anomalies.

Normal values sit below the kind's default alarm bands (``data/rule_defaults.toml``), so a
quiet sensor raises nothing and the injected anomalies (drift, spikes) are what cross them.
Noise is small enough that the default rate-of-change rules stay quiet at a reading a second.
A kind without a profile, or a sensor whose range does not contain its kind's normal value
(a water level given as an elevation, say), gets a profile relative to its range instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Profile:
    """The signal of a kind: base + diurnal + slow wave + noise, and its anomaly sizes."""

    base: float
    diurnal: float  # amplitude of the daily cycle, peaking at 14:00 China time
    slow: float  # amplitude of a slow wave (filling and emptying, traffic, showers…)
    slow_period: float  # seconds
    noise: float  # standard deviation of white noise
    decimals: int  # a device's resolution
    spike: float  # typical size of a spike (scaled by 0.6–1.6 at random)
    drift: float  # typical drift speed, unit per second (scaled by 0.5–1.5)
    floor: float | None = None  # physical lower bound above the range's (gas ≥ 0)


@dataclass(frozen=True, slots=True)
class WrongUnit:
    """How a misconfigured gateway reports a kind: another unit, value = v · scale + offset."""

    unit: str
    scale: float = 1.0
    offset: float = 0.0


PROFILES: Final[dict[str, Profile]] = {
    # Background a little above zero; a leak shows as a spike (seconds) or a creeping drift.
    "combustible_gas": Profile(0.8, 0.0, 0.4, 1800, 0.15, 1, 45.0, 0.15, floor=0.0),
    "toxic_gas": Profile(0.6, 0.0, 0.3, 1800, 0.1, 2, 18.0, 0.08, floor=0.0),
    # A medium-pressure gas network near 0.3 MPa, dipping with the evening demand.
    "pressure": Profile(0.30, -0.015, 0.005, 900, 0.0015, 4, 0.12, 0.0004),
    "temperature": Profile(22.0, 6.0, 0.5, 3600, 0.05, 2, 40.0, 0.2),
    # A tank of about 10 m being filled and emptied over two hours.
    "liquid_level": Profile(5.5, 0.0, 1.0, 7200, 0.001, 3, 4.0, 0.008, floor=0.0),
    # A gauge reading (m above the gauge datum), rising slowly after rain.
    "water_level": Profile(1.5, 0.05, 0.2, 10800, 0.0003, 3, 1.5, 0.003),
    # Cumulative displacement with a thermal daily swing; drift is a slope or a bearing moving.
    "displacement": Profile(3.0, 0.5, 0.3, 3600, 0.001, 2, 15.0, 0.05),
    # A bridge member: thermal daily cycle plus traffic.
    "strain": Profile(120.0, 40.0, 10.0, 600, 2.0, 1, 320.0, 0.5),
    # Showers: the slow wave is below zero two thirds of the time (clipped at 0: dry).
    "rainfall": Profile(-1.5, 0.0, 3.0, 5400, 0.05, 1, 20.0, 0.05, floor=0.0),
    "wind": Profile(3.5, 1.5, 1.0, 1200, 0.3, 1, 12.0, 0.03, floor=0.0),
}

# By kind: what a gateway configured for the wrong unit sends (any unit but the kind's).
WRONG_UNITS: Final[dict[str, WrongUnit]] = {
    "combustible_gas": WrongUnit("%VOL", 0.05),  # methane: 100 %LEL = 5 %VOL
    "toxic_gas": WrongUnit("mg/m3", 0.7),
    "pressure": WrongUnit("kPa", 1000.0),
    "temperature": WrongUnit("K", 1.0, 273.15),
    "liquid_level": WrongUnit("cm", 100.0),
    "water_level": WrongUnit("cm", 100.0),
    "displacement": WrongUnit("m", 0.001),
    "strain": WrongUnit("mm/m", 0.001),
    "rainfall": WrongUnit("mm/d", 24.0),
    "wind": WrongUnit("km/h", 3.6),
}


def profile_for(kind: str, range_min: float, range_max: float) -> Profile:
    """Return the kind's profile, or one relative to the range when the kind's does not fit."""
    known = PROFILES.get(kind)
    if known is not None:
        typical = known.base if known.floor is None else max(known.base, known.floor)
        if range_min <= typical <= range_max:
            return known
    span = range_max - range_min
    return Profile(
        base=range_min + 0.35 * span, diurnal=0.01 * span, slow=0.02 * span, slow_period=3600,
        noise=0.0005 * span, decimals=3, spike=0.3 * span, drift=0.001 * span,
    )  # fmt: skip


def wrong_unit_for(kind: str, unit: str) -> WrongUnit:
    """Return how a misconfigured gateway would report a sensor of a kind and unit."""
    wrong = WRONG_UNITS.get(kind)
    return wrong if wrong is not None and wrong.unit != unit else WrongUnit(f"{unit}?")
