"""HTTP routes of the live board and the map's sensor layer (polled by the pages' scripts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from yingji.core.auth.deps import CurrentActor
from yingji.core.http import UoW
from yingji.monitoring import service
from yingji.monitoring.schemas import ObjectKind
from yingji.monitoring.service import Board
from yingji.orgs.schemas import REGION_CODE_PATTERN

router = APIRouter(prefix="/api/monitoring", tags=["monitoring"])
RegionParam = Annotated[str | None, Query(pattern=REGION_CODE_PATTERN)]
Page = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/board")
def get_board(
    uow: UoW,
    actor: CurrentActor,
    region: RegionParam = None,
    kind: ObjectKind | None = None,
    abnormal: bool = False,
    page: Page = 1,
) -> Board:
    """Return one page of the live board: objects, their sensors' latest values and bands.

    ``abnormal=true`` keeps only sensors whose value is in a band, whose reading is stale or
    missing, or that are offline or faulty. ``now`` is the server's clock in epoch ms.
    """
    return service.board(
        uow.session, actor=actor, region_code=region, kind=kind.value if kind else None,
        abnormal_only=abnormal, page=page,
    )  # fmt: skip


@router.get("/sensors.geojson")
def sensors_geojson(uow: UoW, actor: CurrentActor, region: RegionParam = None) -> dict[str, Any]:
    """Return the located sensors the caller may read as GeoJSON points with their bands."""
    return service.sensor_features(uow.session, actor=actor, region_code=region)
