"""The monitoring registry: objects, gateways (with credentials) and sensors, and who reaches them.

Bureau roles act in their region subtree; an enterprise acts on the objects of its own
enterprise and the gateways it owns. A sensor is reached through its object.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, false, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Scope
from yingji.core.db import fetch_page
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.monitoring import events, rules
from yingji.monitoring.models import (
    AlarmGroup,
    Gateway,
    GatewayRejection,
    MaintenanceWindow,
    MonitoredObject,
    ReadingMinute,
    Sensor,
    SensorLatest,
)
from yingji.monitoring.schemas import (
    GatewayCreate,
    MinutePoint,
    ObjectCreate,
    SensorCreate,
    SensorStatus,
    SensorStatusUpdate,
    sensor_kinds,
)
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions
from yingji.risks import service as risks

OBJECT_FIELDS: Final = (
    "code", "name", "kind", "region_code", "enterprise_id", "risk_point_id", "installation_id",
    "lon", "lat",
)  # fmt: skip
GATEWAY_FIELDS: Final = ("code", "name", "region_code", "organisation_id", "active")
SENSOR_FIELDS: Final = (
    "code", "name", "gateway_id", "object_id", "kind", "unit", "range_min", "range_max",
    "interval_seconds", "status", "lon", "lat",
)  # fmt: skip
TOKEN_PREFIX: Final = "gw_"
HISTORY_MAX_MINUTES: Final = 31 * 24 * 60  # a month of minutes per request
MAX_WINDOW: Final = timedelta(days=7)  # longer work sets the sensor's status to maintenance


def _require(
    actor: Actor, permission: Permission, *, region_path: str, owner: uuid.UUID | None, what: str
) -> None:
    """Raise Forbidden unless the actor holds a permission over one record."""
    scope = actor.require(permission)
    if scope is Scope.OWN_ORG:
        actor.require_org(owner, what=what)
    elif scope is Scope.REGION:
        actor.require_region(region_path, what=what)
    else:
        raise Forbidden(f"role {actor.role} may not {permission} this {what}")


def _visible(
    actor: Actor,
    permission: Permission,
    *,
    region_path: InstrumentedAttribute[str],
    owner: InstrumentedAttribute[uuid.UUID | None],
) -> ColumnElement[bool]:
    """Return the SQL condition of the records a permission lets the actor see."""
    scope = actor.require(permission)
    if scope is Scope.OWN_ORG:
        return owner == actor.organisation_id if actor.organisation_id else false()
    if scope is not Scope.REGION:
        return false()
    low, high = subtree_range(actor.region_path)
    return and_(region_path >= low, region_path < high)


def hash_token(token: str) -> str:
    """Return the stored form of a gateway credential (sha256: the secret itself is random)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """Return a new gateway credential (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


# --- objects ----------------------------------------------------------------------------------


def create_object(session: Session, *, actor: Actor, data: ObjectCreate) -> MonitoredObject:
    """Register a monitored object in a region, optionally of an enterprise and a risk record."""
    path = regions.path_of(session, data.region_code)
    if data.enterprise_id is not None:
        facts = orgs.organisation_facts(session, data.enterprise_id, field="enterprise_id")
        if facts.kind != OrgKind.ENTERPRISE or not facts.active:
            raise InvalidInput(
                "enterprise_id must name an active enterprise", field="enterprise_id"
            )
    _require(actor, Permission.MONITOR_WRITE, region_path=path, owner=data.enterprise_id,
             what="monitored object")  # fmt: skip
    if data.risk_point_id is not None:
        point = risks.get_risk_point(session, actor=actor, risk_point_id=data.risk_point_id)
        if point.organisation_id != data.enterprise_id:
            raise InvalidInput(
                "the risk point belongs to another enterprise", field="risk_point_id"
            )
    if data.installation_id is not None:
        unit = risks.get_installation(session, actor=actor, installation_id=data.installation_id)
        if unit.organisation_id != data.enterprise_id:
            raise InvalidInput(
                "the installation belongs to another enterprise", field="installation_id"
            )
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("give both lon and lat, or neither", field="lon")
    if session.scalar(select(MonitoredObject.id).where(MonitoredObject.code == data.code)):
        raise InvalidInput(f"an object with code {data.code!r} exists", field="code")
    row = MonitoredObject(**data.model_dump(), region_path=path)
    session.add(row)
    session.flush()
    record_change(
        session, actor=actor, action="monitoring.object_registered", entity_type="monitored_object",
        entity_id=row.id, region_path=path, after=snapshot(row, OBJECT_FIELDS),
    )  # fmt: skip
    record_event(
        session,
        events.ObjectRegistered(
            object_id=row.id, kind=row.kind, region_code=row.region_code,
            enterprise_id=row.enterprise_id,
        ),
        actor=actor,
    )  # fmt: skip
    return row


def get_object(session: Session, *, actor: Actor, object_id: uuid.UUID) -> MonitoredObject:
    """Return an object the actor may read."""
    row = session.get(MonitoredObject, object_id)
    if row is None:
        raise NotFound("no such monitored object", field="object_id")
    _require(actor, Permission.MONITOR_READ, region_path=row.region_path, owner=row.enterprise_id,
             what="monitored object")  # fmt: skip
    return row


def list_objects(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MonitoredObject], int]:
    """Return one page of the objects the actor may read, by code."""
    stmt = select(MonitoredObject).where(
        _visible(
            actor,
            Permission.MONITOR_READ,
            region_path=MonitoredObject.region_path,
            owner=MonitoredObject.enterprise_id,
        )
    )
    if region_code:
        low, high = subtree_range(regions.path_of(session, region_code))
        stmt = stmt.where(MonitoredObject.region_path >= low, MonitoredObject.region_path < high)
    if kind:
        stmt = stmt.where(MonitoredObject.kind == kind)
    return fetch_page(session, stmt, order_by=[MonitoredObject.code], limit=limit, offset=offset)


# --- gateways ---------------------------------------------------------------------------------


def create_gateway(session: Session, *, actor: Actor, data: GatewayCreate) -> tuple[Gateway, str]:
    """Register a gateway; return it with its credential (only its hash is kept)."""
    path = regions.path_of(session, data.region_code)
    if data.organisation_id is not None:
        facts = orgs.organisation_facts(session, data.organisation_id)
        if not facts.active:
            raise InvalidInput("the organisation is inactive", field="organisation_id")
    _require(actor, Permission.MONITOR_WRITE, region_path=path, owner=data.organisation_id,
             what="gateway")  # fmt: skip
    if session.scalar(select(Gateway.id).where(Gateway.code == data.code)):
        raise InvalidInput(f"a gateway with code {data.code!r} exists", field="code")
    token = new_token()
    row = Gateway(**data.model_dump(), region_path=path, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    record_change(
        session, actor=actor, action="monitoring.gateway_registered", entity_type="gateway",
        entity_id=row.id, region_path=path, after=snapshot(row, GATEWAY_FIELDS),
    )  # fmt: skip
    record_event(
        session,
        events.GatewayRegistered(gateway_id=row.id, code=row.code, region_code=row.region_code),
        actor=actor,
    )
    return row, token


def get_gateway(session: Session, *, actor: Actor, gateway_id: uuid.UUID) -> Gateway:
    """Return a gateway the actor may read."""
    row = session.get(Gateway, gateway_id)
    if row is None:
        raise NotFound("no such gateway", field="gateway_id")
    _require(actor, Permission.MONITOR_READ, region_path=row.region_path,
             owner=row.organisation_id, what="gateway")  # fmt: skip
    return row


def rotate_gateway_token(session: Session, *, actor: Actor, gateway_id: uuid.UUID) -> str:
    """Replace a gateway's credential (the old one stops working at once); return the new one."""
    row = get_gateway(session, actor=actor, gateway_id=gateway_id)
    _require(actor, Permission.MONITOR_WRITE, region_path=row.region_path,
             owner=row.organisation_id, what="gateway")  # fmt: skip
    token = new_token()
    row.token_hash = hash_token(token)
    record_change(
        session, actor=actor, action="monitoring.gateway_token_rotated", entity_type="gateway",
        entity_id=row.id, region_path=row.region_path,
    )  # fmt: skip
    record_event(
        session,
        events.GatewayRegistered(
            gateway_id=row.id, code=row.code, region_code=row.region_code, rotated=True
        ),
        actor=actor,
    )
    return token


