"""What the alarm pages show: alarms with their object's and sensor's names, counts, assignees.

``list_alarms`` returns bare alarms; a person needs to see *which* object and sensor raised an
alarm, the sensor's unit and current value, and who it is assigned to. ``alarm_rows`` joins
those in a few queries per page. ``open_alarm_counts`` feeds the live board, and
``eligible_assignees`` lists, per alarm, the users the caller may pick: only users inside the
caller's own reach (``auth.list_users``), and of those only the ones who may handle the alarm.
``assign`` checks the pick again, so this list is a convenience, never the authority.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.auth import service as auth
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import GRANTS, Permission, Role, Scope
from yingji.core.errors import DomainError
from yingji.monitoring._alarms import visible
from yingji.monitoring.models import Alarm, AlarmGroup, MonitoredObject, Sensor, SensorLatest
from yingji.monitoring.states import AlarmAction, AlarmStatus
from yingji.regions import service as regions

MAX_CANDIDATES: Final = 200  # users offered in an assignment picker
_UNACKNOWLEDGED: Final = (AlarmStatus.ACTIVE_UNACK.value, AlarmStatus.CLEARED_UNACK.value)


class AlarmRow(BaseModel):
    """An alarm as the list shows it, with the names and values a person reads."""

    id: uuid.UUID
    rule: str
    severity: str
    status: str
    handled: bool
    escalation_level: int
    object_id: uuid.UUID
    object_name: str
    sensor_id: int | None
    sensor_name: str
    """The sensor's name, or the combination's for an object alarm."""
    unit: str
    first_value: float | None
    """The value that raised the alarm."""
    latest_value: float | None
    """The sensor's newest reading, or the reading of the alarm's latest change if newer."""
    latest_ts: int | None
    started_at: datetime
    assigned_to: uuid.UUID | None
    assignee: str
    disposition: str | None
    disposition_note: str | None
    version: int
    actions: list[str]
    """What the caller may do now: acknowledge, dispose, assign."""


def may_handle(actor: Actor, alarm: Alarm) -> bool:
    """Return whether an actor may acknowledge, assign and dispose of an alarm."""
    return _reaches(
        actor.scope_for(Permission.ALARM_HANDLE), actor.organisation_id, actor.region_path, alarm
    )


def _reaches(
    scope: Scope | None, organisation_id: uuid.UUID | None, region_path: str, alarm: Alarm
) -> bool:
    if scope is Scope.OWN_ORG:
        return organisation_id is not None and organisation_id == alarm.enterprise_id
    if scope is Scope.REGION:
        return alarm.region_path.startswith(region_path)
    return False


def alarm_actions(actor: Actor, alarm: Alarm) -> list[str]:
    """Return the actions an actor may take on an alarm now (as the API's ``actions``)."""
    if alarm.handled or not may_handle(actor, alarm):
        return []
    first = "dispose" if AlarmStatus(alarm.status).acknowledged else AlarmAction.ACKNOWLEDGE.value
    return [first, "assign"]


def alarm_rows(session: Session, *, actor: Actor, alarms: Sequence[Alarm]) -> list[AlarmRow]:
    """Return alarms (already read through ``list_alarms``) with their names and values."""
    object_ids = {a.object_id for a in alarms}
    sensor_ids = {a.sensor_id for a in alarms if a.sensor_id is not None}
    group_ids = {a.group_id for a in alarms if a.group_id is not None}
    objects: dict[uuid.UUID, str] = {}
    if object_ids:
        rows = session.execute(
            select(MonitoredObject.id, MonitoredObject.name).where(
                MonitoredObject.id.in_(object_ids)
            )
        )
        objects = {oid: str(name) for oid, name in rows}
    sensors: dict[int, tuple[str, str, int | None, float | None]] = {}
    if sensor_ids:
        stmt = (
            select(Sensor.id, Sensor.name, Sensor.unit, SensorLatest.ts, SensorLatest.value)
            .outerjoin(SensorLatest, SensorLatest.sensor_id == Sensor.id)
            .where(Sensor.id.in_(sensor_ids))
        )
        sensors = {row[0]: (row[1], row[2], row[3], row[4]) for row in session.execute(stmt)}
    groups: dict[int, str] = {}
    if group_ids:
        rows_g = session.execute(
            select(AlarmGroup.id, AlarmGroup.name).where(AlarmGroup.id.in_(group_ids))
        )
        groups = {gid: str(name) for gid, name in rows_g}
    names = _user_names(session, (a.assigned_to for a in alarms))
    out: list[AlarmRow] = []
    for alarm in alarms:
        ts, value = alarm.last_ts, alarm.last_value
        if alarm.sensor_id is not None:
            name, unit, latest_ts, latest = sensors.get(alarm.sensor_id, ("", "", None, None))
            if latest_ts is not None and latest_ts > alarm.last_ts:
                ts, value = latest_ts, latest  # a newer reading than the alarm's latest change
        else:
            name, unit = groups.get(alarm.group_id or 0, ""), ""
        row = AlarmRow(
            id=alarm.id, rule=alarm.rule, severity=alarm.severity, status=alarm.status,
            handled=alarm.handled, escalation_level=alarm.escalation_level,
            object_id=alarm.object_id, object_name=objects.get(alarm.object_id, ""),
            sensor_id=alarm.sensor_id, sensor_name=name, unit=unit,
            first_value=alarm.first_value, latest_value=value, latest_ts=ts,
            started_at=alarm.started_at, assigned_to=alarm.assigned_to,
            assignee=names.get(alarm.assigned_to, "") if alarm.assigned_to else "",
            disposition=alarm.disposition, disposition_note=alarm.disposition_note,
            version=alarm.version, actions=alarm_actions(actor, alarm),
        )  # fmt: skip
        out.append(row)
    return out


def _user_names(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Return the display names of the users alarms are assigned to."""
    names: dict[uuid.UUID, str] = {}
    for user_id in {i for i in ids if i is not None}:
        try:
            names[user_id] = auth.get_user(session, user_id=user_id).display_name
        except DomainError:
            names[user_id] = ""
    return names


@dataclass(frozen=True, slots=True)
class AlarmCounts:
    """Open (not handled) alarms per sensor and per object, and the unacknowledged total."""

    by_sensor: dict[int, int]
    by_object: dict[uuid.UUID, int]
    unacknowledged: int


def open_alarm_counts(
    session: Session, *, actor: Actor, object_ids: Sequence[uuid.UUID]
) -> AlarmCounts:
    """Count the open alarms the actor may read on some objects, and the unacknowledged ones.

    An object's count includes its sensors' alarms and its combinations' alarms; the
    unacknowledged total covers every alarm the actor may read, not only these objects.
    """
    readable = visible(actor)
    by_sensor: dict[int, int] = {}
    by_object: dict[uuid.UUID, int] = {}
    if object_ids:
        stmt = (
            select(Alarm.object_id, Alarm.sensor_id, func.count())
            .where(readable, Alarm.handled.is_(False), Alarm.object_id.in_(object_ids))
            .group_by(Alarm.object_id, Alarm.sensor_id)
        )
        for object_id, sensor_id, count in session.execute(stmt):
            by_object[object_id] = by_object.get(object_id, 0) + count
            if sensor_id is not None:
                by_sensor[sensor_id] = count
    unacknowledged = session.scalar(
        select(func.count())
        .select_from(Alarm)
        .where(readable, Alarm.handled.is_(False), Alarm.status.in_(_UNACKNOWLEDGED))
    )
    return AlarmCounts(by_sensor, by_object, int(unacknowledged or 0))


@dataclass(frozen=True, slots=True)
class Assignee:
    """A user an alarm may be assigned to."""

    id: uuid.UUID
    name: str
    username: str


@dataclass(frozen=True, slots=True)
class _Candidate:
    assignee: Assignee
    scope: Scope | None
    organisation_id: uuid.UUID | None
    region_path: str


def _candidates(session: Session, actor: Actor) -> list[_Candidate]:
    """Return the active users inside the actor's reach who hold ALARM_HANDLE at all."""
    if actor.scope_for(Permission.USER_READ) is not None:
        handlers = [r for r in Role if GRANTS[r].get(Permission.ALARM_HANDLE) is not None]
        users = []
        for role in handlers:
            rows, _total = auth.list_users(
                session, actor=actor, role=role, active=True, limit=MAX_CANDIDATES
            )
            users += rows
    elif actor.user_id is not None:
        # A role that may not read other users (an enterprise) may still take an alarm itself.
        try:
            users = [auth.get_user(session, user_id=actor.user_id)]
        except DomainError:
            users = []
    else:
        users = []
    paths: dict[str, str] = {}
    out: list[_Candidate] = []
    for user in sorted(users, key=lambda u: (u.display_name, u.username))[:MAX_CANDIDATES]:
        if user.region_code not in paths:
            try:
                paths[user.region_code] = regions.path_of(session, user.region_code)
            except DomainError:
                continue
        out.append(
            _Candidate(
                Assignee(user.id, user.display_name, user.username),
                GRANTS[Role(user.role)].get(Permission.ALARM_HANDLE),
                user.organisation_id,
                paths[user.region_code],
            )
        )
    return out


def eligible_assignees(
    session: Session, *, actor: Actor, alarms: Sequence[Alarm]
) -> dict[uuid.UUID, list[Assignee]]:
    """Return, per alarm the actor may assign, the users in the actor's reach who may handle it."""
    assignable = [a for a in alarms if "assign" in alarm_actions(actor, a)]
    if not assignable:
        return {}
    candidates = _candidates(session, actor)
    return {
        alarm.id: [
            c.assignee
            for c in candidates
            if _reaches(c.scope, c.organisation_id, c.region_path, alarm)
        ]
        for alarm in assignable
    }
