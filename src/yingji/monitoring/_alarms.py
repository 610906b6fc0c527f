"""Alarms: raised, changed and cleared by the rules; acknowledged, assigned, disposed by people.

``apply_changes`` turns the rule engine's level changes into alarms, idempotently: applying the
same change twice (a redelivered batch, a restart from an older engine snapshot) leaves the
same alarms. Each alarm change is audited and an outbox event carrying the reading that caused
it. An unacknowledged alarm escalates on the SLA of its level (data/alarm_sla.toml) through
persisted jobs: first to the county (区县) supervisor, then to the city.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, false, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth import service as auth
from yingji.core.auth.actor import Actor, subtree_range, system_actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.db import fetch_page, utcnow
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.core.jobs import cancel_job, schedule_job
from yingji.monitoring import events
from yingji.monitoring.models import Alarm, AlarmGroup, MonitoredObject, Sensor
from yingji.monitoring.states import (
    ENTITY,
    AlarmAction,
    AlarmStatus,
    Disposition,
    Severity,
    next_status,
)

SLA_JOB: Final = "monitoring.alarm_sla"
ALARM_FIELDS: Final = (
    "originator", "sensor_id", "group_id", "object_id", "rule", "severity", "peak_severity",
    "status", "handled", "last_value", "last_ts", "assigned_to", "disposition",
    "escalation_level",
)  # fmt: skip
# Escalation steps: 1 the county (区县) supervisor, 2 the city; the depth of their region paths.
ESCALATION_DEPTH: Final = {1: 3, 2: 2}


@dataclass(frozen=True, slots=True)
class Sla:
    """Minutes to acknowledge an alarm of one level before each escalation step."""

    enterprise_minutes: int
    county_minutes: int


@cache
def sla() -> dict[Severity, Sla]:
    """Return the alarm SLA per severity ([U] defaults, see data/alarm_sla.toml)."""
    text = resources.files("yingji.monitoring").joinpath("data/alarm_sla.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return {
        Severity(key): Sla(int(v["enterprise_minutes"]), int(v["county_minutes"]))
        for key, v in raw.items()
    }


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A rule's reported level changed for a sensor or a group (from the rule engine)."""

    rule: str  # rules.RuleKind value
    old: int
    new: int
    ts_ms: int
    value: float | None
    sensor_id: int | None = None
    group_id: int | None = None

    @property
    def originator(self) -> str:
        """Return the alarm's originator key."""
        return f"s:{self.sensor_id}" if self.sensor_id is not None else f"g:{self.group_id}"


@dataclass(frozen=True, slots=True)
class _Place:
    object_id: uuid.UUID
    enterprise_id: uuid.UUID | None
    region_path: str


def _places(session: Session, changes: list[LevelChange]) -> dict[str, _Place]:
    """Return where each change's originator is: its object, enterprise and region."""
    sensor_ids = {c.sensor_id for c in changes if c.sensor_id is not None}
    group_ids = {c.group_id for c in changes if c.group_id is not None}
    out: dict[str, _Place] = {}
    if sensor_ids:
        rows = session.execute(
            select(Sensor.id, Sensor.object_id, MonitoredObject.enterprise_id, Sensor.region_path)
            .join(MonitoredObject, MonitoredObject.id == Sensor.object_id)
            .where(Sensor.id.in_(sensor_ids))
        )
        for sid, oid, eid, path in rows:
            out[f"s:{sid}"] = _Place(oid, eid, path)
    if group_ids:
        rows = session.execute(
            select(
                AlarmGroup.id,
                AlarmGroup.object_id,
                MonitoredObject.enterprise_id,
                MonitoredObject.region_path,
            )
            .join(MonitoredObject, MonitoredObject.id == AlarmGroup.object_id)
            .where(AlarmGroup.id.in_(group_ids))
        )
        for gid, oid, eid, path in rows:
            out[f"g:{gid}"] = _Place(oid, eid, path)
    return out


def _moment(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)


