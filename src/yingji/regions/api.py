"""HTTP routes of the regions context (thin: validate, call the service, commit, answer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from yingji.core.auth.deps import CurrentActor
from yingji.core.errors import InvalidInput
from yingji.core.http import UoW
from yingji.regions import importer, service
from yingji.regions.schemas import (
    FeatureCollection,
    ImportReport,
    RegionCreate,
    RegionDetail,
    RegionLevel,
    RegionRead,
    RegionUpdate,
)

router = APIRouter(prefix="/api/regions", tags=["regions"])

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
FieldName = Annotated[str, Query(min_length=1, max_length=60)]


def _levels(raw: str | None) -> list[RegionLevel] | None:
    """Parse "county,town" into levels; None means every level."""
    if not raw:
        return None
    try:
        return [RegionLevel(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        choices = ", ".join(RegionLevel)
        raise InvalidInput(
            f"levels: use a comma-separated list of {choices}", field="levels"
        ) from exc


def _reads(regions: list[Any]) -> list[RegionRead]:
    return [RegionRead.model_validate(r) for r in regions]


@router.get("")
def list_regions(
    uow: UoW,
    actor: CurrentActor,
    parent: Annotated[str | None, Query(max_length=32)] = None,
    level: RegionLevel | None = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 500,
) -> list[RegionRead]:
    """List the visible regions below a parent, of a level, or whose name contains q."""
    found = service.list_regions(
        uow.session, actor=actor, parent=parent, level=level, q=q, limit=limit
    )
    return _reads(found)


@router.get("/locate")
def locate(
    uow: UoW,
    actor: CurrentActor,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> list[RegionRead]:
    """Return the regions holding a point, deepest first; empty outside your region."""
    return _reads(service.locate(uow.session, actor=actor, lon=lon, lat=lat))


@router.get("/geojson", response_model=FeatureCollection)
def geojson(
    uow: UoW,
    actor: CurrentActor,
    root: Annotated[str | None, Query(max_length=32)] = None,
    levels: Annotated[str | None, Query(max_length=60)] = None,
    tolerance: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> JSONResponse:
    """Return the visible regions below root as GeoJSON for the map (simplified by tolerance)."""
    collection = service.geojson(
        uow.session,
        actor=actor,
        root_code=root,
        levels=_levels(levels),
        simplify_tolerance=tolerance,
    )
    # Serialised directly: large coordinate lists need no per-value encoding.
    return JSONResponse(collection, media_type="application/geo+json")


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "title": "FeatureCollection"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post("/import", openapi_extra=_IMPORT_BODY)
async def import_file(
    request: Request,
    uow: UoW,
    actor: CurrentActor,
    source: Annotated[str | None, Query(max_length=200)] = None,
    demo: bool = False,
    code_field: FieldName = "code",
    name_field: FieldName = "name",
    parent_field: FieldName = "parent",
    level_field: Annotated[str | None, Query(max_length=60)] = None,
) -> ImportReport:
    """Import a GeoJSON FeatureCollection (multipart "file" or a JSON body), all or nothing."""
    data, filename = await _upload(request)

    def run() -> ImportReport:
        report = importer.import_geojson(
            uow.session,
            actor=actor,
            data=data,
            source=source or filename,
            is_demo=demo,
            code_field=code_field,
            name_field=name_field,
            parent_field=parent_field,
            level_field=level_field,
        )
        uow.commit()
        return report

    return await run_in_threadpool(run)


async def _upload(request: Request) -> tuple[bytes, str]:
    """Return the uploaded file's bytes and a name for the import's source."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInput(
                    "send the GeoJSON file in the multipart field 'file'", field="file"
                )
            data = await upload.read()
            name = upload.filename or "upload"
    else:
        data = await request.body()
        name = "api upload"
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("the file is larger than 64 MiB", field="file")
    return data, name


@router.post("", status_code=status.HTTP_201_CREATED)
def create_region(uow: UoW, actor: CurrentActor, body: RegionCreate) -> RegionRead:
    """Add a town, village or grid below an existing region."""
    region = service.create_region(uow.session, actor=actor, data=body)
    uow.commit()
    return RegionRead.model_validate(region)


@router.get("/{code}")
def get_region(uow: UoW, actor: CurrentActor, code: str) -> RegionDetail:
    """Return a region with its number of children and its bounding box."""
    return service.region_detail(uow.session, actor=actor, code=code)


@router.get("/{code}/children")
def children(uow: UoW, actor: CurrentActor, code: str) -> list[RegionRead]:
    """Return the visible children of a region."""
    return _reads(service.list_children(uow.session, actor=actor, code=code))


@router.get("/{code}/subtree")
def subtree(
    uow: UoW,
    actor: CurrentActor,
    code: str,
    levels: Annotated[str | None, Query(max_length=60)] = None,
) -> list[RegionRead]:
    """Return a region and every visible region below it (optionally only some levels)."""
    found = service.list_subtree(uow.session, actor=actor, code=code, levels=_levels(levels))
    return _reads(found)


@router.patch("/{code}")
def update_region(uow: UoW, actor: CurrentActor, code: str, body: RegionUpdate) -> RegionRead:
    """Rename a region or replace its geometry."""
    region = service.update_region(uow.session, actor=actor, code=code, data=body)
    uow.commit()
    return RegionRead.model_validate(region)
