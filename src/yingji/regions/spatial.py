"""Where a region is: geometry checks, point-in-region lookups and subtree ranges."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from sqlalchemy import Row, Select, bindparam, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, defer

from yingji.core.auth.actor import subtree_range
from yingji.core.errors import InvalidInput, NotFound
from yingji.regions.models import Region
from yingji.regions.schemas import RegionLevel

POLYGONAL = ("Polygon", "MultiPolygon")
# Lists and lookups never need the (possibly megabytes of) GeoJSON text; it loads on access.
LIGHT = defer(Region.geometry)


class GeometryError(ValueError):
    """A geometry cannot be stored; the message says why."""


def path_of(session: Session, code: str) -> str:
    """Return the materialised path of a region, or raise NotFound naming the code."""
    path = session.scalar(select(Region.path).where(Region.code == code))
    if path is None:
        raise NotFound(f"unknown region code {code!r}", field="region_code")
    return path


# The range of a subtree's paths is core machinery: the audit log filters by it too.
prefix_range = subtree_range


def subtree_query(path: str, levels: Iterable[RegionLevel] | None = None) -> Select[Region]:
    """Return the select of a subtree's regions (one indexed range on the unique path)."""
    low, high = prefix_range(path)
    query = select(Region).options(LIGHT).where(Region.path >= low, Region.path < high)
    if levels is not None:
        query = query.where(Region.level.in_([str(level) for level in levels]))
    return query.order_by(Region.path)


def subtree(
    session: Session, *, code: str, levels: Iterable[RegionLevel] | None = None
) -> list[Region]:
    """Return a region and everything below it (optionally only some levels), by path."""
    return list(session.scalars(subtree_query(path_of(session, code), levels)))


def parse_geometry(raw: object, *, repair: bool = False) -> tuple[Any, bool]:
    """Return a checked (Multi)Polygon from GeoJSON and whether it had to be repaired.

    Invalid shapes (self-intersections) are refused unless ``repair`` is set, in which case
    ``make_valid`` fixes them and only the polygonal parts are kept.
    """
    if not isinstance(raw, dict):
        raise GeometryError("geometry must be a GeoJSON object")
    kind = raw.get("type")
    if kind not in POLYGONAL:
        raise GeometryError(f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are refused just below
            geom = shape(raw)
        coords = shapely.get_coordinates(geom)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise GeometryError(f"malformed {kind} coordinates: {exc}") from exc
    except shapely.errors.ShapelyError as exc:
        raise GeometryError(f"malformed {kind} coordinates: {exc}") from exc
    if geom.is_empty or len(coords) == 0:
        raise GeometryError("geometry is empty")
    if not np.isfinite(coords).all():
        raise GeometryError("coordinates must be finite numbers")
    lon, lat = coords[:, 0], coords[:, 1]
    if lon.min() < -180 or lon.max() > 180 or lat.min() < -90 or lat.max() > 90:
        raise GeometryError("coordinates must be WGS-84 [longitude, latitude] in degrees")
    if shapely.is_valid(geom):
        return geom, False
    reason = shapely.is_valid_reason(geom)
    if not repair:
        raise GeometryError(f"invalid geometry: {reason}")
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    polygons = [g for g in shapely.get_parts(fixed) if g.geom_type in POLYGONAL]
    if not polygons:
        raise GeometryError(f"invalid geometry that cannot be repaired: {reason}")
    parts = [p for g in polygons for p in shapely.get_parts(g)]
    return (parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)), True


def shape_columns(geom: Any | None) -> dict[str, Any]:
    """Return the Region column values (GeoJSON text, bbox, label point) of a geometry."""
    if geom is None:
        keys = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat")
        return dict.fromkeys((*keys, "centroid_lon", "centroid_lat"))
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in geom.bounds)
    # representative_point lies inside even a concave or multi-part shape; a centroid may not.
    label = geom.representative_point()
    return {
        "geometry": shapely.to_geojson(geom),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "centroid_lon": float(label.x),
        "centroid_lat": float(label.y),
    }


class RegionIndex:
    """Every region that has a geometry, in an STRtree over prepared shapes."""

    def __init__(
        self, version: tuple[object, ...], rows: Sequence[Row[str, str, int, str | None]]
    ) -> None:
        self.version = version
        self.codes: list[str] = [row.code for row in rows]
        self.paths: list[str] = [row.path for row in rows]
        self.depths = np.array([row.depth for row in rows], dtype=np.int64)
        self.positions = {code: i for i, code in enumerate(self.codes)}
        self.geometries: NDArray[Any] = shapely.from_geojson([row.geometry for row in rows])
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def geometry_of(self, code: str) -> Any | None:
        """Return the shape of a region, or None when it has none."""
        position = self.positions.get(code)
        return None if position is None else self.geometries[position]

    def intersecting(self, geometry: Any) -> list[int]:
        """Return the positions of the regions whose shape meets a geometry (boundary counts)."""
        candidates = self.tree.query(geometry, predicate="intersects")
        return [int(i) for i in candidates]

    def deepest(self, lon: float, lat: float) -> int | None:
        """Return the position of the deepest region holding a point (boundary included)."""
        candidates = self.tree.query(shapely.Point(lon, lat))
        if len(candidates) == 0:
            return None
        hits = candidates[shapely.intersects_xy(self.geometries[candidates], lon, lat)]
        if len(hits) == 0:
            return None
        # Deepest wins; between overlapping siblings (imprecise borders) the lowest code does.
        return int(min(hits, key=lambda i: (-self.depths[i], self.codes[i])))


