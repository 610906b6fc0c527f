"""Region business rules: paths, subtrees, lookups, edits and the map's GeoJSON.

Visibility: an actor reads its own region subtree. Its ancestors (the province and city above a
district user) are readable one by one, so a page can name them, but listing below an ancestor
only ever returns the part inside the actor's subtree: siblings stay hidden. Anything else is
403 when it exists and 404 when it does not. Writes need REGION_WRITE and the written region
inside the actor's subtree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import shapely
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.regions import spatial

# ``as`` imports are re-exports: other contexts reach covered areas, paths and ranges here.
from yingji.regions._coverage import covered_paths as covered_paths
from yingji.regions._coverage import covered_regions as covered_regions
from yingji.regions._coverage import outermost as outermost
from yingji.regions.events import RegionCreated, RegionUpdated
from yingji.regions.models import Region
from yingji.regions.schemas import (
    MAX_PATH,
    CodeError,
    RegionCreate,
    RegionDetail,
    RegionLevel,
    RegionRead,
    RegionUpdate,
    check_code,
    check_parent,
    path_depth,
)
from yingji.regions.spatial import path_of as path_of
from yingji.regions.spatial import prefix_range as prefix_range

CREATABLE = frozenset({RegionLevel.TOWN, RegionLevel.VILLAGE, RegionLevel.GRID})
MAX_LIST = 5000


def in_subtree(column: InstrumentedAttribute[str], path: str) -> ColumnElement[bool]:
    """Return a SQL condition: a region-code column lies in the subtree rooted at ``path``."""
    low, high = prefix_range(path)
    codes = select(Region.code).where(Region.path >= low, Region.path < high)
    return column.in_(codes)


def audit_snapshot(region: Region) -> dict[str, Any]:
    """Return what the audit log keeps of a region (a hash stands in for the geometry)."""
    digest = hashlib.sha256(region.geometry.encode()).hexdigest() if region.geometry else None
    bbox = [region.min_lon, region.min_lat, region.max_lon, region.max_lat]
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.parent_code,
        "path": region.path,
        "is_demo": region.is_demo,
        "source": region.source,
        "geometry_sha256": digest,
        "bbox": bbox if region.geometry else None,
    }


def _within(actor: Actor, query: Select[Any]) -> Select[Any]:
    low, high = prefix_range(actor.region_path)
    return query.where(Region.path >= low, Region.path < high)


def _scope_path(actor: Actor, region: Region) -> str:
    """Return the part of a visible region's subtree the actor may list."""
    return region.path if actor.covers_path(region.path) else actor.region_path


def get_region(session: Session, *, actor: Actor, code: str) -> Region:
    """Return a region in the actor's subtree or one of the actor's ancestors."""
    actor.require(Permission.REGION_READ)
    region = session.get(Region, code, options=[spatial.LIGHT])
    if region is None:
        raise NotFound(f"unknown region code {code!r}", field="code")
    if not (actor.covers_path(region.path) or actor.region_path.startswith(region.path)):
        raise Forbidden(f"region {code} lies outside your region", field="code")
    return region


def region_detail(session: Session, *, actor: Actor, code: str) -> RegionDetail:
    """Return a region with its number of visible children and its bounding box."""
    region = get_region(session, actor=actor, code=code)
    count = session.scalar(
        _within(actor, select(func.count()).select_from(Region)).where(Region.parent_code == code)
    )
    bbox = None
    if region.min_lon is not None:
        bbox = (region.min_lon, region.min_lat, region.max_lon, region.max_lat)
    base = RegionRead.model_validate(region).model_dump()
    return RegionDetail.model_validate({**base, "children_count": count or 0, "bbox": bbox})


def list_regions(
    session: Session,
    *,
    actor: Actor,
    parent: str | None = None,
    level: RegionLevel | None = None,
    q: str | None = None,
    limit: int = 500,
) -> list[Region]:
    """List visible regions: children of ``parent``, of a ``level``, or named like ``q``.

    Without any filter, return the top of what the actor sees (its own region, or the
    provinces for an actor reaching everything).
    """
    actor.require(Permission.REGION_READ)
    query = _within(actor, select(Region).options(spatial.LIGHT))
    if parent is not None:
        get_region(session, actor=actor, code=parent)
        query = query.where(Region.parent_code == parent)
    if level is not None:
        query = query.where(Region.level == str(level))
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Region.name.like(f"%{escaped}%", escape="\\"))
    if parent is None and level is None and not q:
        # The top of what the actor sees: its own region, or the roots for the whole country.
        own = Region.code == actor.region_code
        query = query.where(Region.parent_code.is_(None) if actor.region_code is None else own)
    limit = max(1, min(limit, MAX_LIST))
    return list(session.scalars(query.order_by(Region.path).limit(limit)))


def list_children(session: Session, *, actor: Actor, code: str) -> list[Region]:
    """Return the visible children of a region."""
    return list_regions(session, actor=actor, parent=code, limit=MAX_LIST)


def list_subtree(
    session: Session, *, actor: Actor, code: str, levels: Iterable[RegionLevel] | None = None
) -> list[Region]:
    """Return a region and everything below it that the actor may see (one range query)."""
    region = get_region(session, actor=actor, code=code)
    return list(session.scalars(spatial.subtree_query(_scope_path(actor, region), levels)))


def count_subtree(session: Session, *, actor: Actor, code: str | None = None) -> int:
    """Count the visible regions in a subtree (default: the actor's whole region)."""
    actor.require(Permission.REGION_READ)
    path = actor.region_path
    if code is not None:
        path = _scope_path(actor, get_region(session, actor=actor, code=code))
    low, high = prefix_range(path)
    query = select(func.count()).where(Region.path >= low, Region.path < high)
    return session.scalar(query) or 0


