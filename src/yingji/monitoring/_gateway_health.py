"""Gateway health for operators: counters, rejections per reason with the latest detail, silence.

A misconfigured gateway shows as rejections (a wrong unit, an unknown sensor code, values out of
range, a clock ahead of the server's) with the latest offending reading named; a dead one as
*silent*: active, with sensors, but not heard from for three reporting intervals of its most
frequent sensor.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Final

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.monitoring._registry import list_gateways
from yingji.monitoring.models import Gateway, GatewayRejection, Sensor

SILENT_INTERVALS: Final = 3


class GatewayRejectionRead(BaseModel):
    """A gateway's rejections of one reason, with the latest one's time and detail."""

    reason: str
    count: int
    last_at: datetime
    detail: str


class GatewayHealth(BaseModel):
    """A gateway with what an operator needs to spot a misconfiguration."""

    id: uuid.UUID
    code: str
    name: str
    region_code: str
    active: bool
    is_demo: bool
    last_seen_at: datetime | None
    accepted: int
    duplicates: int
    rejected: int
    rejections: list[GatewayRejectionRead]
    """Most frequent reason first."""
    sensors: int
    expected_every: int | None
    """Seconds between reports of its most frequent sensor (None without sensors)."""
    silent: bool
    """Active with sensors but not heard from for three such intervals (or never)."""


def gateway_health(
    session: Session, *, actor: Actor, now: datetime, limit: int = 50, offset: int = 0
) -> tuple[list[GatewayHealth], int]:
    """Return one page of the gateways the actor may read, with counters and rejections."""
    gateways, total = list_gateways(session, actor=actor, limit=limit, offset=offset)
    ids = [g.id for g in gateways]
    details: dict[uuid.UUID, list[GatewayRejectionRead]] = defaultdict(list)
    for row in session.scalars(
        select(GatewayRejection)
        .where(GatewayRejection.gateway_id.in_(ids))
        .order_by(GatewayRejection.gateway_id, GatewayRejection.count.desc())
    ):
        details[row.gateway_id].append(
            GatewayRejectionRead(
                reason=row.reason, count=row.count, last_at=row.last_at, detail=row.last_detail
            )
        )
    cadence = {
        gateway_id: (int(n), int(every))
        for gateway_id, n, every in session.execute(
            select(Sensor.gateway_id, func.count(), func.min(Sensor.interval_seconds))
            .where(Sensor.gateway_id.in_(ids))
            .group_by(Sensor.gateway_id)
        )
    }
    rows = [_health(g, details[g.id], cadence.get(g.id), now) for g in gateways]
    return rows, total


def _health(
    gateway: Gateway,
    details: list[GatewayRejectionRead],
    cadence: tuple[int, int] | None,
    now: datetime,
) -> GatewayHealth:
    sensors, every = cadence if cadence else (0, None)
    seen = gateway.last_seen_at
    silent = bool(
        gateway.active
        and every is not None
        and (seen is None or (now - seen).total_seconds() > SILENT_INTERVALS * every)
    )
    return GatewayHealth(
        id=gateway.id, code=gateway.code, name=gateway.name, region_code=gateway.region_code,
        active=gateway.active, is_demo=gateway.is_demo, last_seen_at=seen,
        accepted=gateway.accepted, duplicates=gateway.duplicates,
        rejected=sum(d.count for d in details), rejections=details, sensors=sensors,
        expected_every=every, silent=silent,
    )  # fmt: skip
