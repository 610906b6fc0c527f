"""The hazard board: the visible hazards under filters, newest first, and their map layer.

Visibility and the region filter are ranges on ``Hazard.region_path``; every other filter but
the search text, the enterprise and the dates is a dimension of the ``hazard_stats`` rollup.
The rollup gives the total, and says how many hazards match, which chooses how to find a page:
read exactly the matching hazards cell by cell (few matches), or walk all hazards newest first
keeping the matching ones (many matches). Both read covering indexes only.
"""

from __future__ import annotations

import enum
import uuid
from datetime import timedelta
from typing import Any, Final, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.clock import local_midnight
from yingji.core.db import fetch_page
from yingji.hazards import _access
from yingji.hazards.models import Hazard, HazardStats
from yingji.hazards.schemas import HazardFilter
from yingji.regions import service as regions

GEOJSON_MAX: Final = 5000
# What one index seek costs, in index entries read; measured on both backends (about 4-8).
SEEK_COST: Final = 6


class Plan(enum.Enum):
    """How the board finds one page (see :func:`choose_plan`)."""

    EXACT = "exact"  # read the matching rollup cells' hazards, sort them
    WALK = "walk"  # walk every hazard newest first, keep the matching ones
    PLAIN = "plain"  # let the database plan it (filters the rollup cannot count)


def _subtree(session: Session, filters: HazardFilter) -> str | None:
    """Return the region path of the region filter (NotFound for an unknown code)."""
    return regions.path_of(session, filters.region_code) if filters.region_code else None


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
            subtree=_subtree(session, filters),
        )
    ]
    if filters.status:
        where.append(Hazard.status.in_([s.value for s in filters.status]))
    if filters.grade is not None:
        where.append(Hazard.grade == filters.grade.value)
    if filters.source is not None:
        where.append(Hazard.source == filters.source.value)
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
            subtree=_subtree(session, filters),
        ),
        HazardStats.count > 0,
    ]
    if filters.status:
        where.append(HazardStats.status.in_([s.value for s in filters.status]))
    if filters.grade is not None:
        where.append(HazardStats.grade == filters.grade.value)
    if filters.source is not None:
        where.append(HazardStats.source == filters.source.value)
    if filters.industry_code:
        where.append(_access.prefix_condition(HazardStats.industry_code, filters.industry_code))
    if filters.overdue is not None:
        where.append(HazardStats.overdue.is_(filters.overdue))
    if filters.supervised is not None:
        where.append(HazardStats.supervised.is_(filters.supervised))
    return where


class _Rollup(NamedTuple):
    """What the rollup says of the matching hazards: how many, in how many cells, which kinds."""

    total: int
    cells: int
    # (grade is NULL, industry is NULL) combinations present among the matching cells.
    null_kinds: tuple[tuple[bool, bool], ...]


def _rollup(session: Session, stats: list[ColumnElement[bool]]) -> _Rollup:
    """Return the number of matching hazards and cells from the ``hazard_stats`` rollup.

    Counting a subtree of a million hazards row by row is the slow half of a board page.
    """
    no_grade = HazardStats.grade == ""
    no_industry = HazardStats.industry_code == ""
    rows = session.execute(
        select(no_grade, no_industry, func.sum(HazardStats.count), func.count())
        .where(*stats)
        .group_by(no_grade, no_industry)
    ).all()
    return _Rollup(
        total=sum(int(r[2] or 0) for r in rows),
        cells=sum(int(r[3]) for r in rows),
        null_kinds=tuple((bool(r[0]), bool(r[1])) for r in rows),
    )


def _table_size(session: Session) -> int:
    """Return about how many hazards there are, from the planner's estimate or the largest rowid.

    Only a PostgreSQL table that was never analysed (a new, small one) is counted row by row.
    """
    if session.get_bind().dialect.name == "postgresql":
        estimate = session.scalar(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'hazards'::regclass")
        )
        if estimate is not None and estimate >= 0:
            return int(estimate)
        # -1: never analysed yet, which autovacuum does once a table grows: a small table.
        return int(session.scalar(select(func.count()).select_from(Hazard)) or 0)
    # SQLite: the largest rowid of a table that only grows (hazards are never deleted).
    return int(session.scalar(select(func.max(literal_column("rowid"))).select_from(Hazard)) or 0)


def choose_plan(*, matching: int, cells: int, need: int, table: int) -> Plan:
    """Return the cheaper way to find the newest ``need`` of ``matching`` hazards, by rows read.

    Walking ``ix_hazards_recent`` newest first reads about ``need * table / matching`` index
    entries; reading the matching cells through ``ix_hazards_cells`` reads ``matching`` entries
    plus one seek per cell. Whichever the filters, one of the two stays below about
    ``sqrt(need * table)`` entries (20,000 for page 20 of a million hazards).
    """
    if matching == 0:
        return Plan.EXACT
    walk = need * max(table, matching) / matching
    exact = matching + SEEK_COST * cells
    return Plan.WALK if walk < exact else Plan.EXACT