def apply_changes(
    session: Session, changes: list[LevelChange], *, actor: Actor | None = None
) -> list[Alarm]:
    """Raise, change, reactivate or clear alarms for the engine's level changes; never commits.

    Returns the alarms that changed. A change that matches the alarm as it stands (the same
    level again, a clear of what is not active) changes nothing, and so does a change no newer
    than the latest reading an alarm of that originator and rule reflects: an engine resumed
    from an older snapshot re-evaluates readings whose changes are already applied.
    """
    if not changes:
        return []
    who = actor or system_actor(source="rules")
    keys = {c.originator for c in changes}
    open_alarms = {
        (a.originator, a.rule): a
        for a in session.scalars(
            select(Alarm).where(Alarm.originator.in_(keys), Alarm.handled.is_(False))
        )
    }
    places = _places(session, changes)
    changed: list[Alarm] = []
    for change in changes:
        place = places.get(change.originator)
        if place is None:  # a sensor or group that no longer exists
            continue
        alarm = open_alarms.get((change.originator, change.rule))
        if alarm is not None and change.ts_ms <= alarm.last_ts:
            continue  # older than what the alarm shows: replayed after a restart
        if change.new > 0:
            if alarm is None:
                if _seen(session, change):
                    continue
                alarm = _raise(session, change, place, who)
                open_alarms[(change.originator, change.rule)] = alarm
                changed.append(alarm)
            elif _set_level(session, alarm, change, who):
                changed.append(alarm)
        elif alarm is not None and AlarmStatus(alarm.status).active:
            _act(session, alarm, AlarmAction.CLEAR, who, change=change)
            alarm.cleared_at = _moment(change.ts_ms)
            _settle(alarm)
            changed.append(alarm)
    return changed


def _seen(session: Session, change: LevelChange) -> bool:
    """Return whether an alarm of the originator and rule already reflects this change."""
    found = session.scalar(
        select(Alarm.id)
        .where(
            Alarm.originator == change.originator,
            Alarm.rule == change.rule,
            Alarm.last_ts >= change.ts_ms,
        )
        .limit(1)
    )
    return found is not None


def _raise(session: Session, change: LevelChange, place: _Place, actor: Actor) -> Alarm:
    severity = Severity.of(change.new)
    alarm = Alarm(
        originator=change.originator, sensor_id=change.sensor_id, group_id=change.group_id,
        object_id=place.object_id, enterprise_id=place.enterprise_id,
        region_path=place.region_path, rule=change.rule, severity=severity.value,
        peak_severity=severity.value, status=AlarmStatus.ACTIVE_UNACK.value, handled=False,
        first_value=change.value, first_ts=change.ts_ms, last_value=change.value,
        last_ts=change.ts_ms, started_at=_moment(change.ts_ms), escalation_level=0,
    )  # fmt: skip
    session.add(alarm)
    session.flush()
    record_change(
        session, actor=actor, action="alarm.raised", entity_type=ENTITY, entity_id=alarm.id,
        region_path=alarm.region_path, after=snapshot(alarm, ALARM_FIELDS),
    )  # fmt: skip
    _event(session, alarm, "raised", None, change, actor)
    _schedule_sla(session, alarm)
    return alarm


def _set_level(session: Session, alarm: Alarm, change: LevelChange, actor: Actor) -> bool:
    """Move an open alarm to a new non-zero level; return whether anything changed."""
    severity = Severity.of(change.new)
    current = Severity(alarm.severity)
    status = AlarmStatus(alarm.status)
    if status.active and severity is current:
        return False
    before = snapshot(alarm, ALARM_FIELDS)
    if not status.active:
        action: AlarmAction | None = AlarmAction.REACTIVATE
    elif severity.level > current.level:
        action = AlarmAction.ESCALATE
    else:
        action = None  # lower, still active: no acknowledgement needed again
    alarm.severity = severity.value
    if severity.level > Severity(alarm.peak_severity).level:
        alarm.peak_severity = severity.value
    alarm.last_value, alarm.last_ts = change.value, change.ts_ms
    if action is not None:
        alarm.status = next_status(status, action).value
        alarm.cleared_at = None
        _schedule_sla(session, alarm, since=_moment(change.ts_ms))
    name = action.value if action is not None else "lowered"
    alarm.version += 1
    record_change(
        session, actor=actor, action=f"alarm.{name}", entity_type=ENTITY, entity_id=alarm.id,
        region_path=alarm.region_path, before=before, after=snapshot(alarm, ALARM_FIELDS),
    )  # fmt: skip
    _event(session, alarm, name, status, change, actor)
    return True


def _act(
    session: Session,
    alarm: Alarm,
    action: AlarmAction,
    actor: Actor,
    *,
    change: LevelChange | None = None,
) -> None:
    """Apply a transition of the table, audited, with its event."""
    status = AlarmStatus(alarm.status)
    before = snapshot(alarm, ALARM_FIELDS)
    alarm.status = next_status(status, action).value
    if change is not None:
        alarm.last_value, alarm.last_ts = change.value, change.ts_ms
    alarm.version += 1
    record_change(
        session, actor=actor, action=f"alarm.{action.value}", entity_type=ENTITY,
        entity_id=alarm.id, region_path=alarm.region_path, before=before,
        after=snapshot(alarm, ALARM_FIELDS),
    )  # fmt: skip
    _event(session, alarm, action.value, status, change, actor)


