"""HTTP routes of the monitoring context: the registry, history, and gateways' readings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request, status
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.errors import InvalidInput, NotAuthenticated, NotFound
from yingji.core.http import UoW
from yingji.monitoring import service
from yingji.monitoring._evaluator import sensor_rule
from yingji.monitoring.models import Alarm, Gateway, Sensor
from yingji.monitoring.mqtt import readings_topic
from yingji.monitoring.schemas import (
    AlarmGroupCreate,
    AlarmList,
    AlarmRead,
    AssignBody,
    DisposeBody,
    GatewayCreate,
    GatewayCredential,
    GatewayList,
    GatewayRead,
    IngestOutcome,
    MaintenanceWindowCreate,
    ObjectCreate,
    ObjectKind,
    ObjectList,
    ObjectRead,
    RuleOverride,
    SensorCreate,
    SensorHistory,
    SensorList,
    SensorRead,
    SensorStatusUpdate,
)
from yingji.monitoring.states import AlarmStatus, Severity
from yingji.orgs.schemas import REGION_CODE_PATTERN

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])
# A payload holds at most 10,000 readings of well under 200 bytes each.
MAX_BODY_BYTES: Final = 2_000_000


def _needs(permission: Permission) -> Any:
    def check(actor: CurrentActor) -> None:
        actor.require(permission)

    return Depends(check)


WRITE = [_needs(Permission.MONITOR_WRITE)]
HANDLE = [_needs(Permission.ALARM_HANDLE)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
RegionParam = Annotated[str | None, Query(pattern=REGION_CODE_PATTERN)]
SensorId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a sensor's number")]


def gateway_read(session: Session, gateways: list[Gateway]) -> list[GatewayRead]:
    """Return gateways' read models with their rejection counts."""
    counts = service.rejections(session, [g.id for g in gateways])
    return [
        GatewayRead.model_validate(g).model_copy(update={"rejected": counts[g.id]})
        for g in gateways
    ]


def sensor_read(sensor: Sensor, ts: int | None, value: float | None) -> SensorRead:
    """Return a sensor's read model with its latest reading."""
    return SensorRead.model_validate(sensor).model_copy(
        update={"latest_ts": ts, "latest_value": value}
    )


