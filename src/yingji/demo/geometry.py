"""Synthetic subdivisions of real district boundaries, for demo towns, villages and grids."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry


def _largest(geom: BaseGeometry) -> Polygon | None:
    if isinstance(geom, Polygon):
        return geom if not geom.is_empty else None
    if isinstance(geom, MultiPolygon):
        return max(geom.geoms, key=lambda g: g.area)
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area) if parts else None


def strips(geom: BaseGeometry, count: int, *, vertical: bool = True) -> list[Polygon]:
    """Cut a polygon into ``count`` strips of equal width; keep each strip's largest piece."""
    minx, miny, maxx, maxy = geom.bounds
    pieces: list[Polygon] = []
    for i in range(count):
        if vertical:
            step = (maxx - minx) / count
            cell = box(minx + i * step, miny, minx + (i + 1) * step, maxy)
        else:
            step = (maxy - miny) / count
            cell = box(minx, miny + i * step, maxx, miny + (i + 1) * step)
        piece = _largest(geom.intersection(cell))
        if piece is not None and piece.area > 0:
            pieces.append(piece)
    return pieces