def _settle(alarm: Alarm) -> None:
    """Mark an alarm handled once it is cleared, acknowledged and disposed."""
    status = AlarmStatus(alarm.status)
    alarm.handled = (not status.active) and status.acknowledged and alarm.disposition is not None


def _event(
    session: Session,
    alarm: Alarm,
    action: str,
    previous: AlarmStatus | None,
    change: LevelChange | None,
    actor: Actor,
) -> None:
    record_event(
        session,
        events.AlarmChanged(
            alarm_id=alarm.id, action=action, status=alarm.status,
            previous_status=previous.value if previous else None, severity=alarm.severity,
            rule=alarm.rule, object_id=alarm.object_id, sensor_id=alarm.sensor_id,
            group_id=alarm.group_id, enterprise_id=alarm.enterprise_id,
            reading_ts=change.ts_ms if change else None,
            reading_value=change.value if change else None,
            escalation_level=alarm.escalation_level, handled=alarm.handled,
        ),
        actor=actor,
    )  # fmt: skip


# --- SLA --------------------------------------------------------------------------------------


def _sla_key(alarm_id: uuid.UUID) -> str:
    return f"alarm-sla:{alarm_id}"


def _schedule_sla(session: Session, alarm: Alarm, *, since: datetime | None = None) -> None:
    """(Re)start the acknowledgement clock of an alarm at its current severity."""
    limits = sla()[Severity(alarm.severity)]
    start = since or alarm.started_at
    alarm.escalation_level = 0
    schedule_job(
        session, kind=SLA_JOB, run_at=start + timedelta(minutes=limits.enterprise_minutes),
        payload={"alarm_id": str(alarm.id), "step": 1, "version": alarm.version},
        dedupe_key=_sla_key(alarm.id),
    )  # fmt: skip


def escalate_if_unacknowledged(
    session: Session, *, alarm_id: uuid.UUID, step: int, now: datetime | None = None
) -> bool:
    """Escalate an alarm nobody acknowledged in time (the SLA job); return whether it did."""
    alarm = session.get(Alarm, alarm_id, with_for_update=True)
    if alarm is None or alarm.handled or AlarmStatus(alarm.status).acknowledged:
        return False
    if alarm.escalation_level >= step:
        return False
    moment = now or utcnow()
    actor = system_actor(source="worker")
    before = snapshot(alarm, ALARM_FIELDS)
    alarm.escalation_level = step
    alarm.escalated_at = moment
    depth = ESCALATION_DEPTH[step]
    to_region = alarm.region_path.strip("/").split("/")[depth - 1 : depth]
    record_change(
        session, actor=actor, action="alarm.escalated", entity_type=ENTITY, entity_id=alarm.id,
        region_path=alarm.region_path, before=before, after=snapshot(alarm, ALARM_FIELDS),
    )  # fmt: skip
    record_event(
        session,
        events.AlarmEscalated(
            alarm_id=alarm.id, step=step, to_region_code=to_region[0] if to_region else None,
            severity=alarm.severity, object_id=alarm.object_id, sensor_id=alarm.sensor_id,
            enterprise_id=alarm.enterprise_id,
        ),
        actor=actor,
    )  # fmt: skip
    if step == 1:
        limits = sla()[Severity(alarm.severity)]
        schedule_job(
            session, kind=SLA_JOB,
            run_at=moment + timedelta(minutes=limits.county_minutes - limits.enterprise_minutes),
            payload={"alarm_id": str(alarm.id), "step": 2}, dedupe_key=_sla_key(alarm.id),
        )  # fmt: skip
    return True


# --- people -----------------------------------------------------------------------------------


def _require(actor: Actor, permission: Permission, alarm: Alarm) -> None:
    scope = actor.require(permission)
    if scope is Scope.OWN_ORG:
        actor.require_org(alarm.enterprise_id, what="alarm")
    elif scope is Scope.REGION:
        actor.require_region(alarm.region_path, what="alarm")
    else:
        raise Forbidden(f"role {actor.role} may not {permission} this alarm")


def get_alarm(session: Session, *, actor: Actor, alarm_id: uuid.UUID) -> Alarm:
    """Return an alarm the actor may read."""
    alarm = session.get(Alarm, alarm_id)
    if alarm is None:
        raise NotFound("no such alarm", field="alarm_id")
    _require(actor, Permission.MONITOR_READ, alarm)
    return alarm


