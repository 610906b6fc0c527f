"""The regions an area covers: chosen regions with their subtrees, and drawn shapes.

For system components acting on an authorised decision (warning targeting): no permission
check. Re-exported by ``regions.service``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.regions import spatial
from yingji.regions.models import Region
from yingji.regions.schemas import CoveredRegion
from yingji.regions.spatial import prefix_range


def covered_regions(
    session: Session, *, region_codes: Iterable[str] = (), geometry: Any | None = None
) -> list[CoveredRegion]:
    """Return every region an area covers: chosen regions with their subtrees, and shapes.

    For system components acting on an authorised decision (warning targeting): no permission
    check. A chosen code covers its whole subtree. A shape (shapely geometry, WGS-84) covers
    every region whose boundary it meets, and each region without a boundary of its own (a
    village or grid entered without one) whose nearest ancestor with a boundary it meets:
    nothing finer is known of where such a region lies. Unknown codes raise NotFound naming
    the code. Ordered by path.
    """
    return [
        CoveredRegion.model_construct(code=code, name=name, level=level, path=path)
        for code, name, level, path in _covered(session, region_codes, geometry)
    ]


def covered_paths(
    session: Session, *, region_codes: Iterable[str] = (), geometry: Any | None = None
) -> dict[str, str]:
    """Return the path of every region an area covers, by code (``covered_regions``' regions).

    The lean form for a county's fan-out: tens of thousands of grids, no objects.
    """
    return {code: path for code, _, _, path in _covered(session, region_codes, geometry)}


def _covered(
    session: Session, region_codes: Iterable[str], geometry: Any | None
) -> Iterator[tuple[str, str, str, str]]:
    """Yield (code, name, level, path) of the regions an area covers, by path."""
    chosen = sorted({spatial.path_of(session, code) for code in set(region_codes)})
    hit = set(spatial.intersecting_paths(session, geometry)) if geometry is not None else set()
    for root in outermost([*chosen, *hit]):
        low, high = prefix_range(root)
        # Columns, not entities: a county's subtree is tens of thousands of grids.
        subtree = session.execute(
            select(Region.code, Region.name, Region.level, Region.path, Region.min_lon)
            .where(Region.path >= low, Region.path < high)
            .order_by(Region.path)
        ).all()
        if root in chosen or any(root.startswith(c) for c in chosen):
            for code, name, level, path, _ in subtree:
                yield code, name, level, path
            continue
        shaped = {path for _, _, _, path, min_lon in subtree if min_lon is not None}
        nearest: dict[str, bool] = {}  # parent path → its nearest shaped ancestor was hit
        for code, name, level, path, min_lon in subtree:
            if min_lon is not None:
                covered = path in hit
            else:  # grids share their parent: look its nearest shaped ancestor up once
                parent = path[: path.rindex("/", 0, -1) + 1]
                if parent not in nearest:
                    nearest[parent] = _nearest_shaped(path, shaped) in hit
                covered = nearest[parent]
            if covered or any(path.startswith(c) for c in chosen):
                yield code, name, level, path


def outermost(paths: Iterable[str]) -> list[str]:
    """Return the paths no other of them contains (the roots of the subtrees they form)."""
    out: list[str] = []
    for path in sorted(set(paths)):
        if not out or not path.startswith(out[-1]):
            out.append(path)
    return out


def _nearest_shaped(path: str, shaped: set[str]) -> str | None:
    """Return the nearest strict ancestor path that has a boundary, or None."""
    parts = path.strip("/").split("/")
    for depth in range(len(parts) - 1, 0, -1):
        ancestor = "/" + "/".join(parts[:depth]) + "/"
        if ancestor in shaped:
            return ancestor
    return None
