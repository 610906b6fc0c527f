"""The statistics rollup: running counts per (region, industry, source, grade, status, overdue,
supervised), changed in the same transaction as the hazard it counts.

Every change of a counted field goes through :func:`tracked`: the hazard's old key loses one,
its new key gains one (an upsert, safe under concurrent writers on both backends).
:func:`rebuild` recomputes the table from the hazards themselves, and a test checks that the
running counts equal the rebuilt ones after a random series of operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, delete, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.hazards.models import Hazard, HazardStats

_SECONDS_PER_DAY = 86_400.0


class StatsKey(NamedTuple):
    """The rollup dimensions of one hazard."""

    region_code: str
    region_path: str
    industry_code: str
    source: str
    grade: str
    status: str
    overdue: bool
    supervised: bool


def key_of(hazard: Hazard) -> StatsKey:
    """Return the rollup key of a hazard as it is now."""
    return StatsKey(
        hazard.region_code,
        hazard.region_path,
        hazard.industry_code or "",
        hazard.source,
        hazard.grade or "",
        hazard.status,
        bool(hazard.overdue),
        bool(hazard.supervised),
    )


def days_to_close(hazard: Hazard) -> float:
    """Return the days from report to close of a closed hazard (0 for any other)."""
    if hazard.closed_at is None:
        return 0.0
    return (hazard.closed_at - hazard.reported_at).total_seconds() / _SECONDS_PER_DAY


def bump(session: Session, key: StatsKey, count: int, days: float) -> None:
    """Add ``count`` hazards (negative to remove) and ``days`` to close to one rollup row."""
    values = {**key._asdict(), "count": count, "days_to_close_sum": days}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(HazardStats).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            "region_code",
            "industry_code",
            "source",
            "grade",
            "status",
            "overdue",
            "supervised",
        ],
        set_={
            "count": HazardStats.count + stmt.excluded.count,
            "days_to_close_sum": HazardStats.days_to_close_sum + stmt.excluded.days_to_close_sum,
            "region_path": stmt.excluded.region_path,
        },
    )
    session.execute(stmt)


def added(session: Session, hazard: Hazard) -> None:
    """Count a new hazard."""
    bump(session, key_of(hazard), 1, days_to_close(hazard))


@contextmanager
def tracked(session: Session, hazard: Hazard) -> Iterator[None]:
    """Move a hazard between rollup rows around a block that changes it."""
    before, before_days = key_of(hazard), days_to_close(hazard)
    yield
    after, after_days = key_of(hazard), days_to_close(hazard)
    if before != after or before_days != after_days:
        bump(session, before, -1, -before_days)
        bump(session, after, 1, after_days)


def rebuild(session: Session) -> int:
    """Recompute the rollup from the hazards table; return the number of rows written."""
    session.execute(delete(HazardStats))
    days = func.sum(
        func.coalesce(
            _epoch_days(session, Hazard.closed_at) - _epoch_days(session, Hazard.reported_at), 0.0
        )
    )
    # One expression object each, with a literal '': PostgreSQL must see the GROUP BY
    # expressions exactly as selected (two bind parameters would be two expressions).
    empty: ColumnElement[str] = literal_column("''")
    industry = func.coalesce(Hazard.industry_code, empty)
    grade = func.coalesce(Hazard.grade, empty)
    rows = session.execute(
        select(
            Hazard.region_code,
            func.min(Hazard.region_path),
            industry,
            Hazard.source,
            grade,
            Hazard.status,
            Hazard.overdue,
            Hazard.supervised,
            func.count(),
            days,
        ).group_by(
            Hazard.region_code,
            industry,
            Hazard.source,
            grade,
            Hazard.status,
            Hazard.overdue,
            Hazard.supervised,
        )
    ).all()
    for row in rows:
        session.add(
            HazardStats(
                region_code=row[0],
                region_path=row[1],
                industry_code=row[2],
                source=row[3],
                grade=row[4],
                status=row[5],
                overdue=row[6],
                supervised=row[7],
                count=row[8],
                days_to_close_sum=float(row[9] or 0.0),
            )
        )
    session.flush()
    return len(rows)


def _epoch_days(
    session: Session,
    column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
) -> ColumnElement[Any]:
    """Return a SQL expression of a timestamp column in days since the epoch."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column) / _SECONDS_PER_DAY
    return func.julianday(column)