def _for_change(session: Session, actor: Actor, alarm_id: uuid.UUID) -> Alarm:
    alarm = get_alarm(session, actor=actor, alarm_id=alarm_id)
    _require(actor, Permission.ALARM_HANDLE, alarm)
    return alarm


def acknowledge(
    session: Session, *, actor: Actor, alarm_id: uuid.UUID, now: datetime | None = None
) -> Alarm:
    """Acknowledge an alarm (确认): it stops escalating."""
    alarm = _for_change(session, actor, alarm_id)
    _act(session, alarm, AlarmAction.ACKNOWLEDGE, actor)
    alarm.acknowledged_at = now or utcnow()
    alarm.acknowledged_by = actor.user_id
    cancel_job(session, dedupe_key=_sla_key(alarm.id))
    _settle(alarm)
    return alarm


def assign(session: Session, *, actor: Actor, alarm_id: uuid.UUID, user_id: uuid.UUID) -> Alarm:
    """Assign an open alarm to a user who may handle it."""
    alarm = _for_change(session, actor, alarm_id)
    if alarm.handled:
        raise InvalidInput("this alarm is handled already", field="alarm_id")
    try:
        user = auth.get_user(session, user_id=user_id)
    except NotFound:
        raise InvalidInput("no such user", field="user_id") from None
    assignee = auth.actor_for(session, user, request_id=actor.request_id or "", source="assign")
    try:
        _require(assignee, Permission.ALARM_HANDLE, alarm)
    except Forbidden:
        raise InvalidInput("that user may not handle this alarm", field="user_id") from None
    before = snapshot(alarm, ALARM_FIELDS)
    alarm.assigned_to, alarm.assigned_at = user_id, utcnow()
    alarm.version += 1
    record_change(
        session, actor=actor, action="alarm.assigned", entity_type=ENTITY, entity_id=alarm.id,
        region_path=alarm.region_path, before=before, after=snapshot(alarm, ALARM_FIELDS),
    )  # fmt: skip
    _event(session, alarm, "assigned", AlarmStatus(alarm.status), None, actor)
    return alarm


def dispose(
    session: Session,
    *,
    actor: Actor,
    alarm_id: uuid.UUID,
    disposition: Disposition,
    note: str,
) -> Alarm:
    """Record what an acknowledged alarm was (real, false alarm, test, maintenance)."""
    alarm = _for_change(session, actor, alarm_id)
    if not AlarmStatus(alarm.status).acknowledged:
        raise InvalidInput("acknowledge the alarm before recording its disposition",
                           field="disposition")  # fmt: skip
    before = snapshot(alarm, ALARM_FIELDS)
    alarm.disposition, alarm.disposition_note = disposition.value, note
    alarm.disposed_at, alarm.disposed_by = utcnow(), actor.user_id
    alarm.version += 1
    _settle(alarm)
    record_change(
        session, actor=actor, action="alarm.disposed", entity_type=ENTITY, entity_id=alarm.id,
        region_path=alarm.region_path, before=before,
        after={**snapshot(alarm, ALARM_FIELDS), "note": note},
    )  # fmt: skip
    _event(session, alarm, "disposed", AlarmStatus(alarm.status), None, actor)
    return alarm


def visible(actor: Actor) -> ColumnElement[bool]:
    """Return the SQL condition of the alarms the actor may read."""
    scope = actor.require(Permission.MONITOR_READ)
    if scope is Scope.OWN_ORG:
        return Alarm.enterprise_id == actor.organisation_id if actor.organisation_id else false()
    if scope is not Scope.REGION:
        return false()
    low, high = subtree_range(actor.region_path)
    return and_(Alarm.region_path >= low, Alarm.region_path < high)


def list_alarms(
    session: Session,
    *,
    actor: Actor,
    statuses: list[AlarmStatus] | None = None,
    handled: bool | None = None,
    severity: Severity | None = None,
    object_id: uuid.UUID | None = None,
    sensor_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Alarm], int]:
    """Return one page of the alarms the actor may read, newest first."""
    conditions: list[Any] = [visible(actor)]
    if statuses:
        conditions.append(Alarm.status.in_([s.value for s in statuses]))
    if handled is not None:
        conditions.append(Alarm.handled.is_(handled))
    if severity is not None:
        conditions.append(Alarm.severity == severity.value)
    if object_id is not None:
        conditions.append(Alarm.object_id == object_id)
    if sensor_id is not None:
        conditions.append(Alarm.sensor_id == sensor_id)
    stmt = select(Alarm).where(*conditions)
    return fetch_page(
        session, stmt, order_by=[Alarm.started_at.desc(), Alarm.id.desc()], limit=limit,
        offset=offset,
    )  # fmt: skip