def locate(session: Session, *, actor: Actor, lon: float, lat: float) -> list[Region]:
    """Return the chain of regions holding a point, deepest first, if it is the actor's."""
    actor.require(Permission.REGION_READ)
    path = spatial.locate_path(session, lon=lon, lat=lat)
    if path is None or not actor.covers_path(path):
        return []
    return spatial.chain(session, path)


def _geometry_columns(raw: dict[str, Any] | None) -> dict[str, Any]:
    if raw is None:
        return spatial.shape_columns(None)
    try:
        geom, _ = spatial.parse_geometry(raw)
    except spatial.GeometryError as exc:
        raise InvalidInput(f"geometry: {exc}", field="geometry") from exc
    return spatial.shape_columns(geom)


def _next_grid_code(session: Session, parent_code: str) -> str:
    stem = f"{parent_code}G"
    low, high = prefix_range(stem)
    taken = session.scalars(select(Region.code).where(Region.code >= low, Region.code < high))
    numbers = [int(c[len(stem) :]) for c in taken if c[len(stem) :].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:03d}"


def create_region(session: Session, *, actor: Actor, data: RegionCreate) -> Region:
    """Add a town, village or grid below an existing region."""
    actor.require(Permission.REGION_WRITE)
    if data.level not in CREATABLE:
        raise InvalidInput("provinces, cities and counties come from an import", field="level")
    parent = session.get(Region, data.parent_code)
    if parent is None:
        raise InvalidInput(f"unknown parent region {data.parent_code!r}", field="parent_code")
    actor.require_region(parent.path, what="parent region")
    if data.code is None and data.level is not RegionLevel.GRID:
        raise InvalidInput(f"a {data.level} needs its GB/T 2260 code", field="code")
    code = data.code or _next_grid_code(session, parent.code)
    try:
        check_code(code, data.level)
        check_parent(code, data.level, parent.code, RegionLevel(parent.level))
    except CodeError as exc:
        raise InvalidInput(str(exc), field="code") from exc
    path = f"{parent.path}{code}/"
    if len(path) > MAX_PATH:
        raise InvalidInput("the tree is too deep below this parent", field="parent_code")
    if session.get(Region, code) is not None:
        raise Conflict(f"region {code} already exists", field="code")
    region = Region(
        code=code,
        name=data.name,
        level=str(data.level),
        parent_code=parent.code,
        path=path,
        depth=path_depth(path),
        is_demo=data.is_demo,
        source=f"api:{actor.username}",
        **_geometry_columns(data.geometry),
    )
    session.add(region)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="region.created",
        entity_type="region",
        entity_id=code,
        region_path=path,
        after=audit_snapshot(region),
    )
    event = RegionCreated(code=code, parent_code=parent.code, level=str(data.level))
    record_event(session, event, actor=actor)
    return region


def update_region(session: Session, *, actor: Actor, code: str, data: RegionUpdate) -> Region:
    """Rename a region or replace (or, with an explicit null, remove) its geometry."""
    actor.require(Permission.REGION_WRITE)
    region = session.get(Region, code)
    if region is None:
        raise NotFound(f"unknown region code {code!r}", field="code")
    actor.require_region(region.path, what="region")
    values: dict[str, Any] = {}
    if data.name is not None:
        values["name"] = data.name
    if "geometry" in data.model_fields_set:
        values.update(_geometry_columns(data.geometry))
    changed = sorted(k for k, v in values.items() if getattr(region, k) != v)
    if not changed:
        return region
    before = audit_snapshot(region)
    for key in changed:
        setattr(region, key, values[key])
    session.flush()
    record_change(
        session,
        actor=actor,
        action="region.updated",
        entity_type="region",
        entity_id=code,
        region_path=region.path,
        before=before,
        after=audit_snapshot(region),
    )
    fields = sorted({"geometry" if k != "name" else "name" for k in changed})
    record_event(session, RegionUpdated(code=code, changed=fields), actor=actor)
    return region


def geojson(
    session: Session,
    *,
    actor: Actor,
    root_code: str | None = None,
    levels: Iterable[RegionLevel] | None = None,
    simplify_tolerance: float = 0.0,
) -> dict[str, Any]:
    """Return a FeatureCollection of the visible regions below a root, simplified for the map.

    Regions without geometry are left out. The tolerance is in degrees (0.001 ≈ 100 m).
    """
    actor.require(Permission.REGION_READ)
    if not 0 <= simplify_tolerance <= 1:
        raise InvalidInput("tolerance must be between 0 and 1 degree", field="tolerance")
    path = actor.region_path
    if root_code is not None:
        path = _scope_path(actor, get_region(session, actor=actor, code=root_code))
    rows = session.execute(
        spatial.subtree_query(path, levels)
        .with_only_columns(
            Region.code, Region.name, Region.level, Region.parent_code, Region.is_demo
        )
        .where(Region.geometry.is_not(None))
    ).all()
    index = spatial.region_index(session)
    shapes = [index.geometry_of(row.code) for row in rows]
    if simplify_tolerance > 0 and shapes:
        shapes = list(shapely.simplify(shapes, simplify_tolerance, preserve_topology=True))
    texts = shapely.to_geojson(shapes) if shapes else []
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(text),
            "properties": {
                "code": row.code,
                "name": row.name,
                "level": row.level,
                "parent_code": row.parent_code,
                "is_demo": row.is_demo,
            },
        }
        for row, text in zip(rows, texts, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}
