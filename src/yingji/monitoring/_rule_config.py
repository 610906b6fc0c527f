"""Rule configuration: alarm levels, sensor and group rules, per-kind defaults.

The semantics of every field are specified in ``yingji.monitoring.rules``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from enum import IntEnum, StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

LEVEL_COUNT: Final = 4
_DEFAULTS_FILE: Final = "data/rule_defaults.toml"


class Level(IntEnum):
    """Alarm level: 0 normal, then the four warning colours from least to most severe."""

    NORMAL = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4


class Direction(StrEnum):
    """Which side of a threshold raises: ``above`` (value ≥ threshold) or ``below`` (≤)."""

    ABOVE = "above"
    BELOW = "below"


def _number(name: str, value: float | None, *, positive: bool, optional: bool) -> float | None:
    """Return value as a float after checking it is finite (and > 0, or ≥ 0)."""
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name} is required")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        raise ValueError(f"{name} must be a finite number {'> 0' if positive else '≥ 0'}")
    return number


@dataclass(frozen=True, kw_only=True)
class SensorRule:
    """The rule of one sensor: threshold bands, hysteresis, duration, rate and staleness.

    A threshold of ``None`` leaves its level unset. Set thresholds must be strictly increasing
    from blue to red for ``above`` and strictly decreasing for ``below``. ``rate_limit`` (unit
    per second) and ``stale_after`` (seconds) of ``None`` switch those checks off.
    """

    direction: Direction = Direction.ABOVE
    blue: float | None = None
    yellow: float | None = None
    orange: float | None = None
    red: float | None = None
    deadband: float = 0.0
    duration: float = 0.0
    rate_limit: float | None = None
    rate_level: Level = Level.YELLOW
    stale_after: float | None = None
    stale_level: Level = Level.BLUE

    def __post_init__(self) -> None:
        """Normalise the numbers to floats and check the rule is consistent."""
        coerce = {
            "direction": Direction(self.direction),
            "rate_level": Level(self.rate_level),
            "stale_level": Level(self.stale_level),
            "deadband": _number("deadband", self.deadband, positive=False, optional=False),
            "duration": _number("duration", self.duration, positive=False, optional=False),
            "rate_limit": _number("rate_limit", self.rate_limit, positive=True, optional=True),
            "stale_after": _number("stale_after", self.stale_after, positive=True, optional=True),
        }
        for name in ("blue", "yellow", "orange", "red"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(float(value)):
                raise ValueError(f"threshold {name} must be finite or None")
            coerce[name] = None if value is None else float(value)
        for name, value in coerce.items():
            object.__setattr__(self, name, value)
        if Level.NORMAL in (self.rate_level, self.stale_level):
            raise ValueError("rate_level and stale_level must be 1 (blue) to 4 (red)")
        present = [x for x in self.thresholds if x is not None]
        sign = 1.0 if self.direction is Direction.ABOVE else -1.0
        if any(sign * (b - a) <= 0 for a, b in pairwise(present)):
            raise ValueError(f"set thresholds must be strictly monotone {self.direction.value}")

    @property
    def thresholds(self) -> tuple[float | None, float | None, float | None, float | None]:
        """Return the thresholds of levels 1 to 4 (blue, yellow, orange, red)."""
        return (self.blue, self.yellow, self.orange, self.red)

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as plain JSON values, leaving out unset fields."""
        out = {k: v for k, v in asdict(self).items() if v is not None}
        out["direction"] = self.direction.value
        out["rate_level"] = int(self.rate_level)
        out["stale_level"] = int(self.stale_level)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SensorRule:
        """Build a rule from ``to_dict`` output or a TOML table (unknown keys are an error)."""
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown rule fields: {sorted(unknown)}")
        return cls(**raw)