def _exact_ids(
    session: Session,
    stats: list[ColumnElement[bool]],
    where: list[ColumnElement[bool]],
    rollup: _Rollup,
    *,
    limit: int,
    offset: int,
) -> list[uuid.UUID]:
    """Return one page of ids by joining the matching rollup cells to ``ix_hazards_cells``.

    Every matching hazard sits in a matching cell, and a cell is an equality prefix of the
    index, so this reads the matching hazards and nothing else, then sorts them. The rollup
    writes '' for a NULL grade or industry: each such combination is its own branch that looks
    the column up with IS NULL (which, unlike '' = NULL, an index can answer).
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    branches = []
    for no_grade, no_industry in rollup.null_kinds:
        cell = HazardStats
        on: list[ColumnElement[bool]] = [
            Hazard.region_path == cell.region_path,
            Hazard.status == cell.status,
            Hazard.source == cell.source,
            Hazard.grade.is_(None) if no_grade else Hazard.grade == cell.grade,
            Hazard.industry_code.is_(None)
            if no_industry
            else Hazard.industry_code == cell.industry_code,
            Hazard.overdue == cell.overdue,
            Hazard.supervised == cell.supervised,
        ]
        kind = [
            (cell.grade == "") if no_grade else (cell.grade != ""),
            (cell.industry_code == "") if no_industry else (cell.industry_code != ""),
        ]
        if postgresql:
            # A LATERAL subquery with its own LIMIT is an index scan per cell: PostgreSQL cannot
            # turn it into the merge join on region_path its estimates would otherwise choose.
            newest = (
                select(Hazard.id, Hazard.reported_at)
                .where(*on, *where)
                .order_by(Hazard.reported_at.desc(), Hazard.id.desc())
                .limit(offset + limit)
                .lateral()
            )
            branch = (
                select(newest.c.id, newest.c.reported_at)
                .select_from(cell)
                .join(newest, true())
                .where(*stats, *kind)
            )
        else:
            branch = (
                select(Hazard.id, Hazard.reported_at)
                .select_from(cell)
                .join(Hazard, and_(*on))
                .where(*stats, *kind, *where)
                .with_hint(Hazard, "INDEXED BY ix_hazards_cells", "sqlite")
            )
        branches.append(branch)
    if not branches:
        return []
    merged = union_all(*branches).subquery()
    stmt = (
        select(merged.c.id)
        .order_by(merged.c.reported_at.desc(), merged.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))


def _walk_ids(
    session: Session, where: list[ColumnElement[bool]], *, limit: int, offset: int
) -> list[uuid.UUID]:
    """Return one page of ids by walking ``ix_hazards_recent`` newest first, filtering as it goes.

    The index holds every filtered column, so no table row is read until the page is known.
    """
    stmt = (
        select(Hazard.id)
        .where(*where)
        .order_by(Hazard.reported_at.desc(), Hazard.id.desc())
        .limit(limit)
        .offset(offset)
        .with_hint(Hazard, "INDEXED BY ix_hazards_recent", "sqlite")
    )
    return list(session.scalars(stmt))


def list_hazards(
    session: Session,
    *,
    actor: Actor,
    filters: HazardFilter,
    limit: int = 50,
    offset: int = 0,
    plan: Plan | None = None,
) -> tuple[list[Hazard], int]:
    """Return one page of the visible hazards matching the filters, newest first, and the total.

    ``plan`` forces a way of finding the page (tests compare them); by default the rollup's
    counts choose it (:func:`choose_plan`).
    """
    where = conditions(session, actor, filters)
    order = (Hazard.reported_at.desc(), Hazard.id.desc())
    stats = _stats_conditions(session, actor, filters)
    if stats is None or plan is Plan.PLAIN:
        return fetch_page(
            session, select(Hazard).where(*where), order_by=order, limit=limit, offset=offset
        )
    rollup = _rollup(session, stats)
    if offset >= rollup.total:
        return [], rollup.total
    if plan is None:
        plan = choose_plan(
            matching=rollup.total,
            cells=rollup.cells,
            need=offset + limit,
            table=_table_size(session),
        )
    if plan is Plan.WALK:
        ids = _walk_ids(session, where, limit=limit, offset=offset)
    else:
        ids = _exact_ids(session, stats, where, rollup, limit=limit, offset=offset)
    found = {h.id: h for h in session.scalars(select(Hazard).where(Hazard.id.in_(ids)))}
    return [found[i] for i in ids if i in found], rollup.total


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
