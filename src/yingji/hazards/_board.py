"""The hazard board: the visible hazards under filters, newest first, and their map layer.

Visibility and the region filter are ranges on ``Hazard.region_path`` (indexes
``ix_hazards_board`` and ``ix_hazards_region_reported``), so a subtree of a million hazards is
an index range scan ordered by ``reported_at``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, func, or_, select, union_all
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Scope
from yingji.core.db import fetch_page
from yingji.hazards import _access
from yingji.hazards._escalation import local_midnight
from yingji.hazards.models import Hazard, HazardStats
from yingji.hazards.schemas import HazardFilter
from yingji.regions import service as regions

GEOJSON_MAX: Final = 5000
# SQLite allows 500 terms in a compound SELECT; past this the board uses the plain query.
MAX_BRANCHES: Final = 400


def conditions(session: Session, actor: Actor, filters: HazardFilter) -> list[ColumnElement[bool]]:
    """Return the SQL conditions of the hazards the actor may read that match the filters."""
    where: list[ColumnElement[bool]] = [
        _access.visible(
            session,
            actor,
            Permission.HAZARD_READ,
            region_path=Hazard.region_path,
            organisation=Hazard.enterprise_id,
            industry=Hazard.industry_code,
        )
    ]
    if filters.status:
        where.append(Hazard.status.in_([s.value for s in filters.status]))
    if filters.grade is not None:
        where.append(Hazard.grade == filters.grade.value)
    if filters.source is not None:
        where.append(Hazard.source == filters.source.value)
    if filters.region_code:
        low, high = subtree_range(regions.path_of(session, filters.region_code))
        where.extend((Hazard.region_path >= low, Hazard.region_path < high))
    if filters.industry_code:
        where.append(_access.prefix_condition(Hazard.industry_code, filters.industry_code))
    if filters.enterprise_id is not None:
        where.append(Hazard.enterprise_id == filters.enterprise_id)
    if filters.overdue is not None:
        where.append(Hazard.overdue.is_(filters.overdue))
    if filters.supervised is not None:
        where.append(Hazard.supervised.is_(filters.supervised))
    if filters.q:
        text = filters.q
        where.append(
            or_(Hazard.number == text.upper(), Hazard.title.contains(text, autoescape=True))
        )
    if filters.reported_from is not None:
        where.append(Hazard.reported_at >= local_midnight(filters.reported_from))
    if filters.reported_to is not None:
        where.append(Hazard.reported_at < local_midnight(filters.reported_to + timedelta(days=1)))
    return where


def _stats_conditions(
    session: Session, actor: Actor, filters: HazardFilter
) -> list[ColumnElement[bool]] | None:
    """Return the filters as conditions on the rollup, or None if they are not its dimensions.

    The rollup holds counts per (region, industry, source, grade, status, overdue,
    supervised); an own-organisation scope, an enterprise, a search text or dates need rows.
    """
    if actor.scope_for(Permission.HAZARD_READ) is not Scope.REGION:
        return None
    if filters.enterprise_id or filters.q or filters.reported_from or filters.reported_to:
        return None
    where: list[ColumnElement[bool]] = [
        _access.visible(
            session,
            actor,
            Permission.HAZARD_READ,
            region_path=HazardStats.region_path,
            organisation=Hazard.enterprise_id,
            industry=HazardStats.industry_code,
        ),
        HazardStats.count > 0,
    ]
    if filters.status:
        where.append(HazardStats.status.in_([s.value for s in filters.status]))
    if filters.grade is not None:
        where.append(HazardStats.grade == filters.grade.value)
    if filters.source is not None:
        where.append(HazardStats.source == filters.source.value)
    if filters.region_code:
        low, high = subtree_range(regions.path_of(session, filters.region_code))
        where.extend((HazardStats.region_path >= low, HazardStats.region_path < high))
    if filters.industry_code:
        where.append(_access.prefix_condition(HazardStats.industry_code, filters.industry_code))
    if filters.overdue is not None:
        where.append(HazardStats.overdue.is_(filters.overdue))
    if filters.supervised is not None:
        where.append(HazardStats.supervised.is_(filters.supervised))
    return where


def _rollup_total(session: Session, stats: list[ColumnElement[bool]]) -> int:
    """Return the number of matching hazards from the ``hazard_stats`` rollup.

    Counting a subtree of a million hazards row by row is the slow half of a board page.
    """
    total = session.scalar(select(func.coalesce(func.sum(HazardStats.count), 0)).where(*stats))
    return int(total or 0)


def _page_ids(
    session: Session,
    filters: HazardFilter,
    stats: list[ColumnElement[bool]],
    where: list[ColumnElement[bool]],
    *,
    limit: int,
    offset: int,
) -> list[uuid.UUID] | None:
    """Return the ids of one page, newest first, by merging per-region index walks.

    A subtree range on ``region_path`` cannot be read in ``reported_at`` order, so a plain
    query sorts every hazard of the subtree. Each hazard's path is its enterprise's region, and
    the rollup knows which (path, status) pairs hold matching hazards: one branch per pair
    walks ``ix_hazards_board`` / ``ix_hazards_region_reported`` newest first and stops after
    ``offset + limit`` rows, and the branches are merged. Returns None (use the plain query)
    when there are too many branches.
    """
    if filters.status:
        pairs = session.execute(
            select(HazardStats.region_path, HazardStats.status).where(*stats).distinct()
        ).all()
        keys: list[tuple[str, str | None]] = [(p, st) for p, st in pairs]
    else:
        paths = session.scalars(select(HazardStats.region_path).where(*stats).distinct()).all()
        keys = [(p, None) for p in paths]
    if len(keys) > MAX_BRANCHES:
        return None
    if not keys:
        return []
    order = (Hazard.reported_at.desc(), Hazard.id.desc())
    branches = []
    for path, status in keys:
        branch = [*where, Hazard.region_path == path]
        if status is not None:
            branch.append(Hazard.status == status)
        sub = (
            select(Hazard.id, Hazard.reported_at)
            .where(*branch)
            .order_by(*order)
            .limit(offset + limit)
            .subquery()
        )
        branches.append(select(sub.c.id, sub.c.reported_at))
    merged = union_all(*branches).subquery()
    stmt = (
        select(merged.c.id)
        .order_by(merged.c.reported_at.desc(), merged.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def list_hazards(
    session: Session,
    *,
    actor: Actor,
    filters: HazardFilter,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Hazard], int]:
    """Return one page of the visible hazards matching the filters, newest first, and the total."""
    where = conditions(session, actor, filters)
    stmt = select(Hazard).where(*where)
    order = (Hazard.reported_at.desc(), Hazard.id.desc())
    stats = _stats_conditions(session, actor, filters)
    if stats is None:
        return fetch_page(session, stmt, order_by=order, limit=limit, offset=offset)
    total = _rollup_total(session, stats)
    ids = _page_ids(session, filters, stats, where, limit=limit, offset=offset)
    if ids is None:
        return list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset))), total
    found = {h.id: h for h in session.scalars(select(Hazard).where(Hazard.id.in_(ids)))}
    return [found[i] for i in ids if i in found], total


def hazard_features(
    session: Session, *, actor: Actor, filters: HazardFilter, cap: int = GEOJSON_MAX
) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of the visible located hazards (newest first, capped)."""
    stmt = (
        select(Hazard)
        .where(
            *conditions(session, actor, filters), Hazard.lon.is_not(None), Hazard.lat.is_not(None)
        )
        .order_by(Hazard.reported_at.desc(), Hazard.id.desc())
        .limit(cap)
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
            "properties": {
                "id": str(h.id),
                "number": h.number,
                "title": h.title,
                "status": h.status,
                "grade": h.grade,
                "overdue": h.overdue,
                "supervised": h.supervised,
                "enterprise_id": str(h.enterprise_id),
            },
        }
        for h in session.scalars(stmt)
    ]
    return {"type": "FeatureCollection", "features": features}