def gateway_by_token(session: Session, token: str) -> Gateway:
    """Return the active gateway a credential belongs to (NotFound naming ``token`` otherwise)."""
    row = session.scalar(select(Gateway).where(Gateway.token_hash == hash_token(token)))
    if row is None or not row.active:
        raise NotFound("unknown or inactive gateway credential", field="token")
    return row


def list_gateways(
    session: Session, *, actor: Actor, limit: int = 50, offset: int = 0
) -> tuple[list[Gateway], int]:
    """Return one page of the gateways the actor may read, by code."""
    stmt = select(Gateway).where(
        _visible(
            actor,
            Permission.MONITOR_READ,
            region_path=Gateway.region_path,
            owner=Gateway.organisation_id,
        )
    )
    return fetch_page(session, stmt, order_by=[Gateway.code], limit=limit, offset=offset)


def rejections(session: Session, gateway_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """Return the rejection counts per reason of gateways."""
    out: dict[uuid.UUID, dict[str, int]] = {g: {} for g in gateway_ids}
    rows = session.execute(
        select(GatewayRejection.gateway_id, GatewayRejection.reason, GatewayRejection.count).where(
            GatewayRejection.gateway_id.in_(gateway_ids)
        )
    )
    for gateway_id, reason, count in rows:
        out[gateway_id][reason] = int(count)
    return out


# --- sensors ----------------------------------------------------------------------------------


def create_sensor(session: Session, *, actor: Actor, data: SensorCreate) -> Sensor:
    """Register a sensor of a gateway on an object, in the kind's unit and a physical range."""
    kind = sensor_kinds().get(data.kind)
    if kind is None:
        raise InvalidInput(
            f"unknown sensor kind {data.kind!r}; one of {', '.join(sorted(sensor_kinds()))}",
            field="kind",
        )
    if data.unit is not None and data.unit != kind.unit:
        raise InvalidInput(f"a {data.kind} sensor reports in {kind.unit}", field="unit")
    obj = session.get(MonitoredObject, data.object_id)
    if obj is None:
        raise InvalidInput("no such monitored object", field="object_id")
    gateway = session.get(Gateway, data.gateway_id)
    if gateway is None:
        raise InvalidInput("no such gateway", field="gateway_id")
    _require(actor, Permission.MONITOR_WRITE, region_path=obj.region_path, owner=obj.enterprise_id,
             what="monitored object")  # fmt: skip
    _require(actor, Permission.MONITOR_WRITE, region_path=gateway.region_path,
             owner=gateway.organisation_id, what="gateway")  # fmt: skip
    low = kind.range_min if data.range_min is None else data.range_min
    high = kind.range_max if data.range_max is None else data.range_max
    if low >= high:
        raise InvalidInput("range_min must be below range_max", field="range_min")
    taken = select(Sensor.id).where(Sensor.gateway_id == gateway.id, Sensor.code == data.code)
    if session.scalar(taken):
        raise InvalidInput(f"gateway {gateway.code} has a sensor {data.code!r}", field="code")
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("give both lon and lat, or neither", field="lon")
    row = Sensor(
        code=data.code, name=data.name, gateway_id=gateway.id, object_id=obj.id, kind=kind.key,
        unit=kind.unit, range_min=low, range_max=high, interval_seconds=data.interval_seconds,
        status=SensorStatus.ONLINE.value, region_path=obj.region_path,
        lon=data.lon if data.lon is not None else obj.lon,
        lat=data.lat if data.lat is not None else obj.lat, is_demo=data.is_demo,
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_change(
        session, actor=actor, action="monitoring.sensor_registered", entity_type="sensor",
        entity_id=row.id, region_path=row.region_path, after=snapshot(row, SENSOR_FIELDS),
    )  # fmt: skip
    record_event(
        session,
        events.SensorRegistered(
            sensor_id=row.id, object_id=obj.id, gateway_id=gateway.id, kind=row.kind
        ),
        actor=actor,
    )
    return row


def _object_owner(session: Session, sensor: Sensor) -> uuid.UUID | None:
    return session.scalar(
        select(MonitoredObject.enterprise_id).where(MonitoredObject.id == sensor.object_id)
    )


def get_sensor(session: Session, *, actor: Actor, sensor_id: int) -> Sensor:
    """Return a sensor the actor may read."""
    row = session.get(Sensor, sensor_id)
    if row is None:
        raise NotFound("no such sensor", field="sensor_id")
    _require(actor, Permission.MONITOR_READ, region_path=row.region_path,
             owner=_object_owner(session, row), what="sensor")  # fmt: skip
    return row


def set_sensor_status(
    session: Session, *, actor: Actor, sensor_id: int, data: SensorStatusUpdate
) -> Sensor:
    """Set a sensor's status by hand, with the reason (audited)."""
    row = get_sensor(session, actor=actor, sensor_id=sensor_id)
    _require(actor, Permission.MONITOR_WRITE, region_path=row.region_path,
             owner=_object_owner(session, row), what="sensor")  # fmt: skip
    previous = row.status
    if previous == data.status.value:
        return row
    row.status = data.status.value
    record_change(
        session, actor=actor, action="monitoring.sensor_status", entity_type="sensor",
        entity_id=row.id, region_path=row.region_path, before={"status": previous},
        after={"status": row.status, "reason": data.reason},
    )  # fmt: skip
    record_event(
        session,
        events.SensorStatusChanged(
            sensor_id=row.id, object_id=row.object_id, status=row.status, previous=previous
        ),
        actor=actor,
    )
    return row


def _sensor_query(actor: Actor) -> Select[Sensor, int | None, float | None]:
    return (
        select(Sensor, SensorLatest.ts, SensorLatest.value)
        .join(MonitoredObject, MonitoredObject.id == Sensor.object_id)
        .outerjoin(SensorLatest, SensorLatest.sensor_id == Sensor.id)
        .where(
            _visible(
                actor,
                Permission.MONITOR_READ,
                region_path=Sensor.region_path,
                owner=MonitoredObject.enterprise_id,
            )
        )
    )


def list_sensors(
    session: Session,
    *,
    actor: Actor,
    object_id: uuid.UUID | None = None,
    gateway_id: uuid.UUID | None = None,
    sensor_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[tuple[Sensor, int | None, float | None]], int]:
    """Return one page of the sensors the actor may read, each with its latest ts and value."""
    stmt = _sensor_query(actor)
    if object_id is not None:
        stmt = stmt.where(Sensor.object_id == object_id)
    if gateway_id is not None:
        stmt = stmt.where(Sensor.gateway_id == gateway_id)
    if sensor_id is not None:
        stmt = stmt.where(Sensor.id == sensor_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(Sensor.id).limit(limit).offset(offset)).all()
    return [(r[0], r[1], r[2]) for r in rows], int(total)


def sensor_history(
    session: Session, *, actor: Actor, sensor_id: int, start_ms: int, end_ms: int
) -> list[MinutePoint]:
    """Return a sensor's per-minute aggregates in [start, end) (at most a month)."""
    get_sensor(session, actor=actor, sensor_id=sensor_id)
    first, last = start_ms // 60_000, -(-end_ms // 60_000)
    if last <= first:
        raise InvalidInput("the end must come after the start", field="end")
    if last - first > HISTORY_MAX_MINUTES:
        raise InvalidInput("ask for at most 31 days at a time", field="end")
    rows = session.scalars(
        select(ReadingMinute)
        .where(
            ReadingMinute.sensor_id == sensor_id,
            ReadingMinute.minute >= first,
            ReadingMinute.minute < last,
        )
        .order_by(ReadingMinute.minute)
    )
    return [
        MinutePoint(minute=r.minute, count=r.count, mean=r.sum / r.count, min=r.min, max=r.max)
        for r in rows
    ]


# --- rules: overrides, maintenance windows, k-of-n groups ---------------------------------------


def set_rule_override(
    session: Session, *, actor: Actor, sensor_id: int, override: dict[str, Any]
) -> Sensor:
    """Replace the fields in which a sensor's rule differs from its kind's (validated)."""
    row = get_sensor(session, actor=actor, sensor_id=sensor_id)
    _require(actor, Permission.MONITOR_WRITE, region_path=row.region_path,
             owner=_object_owner(session, row), what="sensor")  # fmt: skip
    try:
        rule = rules.rule_for(row.kind, **override)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"not a valid rule for a {row.kind} sensor: {exc}", field="rule"
        ) from None
    before = {"rule_override": row.rule_override}
    row.rule_override = {k: v for k, v in rule.to_dict().items() if k in override} or None
    record_change(
        session, actor=actor, action="monitoring.sensor_rule", entity_type="sensor",
        entity_id=row.id, region_path=row.region_path, before=before,
        after={"rule_override": row.rule_override},
    )  # fmt: skip
    return row


def add_maintenance_window(
    session: Session,
    *,
    actor: Actor,
    sensor_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> MaintenanceWindow:
    """Plan a maintenance window in which the sensor's readings raise no alarm."""
    row = get_sensor(session, actor=actor, sensor_id=sensor_id)
    _require(actor, Permission.MONITOR_WRITE, region_path=row.region_path,
             owner=_object_owner(session, row), what="sensor")  # fmt: skip
    if ends_at <= starts_at:
        raise InvalidInput("the window must end after it starts", field="ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise InvalidInput("a maintenance window lasts at most 7 days", field="ends_at")
    window = MaintenanceWindow(
        sensor_id=row.id, starts_at=starts_at, ends_at=ends_at, reason=reason,
        created_by=actor.user_id,
    )  # fmt: skip
    session.add(window)
    session.flush()
    record_change(
        session, actor=actor, action="monitoring.maintenance_window", entity_type="sensor",
        entity_id=row.id, region_path=row.region_path,
        after={"starts_at": starts_at, "ends_at": ends_at, "reason": reason},
    )  # fmt: skip
    return window


def create_alarm_group(
    session: Session,
    *,
    actor: Actor,
    object_id: uuid.UUID,
    name: str,
    sensor_ids: list[int],
    k: int,
    min_level: int,
) -> AlarmGroup:
    """Combine k of n sensors of one object into an object alarm (e.g. 2 of 3 gas detectors)."""
    obj = get_object(session, actor=actor, object_id=object_id)
    _require(actor, Permission.MONITOR_WRITE, region_path=obj.region_path,
             owner=obj.enterprise_id, what="monitored object")  # fmt: skip
    members = sorted(set(sensor_ids))
    found = set(session.scalars(
        select(Sensor.id).where(Sensor.id.in_(members), Sensor.object_id == obj.id)
    ))  # fmt: skip
    if found != set(members):
        raise InvalidInput("every sensor must belong to the object", field="sensor_ids")
    if not 1 <= k <= len(members):
        raise InvalidInput(f"k must be between 1 and {len(members)}", field="k")
    if not 1 <= min_level <= 4:
        raise InvalidInput("min_level is 1 (blue) to 4 (red)", field="min_level")
    group = AlarmGroup(object_id=obj.id, name=name, sensor_ids=members, k=k, min_level=min_level)
    session.add(group)
    session.flush()
    record_change(
        session, actor=actor, action="monitoring.alarm_group", entity_type="monitored_object",
        entity_id=obj.id, region_path=obj.region_path,
        after={"group": group.id, "name": name, "sensor_ids": members, "k": k,
               "min_level": min_level},
    )  # fmt: skip
    return group
