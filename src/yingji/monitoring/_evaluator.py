"""The rule engine bound to the registry: sensor ids to engine indices, rules, windows, groups.

``RuleRuntime`` keeps one ``rules.RuleEngine`` in step with the database: sensors are added
with their kind's rule and overrides (``Sensor.rule_override``), maintenance windows and a
sensor in ``maintenance`` status suppress reports, and k-of-n groups come from
``alarm_groups``. Readings go in as (sensor id, epoch ms, value); level changes come out as
alarms (``_alarms.apply_changes``). ``save`` stores a snapshot; ``load`` resumes from it, so
rule state (durations, hysteresis, last values) survives a restart. Alarm application is
idempotent, so readings evaluated again after a restart from an older snapshot change nothing.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.monitoring._alarms import LevelChange, apply_changes
from yingji.monitoring.models import (
    Alarm,
    AlarmGroup,
    MaintenanceWindow,
    RuleEngineState,
    Sensor,
)
from yingji.monitoring.rules import (
    Evaluation,
    GroupRule,
    Level,
    RuleEngine,
    RuleKind,
    SensorRule,
    TargetKind,
    rule_for,
)
from yingji.monitoring.schemas import SensorStatus

STATE_NAME: Final = "main"
_FOREVER: Final = 1e12  # seconds: a maintenance status is a window without end


def sensor_rule(kind: str, override: dict[str, Any] | None) -> SensorRule:
    """Return a sensor's rule: its kind's default with its overrides."""
    return rule_for(kind, **(override or {}))


class RuleRuntime:
    """A rule engine with the registry's sensors and groups, evaluating readings into alarms."""

    def __init__(self, engine: RuleEngine, sensor_ids: list[int], group_ids: list[int]) -> None:
        self.engine = engine
        self.sensor_ids = list(sensor_ids)
        self.index = {sid: i for i, sid in enumerate(self.sensor_ids)}
        self.group_ids = list(group_ids)
        self._version: tuple[Any, ...] | None = None
        # Lookup table sensor id -> engine index (-1 unknown), for vectorised mapping.
        self._lookup = np.full(1, -1, dtype=np.int64)
        self._rebuild_lookup()

    # --- state ----------------------------------------------------------------------------

    @classmethod
    def load(cls, session: Session) -> RuleRuntime:
        """Resume from the saved snapshot (or start empty) and catch up with the registry."""
        saved = session.get(RuleEngineState, STATE_NAME)
        if saved is None:
            runtime = cls(RuleEngine(), [], [])
        else:
            engine = RuleEngine.restore(saved.snapshot)
            runtime = cls(engine, list(saved.sensor_ids), list(saved.group_ids))
        runtime.sync(session, force=True)
        return runtime

    def save(self, session: Session) -> None:
        """Store the engine's snapshot (in the caller's transaction)."""
        row = session.get(RuleEngineState, STATE_NAME)
        snap = self.engine.snapshot()
        if row is None:
            session.add(
                RuleEngineState(
                    name=STATE_NAME, sensor_ids=self.sensor_ids, group_ids=self.group_ids,
                    snapshot=snap, saved_at=utcnow(),
                )
            )  # fmt: skip
        else:
            row.sensor_ids, row.group_ids = list(self.sensor_ids), list(self.group_ids)
            row.snapshot, row.saved_at = snap, utcnow()
        session.flush()

    def _rebuild_lookup(self) -> None:
        size = (max(self.sensor_ids) + 1) if self.sensor_ids else 1
        self._lookup = np.full(size, -1, dtype=np.int64)
        if self.sensor_ids:
            self._lookup[np.asarray(self.sensor_ids)] = np.arange(len(self.sensor_ids))

    # --- registry ---------------------------------------------------------------------------

    def _registry_version(self, session: Session) -> tuple[Any, ...]:
        sensors = session.execute(select(func.count(), func.max(Sensor.updated_at))).one()
        windows = session.execute(
            select(func.count(), func.max(MaintenanceWindow.created_at))
        ).one()
        groups = session.execute(select(func.count(), func.max(AlarmGroup.created_at))).one()
        return (*sensors, *windows, *groups)

    def sync(self, session: Session, *, force: bool = False) -> bool:
        """Bring sensors, rules, windows and groups in line with the registry if it changed."""
        version = self._registry_version(session)
        if not force and version == self._version:
            return False
        rows = session.execute(
            select(Sensor.id, Sensor.kind, Sensor.rule_override, Sensor.status).order_by(Sensor.id)
        ).all()
        new = [r for r in rows if r[0] not in self.index]
        if new:
            rules = [sensor_rule(r[1], r[2]) for r in new]
            # A sensor that never reported is stale once stale_after passes from now.
            added = self.engine.add_sensors(rules, registered_at=utcnow().timestamp())
            for row, position in zip(new, added, strict=True):
                self.sensor_ids.append(row[0])
                self.index[row[0]] = position
            self._rebuild_lookup()
        for sid, kind, override, _status in rows:
            wanted = sensor_rule(kind, override)
            position = self.index[sid]
            if self.engine.rule_of(position) != wanted:
                self.engine.configure(position, wanted)
        self._sync_windows(session, {r[0]: r[3] for r in rows})
        self._sync_groups(session)
        self._version = version
        return True

    def _sync_windows(self, session: Session, statuses: dict[int, str]) -> None:
        windows: dict[int, list[tuple[float, float]]] = {}
        for sid, start, end in session.execute(
            select(
                MaintenanceWindow.sensor_id, MaintenanceWindow.starts_at, MaintenanceWindow.ends_at
            )
        ):
            windows.setdefault(sid, []).append((start.timestamp(), end.timestamp()))
        for sid, status in statuses.items():
            if status == SensorStatus.MAINTENANCE.value:
                windows.setdefault(sid, []).append((0.0, _FOREVER))
        for sid, position in self.index.items():
            wanted = sorted(_merge(windows.get(sid, [])))
            if [tuple(w) for w in self.engine.maintenance_of(position)] != wanted:
                self.engine.set_maintenance(position, wanted)

    def _sync_groups(self, session: Session) -> None:
        rows = session.execute(
            select(
                AlarmGroup.id, AlarmGroup.sensor_ids, AlarmGroup.k, AlarmGroup.min_level
            ).order_by(AlarmGroup.id)
        ).all()
        known = {gid: position for position, gid in enumerate(self.group_ids)}
        for gid, members, k, min_level in rows:
            indices = tuple(sorted(self.index[m] for m in members if m in self.index))
            if len(indices) < k:
                continue
            rule = GroupRule(members=indices, k=int(k), min_level=Level(int(min_level)))
            if gid in known:
                if self.engine.group_rule(known[gid]) != rule:
                    self.engine.configure_group(known[gid], rule)
            else:
                self.engine.add_group(rule)
                self.group_ids.append(gid)

    # --- evaluation -------------------------------------------------------------------------

    def evaluate(
        self,
        session: Session,
        sensor_ids: npt.ArrayLike,
        timestamps_ms: npt.ArrayLike,
        values: npt.ArrayLike,
    ) -> list[Alarm]:
        """Evaluate readings (in arrival order) and apply the level changes as alarms."""
        ids = np.asarray(sensor_ids, dtype=np.int64)
        if ids.size == 0:
            return []
        inside = (ids >= 0) & (ids < self._lookup.size)
        positions = np.where(inside, self._lookup[np.clip(ids, 0, self._lookup.size - 1)], -1)
        known = positions >= 0
        ts = np.asarray(timestamps_ms, dtype=np.float64)[known] / 1000.0
        vals = np.asarray(values, dtype=np.float64)[known]
        result = self.engine.evaluate(positions[known], ts, vals)
        return apply_changes(session, self._changes(result))

    def tick(self, session: Session, now: datetime | None = None) -> list[Alarm]:
        """Detect stale sensors and report levels held back by maintenance that has ended."""
        moment = (now or utcnow()).timestamp()
        return apply_changes(session, self._changes(self.engine.tick(moment)))

    def _changes(self, result: Evaluation) -> list[LevelChange]:
        out = []
        for t in result.records():
            value = None if math.isnan(t.value) else t.value
            ts_ms = round(t.timestamp * 1000)
            if t.target_kind is TargetKind.GROUP:
                target: dict[str, int] = {"group_id": self.group_ids[t.target]}
            else:
                target = {"sensor_id": self.sensor_ids[t.target]}
            rule = t.rule.value if isinstance(t.rule, RuleKind) else str(t.rule)
            out.append(LevelChange(rule=rule, old=int(t.old), new=int(t.new), ts_ms=ts_ms,
                                   value=value, **target))  # fmt: skip
        return out


def _merge(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return windows merged where they overlap (the engine takes disjoint windows)."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
