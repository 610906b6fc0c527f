"""Database engine, sessions, the declarative base and portable column types."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Select,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """Return a new random primary key."""
    return uuid.uuid4()


def new_ordered_id() -> uuid.UUID:
    """Return a new time-ordered primary key (RFC 9562 version 7, see ``ordered_ids``).

    For rows whose id leads other tables' indexes: the rows of a new one are appended at the
    indexes' ends (PostgreSQL then skips the descent from the root), not put among the rest.
    Milliseconds since the epoch, then 74 random bits (no batch counter: one id).
    """
    rand = int.from_bytes(os.urandom(10)) >> 6
    value = (time.time_ns() // 1_000_000) << 80 | 7 << 76 | (rand >> 62) << 64 | 0b10 << 62
    return uuid.UUID(int=value | rand & (1 << 62) - 1)


def ordered_ids(count: int) -> Iterator[uuid.UUID]:
    """Yield ``count`` ascending time-ordered ids (RFC 9562 version 7), from one random draw.

    Milliseconds since the epoch, then the id's place in the batch (RFC 9562 §6.2, method 1:
    a counter in the random bits), then 42 random bits: a batch's ids ascend, so its rows go
    to the end of a primary-key index rather than to 100,000 random places in it.
    """
    head = (time.time_ns() // 1_000_000) << 80 | 7 << 76 | 0b10 << 62
    raw = os.urandom(6 * count)
    # The value is built and checked here; ``UUID(int=…)`` would check it again at twice
    # the cost (a tenth of a county's fan-out), so the object is filled as its constructor
    # fills it.
    make, fill, safety = object.__new__, object.__setattr__, uuid.SafeUUID.unknown
    for i in range(count):
        value = head | (i >> 20 & 0xFFF) << 64 | (i & 0xFFFFF) << 42 | int.from_bytes(
            raw[6 * i : 6 * i + 6]) >> 6  # fmt: skip
        made = make(uuid.UUID)
        fill(made, "int", value)
        fill(made, "is_safe", safety)
        yield made


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware value")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON everywhere, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of every yingji table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while the worker writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class _SQLiteCompiler(SQLiteCompiler):
    """SQLite's compiler, rendering table hints (``Select.with_hint(..., "sqlite")``).

    SQLAlchemy drops FROM hints on SQLite; yingji uses them for ``INDEXED BY``, where SQLite's
    planner, without histograms of range conditions, would pick an index that cannot deliver
    the order a page needs.
    """

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings yingji relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        engine.dialect.statement_compiler = _SQLiteCompiler
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory; objects stay usable after commit for building responses."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


def fetch_page(
    session: Session,
    stmt: Select[T],
    *,
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    limit: int,
    offset: int,
) -> tuple[list[T], int]:
    """Return one page of a query's rows, in a stable order, and the total number of rows."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.order_by(*order_by).limit(limit).offset(offset)).all()
    return list(rows), int(total)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit if the block succeeds, roll back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
