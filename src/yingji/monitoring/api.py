"""HTTP routes of the monitoring context: the registry, history, and gateways' readings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request, status
from sqlalchemy.orm import Session

from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.errors import InvalidInput, NotAuthenticated, NotFound
from yingji.core.http import UoW
from yingji.monitoring import service
from yingji.monitoring.models import Gateway, Sensor
from yingji.monitoring.mqtt import readings_topic
from yingji.monitoring.schemas import (
    GatewayCreate,
    GatewayCredential,
    GatewayList,
    GatewayRead,
    IngestOutcome,
    ObjectCreate,
    ObjectKind,
    ObjectList,
    ObjectRead,
    SensorCreate,
    SensorHistory,
    SensorList,
    SensorRead,
    SensorStatusUpdate,
)
from yingji.orgs.schemas import REGION_CODE_PATTERN

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])
# A payload holds at most 10,000 readings of well under 200 bytes each.
MAX_BODY_BYTES: Final = 2_000_000


def _needs(permission: Permission) -> Any:
    def check(actor: CurrentActor) -> None:
        actor.require(permission)

    return Depends(check)


WRITE = [_needs(Permission.MONITOR_WRITE)]
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
