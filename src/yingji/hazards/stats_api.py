"""HTTP routes of hazard statistics, the quarterly table and responsibility trace-back."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from yingji.core.auth.deps import CurrentActor
from yingji.core.errors import InvalidInput
from yingji.core.http import UoW
from yingji.hazards import _quarterly, _trace
from yingji.hazards._statistics import statistics
from yingji.hazards.states import HazardSource
from yingji.hazards.stats_schemas import HazardStatistics, QuarterlyTable, Timeline

router = APIRouter(prefix="/api", tags=["hazard statistics"])

Code = Annotated[str | None, Query(pattern=r"^[0-9A-Za-z]{1,32}$", description="a region code")]
Industry = Annotated[
    str | None, Query(pattern=r"^[A-T]([0-9]{2}){0,2}$", description="GB/T 4754 prefix, e.g. C26")
]
Place = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
Year = Annotated[int, Query(ge=2000, le=2100)]
Quarter = Annotated[int | None, Query(ge=1, le=4, description="omit for the annual table")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/hazards/statistics")
def hazard_statistics(
    uow: UoW,
    actor: CurrentActor,
    region: Code = None,
    industry: Industry = None,
    source: HazardSource | None = None,
) -> HazardStatistics:
    """Count the visible hazards by status, grade, source, industry and child region."""
    return statistics(
        uow.session,
        actor=actor,
        region_code=region,
        industry_code=industry,
        source=source.value if source else None,
    )


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@router.get("/hazards/quarterly", response_model=QuarterlyTable)
def quarterly_table(
    uow: UoW,
    actor: CurrentActor,
    year: Year,
    quarter: Quarter = None,
    region: Code = None,
    enterprise_id: uuid.UUID | None = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> QuarterlyTable | Response:
    """Return the quarterly (or annual) hazard statistics table, as JSON, CSV or XLSX."""
    if region is not None and enterprise_id is not None:
        raise InvalidInput("give a region or an enterprise, not both", field="enterprise_id")
    table = _quarterly.quarterly_table(
        uow.session,
        actor=actor,
        year=year,
        quarter=quarter,
        region_code=region,
        enterprise_id=enterprise_id,
    )
    name = f"hazards-{year}" + (f"-q{quarter}" if quarter else "")
    if format == "csv":
        return _download(_quarterly.to_csv(table), "text/csv; charset=utf-8", f"{name}.csv")
    if format == "xlsx":
        body = _quarterly.to_xlsx(table)
        if body is None:
            raise InvalidInput("XLSX export is not available on this server", field="format")
        return _download(body, XLSX, f"{name}.xlsx")
    return table


@router.get("/trace", response_model=Timeline)
def trace(
    uow: UoW,
    actor: CurrentActor,
    enterprise_id: uuid.UUID | None = None,
    hazard_id: uuid.UUID | None = None,
    risk_point_id: uuid.UUID | None = None,
    region: Code = None,
    place: Place = None,
    format: Literal["json", "csv"] = "json",
) -> Timeline | Response:
    """Return the timeline (责任倒查) of an enterprise, a hazard, a risk point or a place."""
    timeline = _trace.trace(
        uow.session,
        actor=actor,
        enterprise_id=enterprise_id,
        hazard_id=hazard_id,
        risk_point_id=risk_point_id,
        region_code=region,
        place=place,
    )
    if format == "csv":
        return _download(_trace.to_csv(timeline), "text/csv; charset=utf-8", "trace.csv")
    return timeline
