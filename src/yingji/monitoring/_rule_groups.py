"""k-of-n groups: their rules, their reported levels and the vectorised level function.

A group's level is the highest L ≥ min_level with at least k members at reported threshold
level ≥ L (else 0). Per group and level L the engine only needs the count of members at ≥ L,
so a batch's member changes become count deltas and a running sum per group replays them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from yingji.monitoring._rule_config import LEVEL_COUNT, GroupRule

Ints = npt.NDArray[np.intp]
Levels = npt.NDArray[np.int8]
_LEVELS = np.arange(1, LEVEL_COUNT + 1)


class _Flat(NamedTuple):
    """All memberships as flat arrays, and the groups of each sensor (CSR, ascending)."""

    group_of: Ints  # per membership
    member: Ints  # per membership
    k: Ints  # per group
    min_level: Ints  # per group
    by_sensor_start: Ints  # per sensor + 1
    by_sensor: Ints  # group ids, sorted by (sensor, group)


class GroupChanges(NamedTuple):
    """Group level changes, each tied to the member change (index) that caused it."""

    group: Ints
    cause: Ints
    old: Levels
    new: Levels


class Groups:
    """The k-of-n groups, indexed by group id."""

    def __init__(self) -> None:
        """Start with no groups."""
        self.rules: list[GroupRule] = []
        self.level = np.zeros(0, dtype=np.int8)  # reported level per group
        self._sensors = 0
        self._flat: _Flat | None = None

    def resize(self, count: int) -> None:
        """Track ``count`` sensors."""
        self._sensors = count
        self._flat = None

    def set(self, group: int, rule: GroupRule) -> None:
        """Add (``group`` = number of groups) or replace a group; its level is kept."""
        if max(rule.members) >= self._sensors:
            raise ValueError("a group member is not a registered sensor")
        if group == len(self.rules):
            self.rules.append(rule)
            self.level = np.append(self.level, np.int8(0))
        else:
            self.rules[group] = rule
        self._flat = None

    def _flatten(self) -> _Flat:
        """Return (and cache) the flat arrays of the current groups."""
        if self._flat is None:
            sizes = np.array([len(r.members) for r in self.rules], dtype=np.intp)
            group_of = np.repeat(np.arange(len(self.rules)), sizes)
            member = np.array([m for r in self.rules for m in r.members], dtype=np.intp)
            by_member = np.lexsort((group_of, member))
            start = np.zeros(self._sensors + 1, dtype=np.intp)
            np.cumsum(np.bincount(member, minlength=self._sensors), out=start[1:])
            self._flat = _Flat(
                group_of,
                member,
                np.array([r.k for r in self.rules], dtype=np.intp),
                np.array([r.min_level for r in self.rules], dtype=np.intp),
                start,
                group_of[by_member],
            )
        return self._flat

    def _level(self, counts: npt.NDArray[np.intp], groups: Ints) -> Levels:
        """Return the levels of groups given, per group, the member counts at ≥ 1..4."""
        flat = self._flatten()
        ok = (counts >= flat.k[groups, None]) & (flat.min_level[groups, None] <= _LEVELS)
        level: Levels = (ok * _LEVELS).max(axis=1, initial=0).astype(np.int8)
        return level

    def _counts(self, levels: Levels, groups: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        """Return, for every group (0 where not selected), its members at ≥ 1..4."""
        flat = self._flatten()
        sel = groups[flat.group_of]
        member_levels = levels[flat.member[sel]]
        return np.stack(
            [
                np.bincount(flat.group_of[sel], member_levels >= lv, minlength=len(self.rules))
                for lv in _LEVELS
            ],
            axis=1,
        ).astype(np.intp)

    def levels_of_all(self, levels: Levels) -> Levels:
        """Return every group's level given every sensor's reported threshold level."""
        everything = np.ones(len(self.rules), dtype=bool)
        return self._level(self._counts(levels, everything), np.arange(len(self.rules)))

    def replay(
        self, sensor: Ints, order: Ints, old: Levels, new: Levels, levels: Levels
    ) -> GroupChanges:
        """Apply member threshold changes in ``order`` (reading positions); return group changes.

        ``levels`` are the reported threshold levels before these changes.
        """
        flat = self._flatten()
        degree = np.diff(flat.by_sensor_start)[sensor]
        cause = np.repeat(np.arange(sensor.size), degree)
        if cause.size == 0:
            empty = np.empty(0, np.intp)
            return GroupChanges(empty, empty, np.empty(0, np.int8), np.empty(0, np.int8))
        within = np.arange(cause.size) - np.repeat(np.cumsum(degree) - degree, degree)
        group = flat.by_sensor[flat.by_sensor_start[sensor[cause]] + within]
        by_group = np.lexsort((order[cause], group))
        cause, group = cause[by_group], group[by_group]
        first = np.empty(group.size, dtype=bool)
        first[0] = True
        np.not_equal(group[1:], group[:-1], out=first[1:])
        touched = np.zeros(len(self.rules), dtype=bool)
        touched[group] = True
        delta = (new[cause, None] >= _LEVELS).astype(np.intp) - (old[cause, None] >= _LEVELS)
        running = np.cumsum(delta, axis=0)
        head = np.flatnonzero(first)
        start = np.repeat(head, np.diff(np.append(head, group.size)))
        counts = self._counts(levels, touched)[group] + running - (running - delta)[start]
        level = self._level(counts, group)
        before = np.empty_like(level)
        before[1:] = level[:-1]
        before[first] = self.level[group[first]]
        last = np.append(head[1:] - 1, group.size - 1)
        self.level[group[last]] = level[last]
        changed = np.flatnonzero(level != before)
        return GroupChanges(group[changed], cause[changed], before[changed], level[changed])