# Prebuilt: the hot paths below must not pay for building and caching statements per call.
# Two scalar subqueries, not one select: each can then be answered from an index alone.
_VERSION = select(
    select(func.count()).select_from(Region).scalar_subquery(),
    select(func.max(Region.updated_at)).scalar_subquery(),
)
_CHAIN = select(Region).options(LIGHT).where(Region.code.in_(bindparam("codes", expanding=True)))


_VERSION_KEY = "yingji.regions.data_version"
_INDEXES: dict[str, RegionIndex] = {}
_LOCK = threading.Lock()


def data_version(session: Session) -> tuple[object, ...]:
    """Return a fingerprint of the regions table that changes with any write.

    It is read once per transaction and cached in the session until the session writes
    (flush, UPDATE/DELETE statements), commits or rolls back: within one SQLite transaction
    nobody else's commit is visible anyway, and a request is one transaction.
    """
    version: tuple[object, ...] | None = session.info.get(_VERSION_KEY)
    if version is None:
        count, latest = session.connection().execute(_VERSION).one()
        version = session.info[_VERSION_KEY] = (count, str(latest))
    return version


def _forget_version(session: Session, *_: object) -> None:
    session.info.pop(_VERSION_KEY, None)


def _forget_after_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget_version(state.session)


for _name in (
    "after_begin",
    "after_flush",
    "after_commit",
    "after_rollback",
    "after_soft_rollback",
):
    event.listen(Session, _name, _forget_version)
event.listen(Session, "do_orm_execute", _forget_after_write)


def region_index(session: Session) -> RegionIndex:
    """Return the shape index of the session's database, rebuilt when the data changed.

    One index per database URL, checked against ``data_version`` (once per transaction), so
    imports, edits, other processes' writes and wiped test tables are all seen.
    """
    key = str(session.get_bind().engine.url)
    version = data_version(session)
    index = _INDEXES.get(key)
    if index is not None and index.version == version:
        return index
    with _LOCK:
        index = _INDEXES.get(key)
        if index is None or index.version != version:
            index = _build_index(session, version)
            _INDEXES[key] = index
    return index


def _build_index(session: Session, version: tuple[object, ...]) -> RegionIndex:
    rows = session.execute(
        select(Region.code, Region.path, Region.depth, Region.geometry)
        .where(Region.geometry.is_not(None))
        .order_by(Region.code)
    ).all()
    return RegionIndex(version, rows)


def chain_codes(path: str) -> list[str]:
    """Return the codes on a path from the region itself up to the root."""
    return path.strip("/").split("/")[::-1]


def locate_path(session: Session, *, lon: float, lat: float) -> str | None:
    """Return the path of the deepest region holding a point, or None."""
    _check_point(lon, lat)
    index = region_index(session)
    position = index.deepest(lon, lat)
    return None if position is None else index.paths[position]


def locate(session: Session, *, lon: float, lat: float) -> list[Region]:
    """Return the regions holding a point, deepest first up to the root (empty if none)."""
    path = locate_path(session, lon=lon, lat=lat)
    return [] if path is None else chain(session, path)


def locate_many(session: Session, points: Sequence[tuple[float, float]]) -> list[str | None]:
    """Return the path of the deepest region holding each (lon, lat) point, checking once."""
    for lon, lat in points:
        _check_point(lon, lat)
    index = region_index(session)
    positions = [index.deepest(lon, lat) for lon, lat in points]
    return [None if p is None else index.paths[p] for p in positions]


def intersecting_paths(session: Session, geometry: Any) -> list[str]:
    """Return the paths of every region whose shape meets a geometry (any level)."""
    index = region_index(session)
    return sorted(index.paths[i] for i in index.intersecting(geometry))


def chain(session: Session, path: str) -> list[Region]:
    """Return the regions on a path, deepest first (one query)."""
    codes = chain_codes(path)
    found = {r.code: r for r in session.scalars(_CHAIN, {"codes": codes})}
    return [found[code] for code in codes if code in found]


def _check_point(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise InvalidInput("lon must be a longitude in [-180, 180]", field="lon")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise InvalidInput("lat must be a latitude in [-90, 90]", field="lat")