@router.get("/objects")
def list_objects(
    uow: UoW,
    actor: CurrentActor,
    region: RegionParam = None,
    kind: ObjectKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ObjectList:
    """List the monitored objects the caller may read, by code."""
    rows, total = service.list_objects(
        uow.session, actor=actor, region_code=region, kind=kind.value if kind else None,
        limit=limit, offset=offset,
    )  # fmt: skip
    items = [ObjectRead.model_validate(r) for r in rows]
    return ObjectList(items=items, total=total, limit=limit, offset=offset)


@router.post("/objects", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
def create_object(uow: UoW, actor: CurrentActor, body: ObjectCreate) -> ObjectRead:
    """Register a monitored object."""
    row = service.create_object(uow.session, actor=actor, data=body)
    uow.commit()
    return ObjectRead.model_validate(row)


@router.get("/objects/{object_id}")
def get_object(uow: UoW, actor: CurrentActor, object_id: uuid.UUID) -> ObjectRead:
    """Show one monitored object."""
    return ObjectRead.model_validate(
        service.get_object(uow.session, actor=actor, object_id=object_id)
    )


@router.get("/gateways")
def list_gateways(
    uow: UoW, actor: CurrentActor, limit: Limit = 50, offset: Offset = 0
) -> GatewayList:
    """List the gateways the caller may read, with their ingestion counters."""
    rows, total = service.list_gateways(uow.session, actor=actor, limit=limit, offset=offset)
    items = gateway_read(uow.session, rows)
    return GatewayList(items=items, total=total, limit=limit, offset=offset)


@router.post("/gateways", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
def create_gateway(uow: UoW, actor: CurrentActor, body: GatewayCreate) -> GatewayCredential:
    """Register a gateway; the answer holds its credential, which is never shown again."""
    row, token = service.create_gateway(uow.session, actor=actor, data=body)
    uow.commit()
    (read,) = gateway_read(uow.session, [row])
    return GatewayCredential(gateway=read, token=token, topic=readings_topic(row.code))


@router.get("/gateways/{gateway_id}")
def get_gateway(uow: UoW, actor: CurrentActor, gateway_id: uuid.UUID) -> GatewayRead:
    """Show one gateway with its accepted, duplicate and rejected counts."""
    row = service.get_gateway(uow.session, actor=actor, gateway_id=gateway_id)
    return gateway_read(uow.session, [row])[0]


@router.post("/gateways/{gateway_id}/token", dependencies=WRITE)
def rotate_gateway_token(uow: UoW, actor: CurrentActor, gateway_id: uuid.UUID) -> GatewayCredential:
    """Replace a gateway's credential; the old one stops working at once."""
    token = service.rotate_gateway_token(uow.session, actor=actor, gateway_id=gateway_id)
    uow.commit()
    row = service.get_gateway(uow.session, actor=actor, gateway_id=gateway_id)
    (read,) = gateway_read(uow.session, [row])
    return GatewayCredential(gateway=read, token=token, topic=readings_topic(row.code))


@router.get("/sensors")
def list_sensors(
    uow: UoW,
    actor: CurrentActor,
    object_id: uuid.UUID | None = None,
    gateway_id: uuid.UUID | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> SensorList:
    """List the sensors the caller may read, each with its latest reading."""
    rows, total = service.list_sensors(
        uow.session, actor=actor, object_id=object_id, gateway_id=gateway_id, limit=limit,
        offset=offset,
    )  # fmt: skip
    items = [sensor_read(s, ts, v) for s, ts, v in rows]
    return SensorList(items=items, total=total, limit=limit, offset=offset)


@router.post("/sensors", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
def create_sensor(uow: UoW, actor: CurrentActor, body: SensorCreate) -> SensorRead:
    """Register a sensor of a gateway on an object."""
    row = service.create_sensor(uow.session, actor=actor, data=body)
    uow.commit()
    return sensor_read(row, None, None)


def _one_sensor(session: Session, actor: Any, sensor_id: int) -> SensorRead:
    rows, _ = service.list_sensors(session, actor=actor, sensor_id=sensor_id, limit=1)
    if not rows:
        service.get_sensor(session, actor=actor, sensor_id=sensor_id)  # 404 or 403
    return sensor_read(*rows[0])


@router.get("/sensors/{sensor_id}")
def get_sensor(uow: UoW, actor: CurrentActor, sensor_id: SensorId) -> SensorRead:
    """Show one sensor with its latest reading."""
    return _one_sensor(uow.session, actor, sensor_id)


@router.put("/sensors/{sensor_id}/status", dependencies=WRITE)
def set_sensor_status(
    uow: UoW, actor: CurrentActor, sensor_id: SensorId, body: SensorStatusUpdate
) -> SensorRead:
    """Set a sensor's status by hand (fault, maintenance, back online), with the reason."""
    service.set_sensor_status(uow.session, actor=actor, sensor_id=sensor_id, data=body)
    uow.commit()
    return _one_sensor(uow.session, actor, sensor_id)


@router.get("/sensors/{sensor_id}/history")
def sensor_history(
    uow: UoW, actor: CurrentActor, sensor_id: SensorId, start: datetime, end: datetime
) -> SensorHistory:
    """Return a sensor's per-minute count, mean, min and max between two times (≤ 31 days)."""
    for name, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None:
            raise InvalidInput(f"{name} needs its UTC offset, e.g. 2026-12-02T08:00:00+08:00",
                               field=name)  # fmt: skip
    points = service.sensor_history(
        uow.session, actor=actor, sensor_id=sensor_id,
        start_ms=int(start.timestamp() * 1000), end_ms=int(end.timestamp() * 1000),
    )  # fmt: skip
    sensor = service.get_sensor(uow.session, actor=actor, sensor_id=sensor_id)
    return SensorHistory(sensor_id=sensor_id, unit=sensor.unit, points=points)


@router.post("/readings")
async def post_readings(request: Request, uow: UoW) -> IngestOutcome:
    """Store a gateway's readings (the MQTT payload format), authenticated by its credential.

    ``Authorization: Bearer gw_…`` names the gateway; a session cookie never does. Bad readings
    are counted and named in ``rejected``; the good ones are stored once.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith("gw_"):
        raise NotAuthenticated("send the gateway's credential as Authorization: Bearer gw_…")
    try:
        gateway = service.gateway_by_token(uow.session, token.strip())
    except NotFound:
        raise NotAuthenticated("unknown or inactive gateway credential") from None
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(f"a payload is at most {MAX_BODY_BYTES} bytes", field="body")
    result = service.ingest(uow.session, gateway_code=gateway.code, payloads=[body])
    uow.commit()
    return IngestOutcome(stored=result.stored, duplicates=result.duplicates,
                         rejected=result.rejected)  # fmt: skip


# --- rules ------------------------------------------------------------------------------------


@router.put("/sensors/{sensor_id}/rule", dependencies=WRITE)
def set_sensor_rule(
    uow: UoW, actor: CurrentActor, sensor_id: SensorId, body: RuleOverride
) -> dict[str, Any]:
    """Set where a sensor's rule differs from its kind's defaults; answers the whole rule."""
    override = body.model_dump(exclude_none=True)
    row = service.set_rule_override(uow.session, actor=actor, sensor_id=sensor_id,
                                    override=override)  # fmt: skip
    uow.commit()
    return sensor_rule(row.kind, row.rule_override).to_dict()


@router.post(
    "/sensors/{sensor_id}/maintenance", status_code=status.HTTP_201_CREATED, dependencies=WRITE
)
def add_maintenance_window(
    uow: UoW, actor: CurrentActor, sensor_id: SensorId, body: MaintenanceWindowCreate
) -> dict[str, Any]:
    """Plan a maintenance window: the sensor's readings in it raise no alarm."""
    window = service.add_maintenance_window(
        uow.session, actor=actor, sensor_id=sensor_id, starts_at=body.starts_at,
        ends_at=body.ends_at, reason=body.reason,
    )  # fmt: skip
    uow.commit()
    return {"id": str(window.id), "sensor_id": sensor_id, "starts_at": window.starts_at,
            "ends_at": window.ends_at, "reason": window.reason}  # fmt: skip


@router.post("/objects/{object_id}/groups", status_code=status.HTTP_201_CREATED, dependencies=WRITE)
def create_alarm_group(
    uow: UoW, actor: CurrentActor, object_id: uuid.UUID, body: AlarmGroupCreate
) -> dict[str, Any]:
    """Combine k of n sensors of an object into an object alarm (e.g. 2 of 3 gas detectors)."""
    group = service.create_alarm_group(
        uow.session, actor=actor, object_id=object_id, name=body.name,
        sensor_ids=body.sensor_ids, k=body.k, min_level=body.min_level,
    )  # fmt: skip
    uow.commit()
    return {"id": group.id, "object_id": str(group.object_id), "name": group.name,
            "sensor_ids": group.sensor_ids, "k": group.k, "min_level": group.min_level}  # fmt: skip


# --- alarms -----------------------------------------------------------------------------------


def alarm_read(actor: Actor, alarm: Alarm) -> AlarmRead:
    """Return an alarm's read model with the actions the actor may take."""
    actions = service.alarm_actions(actor, alarm)
    return AlarmRead.model_validate(alarm).model_copy(update={"actions": actions})


@router.get("/alarms")
def list_alarms(
    uow: UoW,
    actor: CurrentActor,
    status_: Annotated[list[AlarmStatus] | None, Query(alias="status", max_length=4)] = None,
    handled: bool | None = None,
    severity: Severity | None = None,
    object_id: uuid.UUID | None = None,
    sensor_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AlarmList:
    """List the alarms the caller may read, newest first."""
    rows, total = service.list_alarms(
        uow.session, actor=actor, statuses=status_, handled=handled, severity=severity,
        object_id=object_id, sensor_id=sensor_id, limit=limit, offset=offset,
    )  # fmt: skip
    items = [alarm_read(actor, a) for a in rows]
    return AlarmList(items=items, total=total, limit=limit, offset=offset)


@router.get("/alarms/{alarm_id}")
def get_alarm(uow: UoW, actor: CurrentActor, alarm_id: uuid.UUID) -> AlarmRead:
    """Show one alarm."""
    return alarm_read(actor, service.get_alarm(uow.session, actor=actor, alarm_id=alarm_id))


@router.post("/alarms/{alarm_id}/acknowledge", dependencies=HANDLE)
def acknowledge_alarm(uow: UoW, actor: CurrentActor, alarm_id: uuid.UUID) -> AlarmRead:
    """Acknowledge an alarm (确认): its escalation stops."""
    alarm = service.acknowledge(uow.session, actor=actor, alarm_id=alarm_id)
    uow.commit()
    return alarm_read(actor, alarm)


@router.post("/alarms/{alarm_id}/assign", dependencies=HANDLE)
def assign_alarm(uow: UoW, actor: CurrentActor, alarm_id: uuid.UUID, body: AssignBody) -> AlarmRead:
    """Assign an alarm to a user."""
    alarm = service.assign(uow.session, actor=actor, alarm_id=alarm_id, user_id=body.user_id)
    uow.commit()
    return alarm_read(actor, alarm)


@router.post("/alarms/{alarm_id}/dispose", dependencies=HANDLE)
def dispose_alarm(
    uow: UoW, actor: CurrentActor, alarm_id: uuid.UUID, body: DisposeBody
) -> AlarmRead:
    """Record what an acknowledged alarm was: real, false alarm, test or maintenance."""
    alarm = service.dispose(uow.session, actor=actor, alarm_id=alarm_id,
                            disposition=body.disposition, note=body.note)  # fmt: skip
    uow.commit()
    return alarm_read(actor, alarm)