@dataclass(frozen=True, kw_only=True)
class GroupRule:
    """A k-of-n combination over sensors of one object, e.g. two of three gas detectors."""

    members: tuple[int, ...]
    k: int
    min_level: Level = Level.BLUE

    def __post_init__(self) -> None:
        """Normalise and check the members, k and the minimum level."""
        members = tuple(int(m) for m in self.members)
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "min_level", Level(self.min_level))
        if len(set(members)) != len(members) or any(m < 0 for m in members):
            raise ValueError("group members must be distinct sensor indices")
        if not 1 <= self.k <= len(members):
            raise ValueError("k must be between 1 and the number of members")
        if self.min_level is Level.NORMAL:
            raise ValueError("min_level must be 1 (blue) to 4 (red)")

    def to_dict(self) -> dict[str, Any]:
        """Return the group rule as plain JSON values."""
        return {"members": list(self.members), "k": self.k, "min_level": int(self.min_level)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GroupRule:
        """Build a group rule from ``to_dict`` output."""
        return cls(members=tuple(raw["members"]), k=int(raw["k"]), min_level=raw["min_level"])


class KindDefault(NamedTuple):
    """The default rule of a sensor kind and the unit its thresholds are in."""

    unit: str
    rule: SensorRule


@cache
def kind_defaults() -> Mapping[str, KindDefault]:
    """Return the default rule per sensor kind, from ``data/rule_defaults.toml``."""
    text = resources.files("yingji.monitoring").joinpath(_DEFAULTS_FILE).read_text("utf-8")
    out: dict[str, KindDefault] = {}
    for kind, table in tomllib.loads(text).items():
        body = dict(table)
        unit = str(body.pop("unit"))
        out[kind] = KindDefault(unit, SensorRule.from_dict(body))
    return MappingProxyType(out)


def rule_for(kind: str, **overrides: Any) -> SensorRule:
    """Return the default rule of a sensor kind with per-sensor overrides applied."""
    try:
        base = kind_defaults()[kind].rule
    except KeyError:
        raise ValueError(f"no default rule for sensor kind {kind!r}") from None
    return replace(base, **overrides)


class RuleRows(NamedTuple):
    """Rules compiled to arrays, one row (or column, for the per-level arrays) per rule.

    Thresholds are sign-normalised so that every comparison reads ``sign * value ≥ limit``;
    ``raise_at[l]`` is the threshold of the lowest set level ≥ l + 1 (``inf`` if none), which
    makes "the raw level is ≥ l + 1" a single comparison.
    """

    sign: npt.NDArray[np.float64]
    raise_at: npt.NDArray[np.float64]  # (4, rules)
    hold_at: npt.NDArray[np.float64]  # (4, rules)
    duration: npt.NDArray[np.float64]
    rate_limit: npt.NDArray[np.float64]  # inf: off
    rate_level: npt.NDArray[np.int8]
    stale_after: npt.NDArray[np.float64]  # inf: off
    stale_level: npt.NDArray[np.int8]


def compile_rules(rules: Sequence[SensorRule]) -> RuleRows:
    """Compile rules to the arrays the batch evaluation gathers from."""
    n = len(rules)
    sign = np.array([1.0 if r.direction is Direction.ABOVE else -1.0 for r in rules], float)
    raise_at = np.full((LEVEL_COUNT, n), np.inf)
    for j, rule in enumerate(rules):
        upper = math.inf
        for level in range(LEVEL_COUNT - 1, -1, -1):
            threshold = rule.thresholds[level]
            if threshold is not None:
                upper = sign[j] * threshold
            raise_at[level, j] = upper
    deadband = np.array([r.deadband for r in rules], dtype=np.float64)
    return RuleRows(
        sign=sign,
        raise_at=raise_at,
        hold_at=raise_at - deadband,
        duration=np.array([r.duration for r in rules], dtype=np.float64),
        rate_limit=np.array(
            [math.inf if r.rate_limit is None else r.rate_limit for r in rules], dtype=np.float64
        ),
        rate_level=np.array([r.rate_level for r in rules], dtype=np.int8),
        stale_after=np.array(
            [math.inf if r.stale_after is None else r.stale_after for r in rules], dtype=np.float64
        ),
        stale_level=np.array([r.stale_level for r in rules], dtype=np.int8),
    )
