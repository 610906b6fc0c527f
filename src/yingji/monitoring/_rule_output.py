"""Transitions: what the rule engine reports, as a structured array or as tuples."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from yingji.monitoring._rule_batch import SensorChanges
from yingji.monitoring._rule_config import Level


class RuleKind(StrEnum):
    """The rule a transition comes from; its position is the ``rule`` code."""

    THRESHOLD = "threshold"
    RATE = "rate"
    STALE = "stale"
    COMBINATION = "combination"

    @property
    def code(self) -> int:
        """Return the ``rule`` code of this kind in ``TRANSITION_DTYPE`` rows."""
        return _RULES.index(self)


class TargetKind(StrEnum):
    """Whether a transition is about a sensor or a k-of-n group; position is the code."""

    SENSOR = "sensor"
    GROUP = "group"


_RULES: Final = tuple(RuleKind)
_TARGETS: Final = tuple(TargetKind)

TRANSITION_DTYPE: Final = np.dtype(
    [
        ("target", "<i8"),
        ("target_kind", "i1"),
        ("rule", "i1"),
        ("timestamp", "<f8"),
        ("old", "i1"),
        ("new", "i1"),
        ("value", "<f8"),
        ("reading", "<i8"),
    ]
)


class Transition(NamedTuple):
    """One change of a reported level, as Python values."""

    target: int
    target_kind: TargetKind
    rule: RuleKind
    timestamp: float
    old: Level
    new: Level
    value: float
    reading: int


class Evaluation(NamedTuple):
    """The transitions of one ``evaluate`` or ``tick`` call and the readings it skipped."""

    transitions: npt.NDArray[np.void]
    skipped: int = 0

    def records(self) -> list[Transition]:
        """Return the transitions as ``Transition`` tuples."""
        return [
            Transition(
                int(row["target"]),
                _TARGETS[row["target_kind"]],
                _RULES[row["rule"]],
                float(row["timestamp"]),
                Level(int(row["old"])),
                Level(int(row["new"])),
                float(row["value"]),
                int(row["reading"]),
            )
            for row in self.transitions
        ]


def transition_rows(
    target: npt.ArrayLike,
    *,
    rule: RuleKind,
    timestamp: npt.ArrayLike,
    old: npt.ArrayLike,
    new: npt.ArrayLike,
    value: npt.ArrayLike,
    reading: npt.ArrayLike,
    group: bool = False,
) -> npt.NDArray[np.void]:
    """Return transition rows with the given columns (scalars broadcast)."""
    targets = np.asarray(target)
    out = np.empty(targets.size, dtype=TRANSITION_DTYPE)
    out["target"] = targets
    out["target_kind"] = int(group)
    out["rule"] = rule.code
    out["timestamp"] = timestamp
    out["old"] = old
    out["new"] = new
    out["value"] = value
    out["reading"] = reading
    return out


def changes_rows(changes: SensorChanges, rule: RuleKind) -> npt.NDArray[np.void]:
    """Return the transition rows of one sensor rule's changes."""
    return transition_rows(
        changes.sensor,
        rule=rule,
        timestamp=changes.timestamp,
        old=changes.old,
        new=changes.new,
        value=changes.value,
        reading=changes.reading,
    )
