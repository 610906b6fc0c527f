"""HTTP routes of the risks context: risk points, control measures, major hazard installations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.orm import Session

from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.http import UoW
from yingji.orgs.schemas import REGION_CODE_PATTERN
from yingji.risks import service
from yingji.risks.assessment import RiskLevel
from yingji.risks.models import MajorHazardInstallation, RiskPoint
from yingji.risks.schemas import (
    ControlMeasureRead,
    GroupBy,
    InstallationCreate,
    InstallationList,
    InstallationRead,
    RiskPointCreate,
    RiskPointList,
    RiskPointRead,
    RiskPointUpdate,
    RiskSummaryRowRead,
    SubstanceRead,
    SubstancesUpdate,
)

router = APIRouter(prefix="/api", tags=["risks"])


def _needs(permission: Permission) -> Any:
    """Return a route dependency refusing roles without a permission before the body is read."""

    def check(actor: CurrentActor) -> None:
        actor.require(permission)

    return Depends(check)


RISK_WRITE = [_needs(Permission.RISK_WRITE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Search = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
RegionParam = Annotated[
    str | None, Query(pattern=REGION_CODE_PATTERN, description="a region code: its subtree")
]


def risk_point_read(session: Session, point: RiskPoint) -> RiskPointRead:
    """Return the read model of a risk point with its measures."""
    return _risk_reads(session, [point])[0]


def _risk_reads(session: Session, points: list[RiskPoint]) -> list[RiskPointRead]:
    measures = service.measures_of(session, [p.id for p in points])
    reads = []
    for point in points:
        level = RiskLevel(point.level)
        read = RiskPointRead.model_validate(point)
        reads.append(
            read.model_copy(
                update={
                    "level_zh": level.zh,
                    "colour": level.colour,
                    "measures": [ControlMeasureRead.model_validate(m) for m in measures[point.id]],
                }
            )
        )
    return reads


def installation_read(session: Session, row: MajorHazardInstallation) -> InstallationRead:
    """Return the read model of an installation with its substances."""
    subs = service.substances_of(session, [row.id])[row.id]
    read = InstallationRead.model_validate(row)
    return read.model_copy(
        update={
            "grade_zh": service.grade_zh(row.grade),
            "substances": [SubstanceRead.model_validate(s) for s in subs],
        }
    )


@router.get("/risk-points")
def list_risk_points(
    uow: UoW,
    actor: CurrentActor,
    organisation_id: uuid.UUID | None = None,
    region: RegionParam = None,
    level: RiskLevel | None = None,
    q: Search = None,
    include_inactive: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RiskPointList:
    """List the risk points the caller may read, most severe first."""
    rows, total = service.list_risk_points(
        uow.session,
        actor=actor,
        organisation_id=organisation_id,
        region_code=region,
        level=level,
        q=q,
        active=None if include_inactive else True,
        limit=limit,
        offset=offset,
    )
    return RiskPointList(
        items=_risk_reads(uow.session, rows), total=total, limit=limit, offset=offset
    )


@router.post("/risk-points", status_code=status.HTTP_201_CREATED, dependencies=RISK_WRITE)
def create_risk_point(uow: UoW, actor: CurrentActor, body: RiskPointCreate) -> RiskPointRead:
    """Record and grade a risk point of an enterprise."""
    point = service.create_risk_point(uow.session, actor=actor, data=body)
    read = risk_point_read(uow.session, point)
    uow.commit()
    return read


@router.get("/risk-points/{risk_point_id}")
def get_risk_point(uow: UoW, actor: CurrentActor, risk_point_id: uuid.UUID) -> RiskPointRead:
    """Show one risk point with its control measures."""
    point = service.get_risk_point(uow.session, actor=actor, risk_point_id=risk_point_id)
    return risk_point_read(uow.session, point)


@router.patch("/risk-points/{risk_point_id}", dependencies=RISK_WRITE)
def update_risk_point(
    uow: UoW, actor: CurrentActor, risk_point_id: uuid.UUID, body: RiskPointUpdate
) -> RiskPointRead:
    """Change or re-assess a risk point (a new assessment needs a reason)."""
    point = service.update_risk_point(
        uow.session, actor=actor, risk_point_id=risk_point_id, data=body
    )
    read = risk_point_read(uow.session, point)
    uow.commit()
    return read


@router.delete("/risk-points/{risk_point_id}", dependencies=RISK_WRITE)
def deactivate_risk_point(uow: UoW, actor: CurrentActor, risk_point_id: uuid.UUID) -> RiskPointRead:
    """Take a risk point off the register (it stays on record)."""
    point = service.deactivate_risk_point(uow.session, actor=actor, risk_point_id=risk_point_id)
    read = risk_point_read(uow.session, point)
    uow.commit()
    return read


@router.get("/risks/summary")
def risk_summary(
    uow: UoW, actor: CurrentActor, group_by: GroupBy = GroupBy.REGION, region: RegionParam = None
) -> list[RiskSummaryRowRead]:
    """Count active risk points per level by child region or by industry."""
    rows = service.risk_summary(uow.session, actor=actor, group_by=group_by, region_code=region)
    return [RiskSummaryRowRead(**row) for row in rows]


@router.get("/risks/geojson")
def risk_geojson(
    uow: UoW,
    actor: CurrentActor,
    region: RegionParam = None,
    level: RiskLevel | None = None,
    organisation_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return the located risk points as GeoJSON points coloured by level (capped)."""
    return service.map_points(
        uow.session, actor=actor, region_code=region, level=level, organisation_id=organisation_id
    )


@router.get("/installations")
def list_installations(
    uow: UoW,
    actor: CurrentActor,
    organisation_id: uuid.UUID | None = None,
    region: RegionParam = None,
    major_only: bool = False,
    include_inactive: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> InstallationList:
    """List the installations the caller may read, major hazards by grade first."""
    rows, total = service.list_installations(
        uow.session,
        actor=actor,
        organisation_id=organisation_id,
        region_code=region,
        major_only=major_only,
        active=None if include_inactive else True,
        limit=limit,
        offset=offset,
    )
    items = [installation_read(uow.session, row) for row in rows]
    return InstallationList(items=items, total=total, limit=limit, offset=offset)


@router.post("/installations", status_code=status.HTTP_201_CREATED, dependencies=RISK_WRITE)
def create_installation(
    uow: UoW, actor: CurrentActor, body: InstallationCreate
) -> InstallationRead:
    """Record a unit and identify it under GB 18218-2018."""
    row = service.create_installation(uow.session, actor=actor, data=body)
    read = installation_read(uow.session, row)
    uow.commit()
    return read


@router.get("/installations/{installation_id}")
def get_installation(uow: UoW, actor: CurrentActor, installation_id: uuid.UUID) -> InstallationRead:
    """Show one installation with its substances, S, R and grade."""
    row = service.get_installation(uow.session, actor=actor, installation_id=installation_id)
    return installation_read(uow.session, row)


@router.put("/installations/{installation_id}/substances", dependencies=RISK_WRITE)
def update_substances(
    uow: UoW, actor: CurrentActor, installation_id: uuid.UUID, body: SubstancesUpdate
) -> InstallationRead:
    """Replace the stock of an installation; it is re-identified and the reason recorded."""
    row = service.update_installation_substances(
        uow.session, actor=actor, installation_id=installation_id, data=body
    )
    read = installation_read(uow.session, row)
    uow.commit()
    return read
