"""A fixed-window rate limiter on the ``rate_limit_windows`` table, shared by all processes.

Each key (a SHA-256 of the client address and a purpose, never the raw address) counts its
hits per window with one atomic upsert, so concurrent requests on SQLite and PostgreSQL never
lose a hit or collide on the primary key.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.core.errors import InvalidInput, TooManyRequests
from yingji.core.ratelimit_models import RateLimitWindow

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def client_key(address: str | None, purpose: str) -> str:
    """Return the key of a client address for a purpose: a hash, so no raw IP is stored."""
    raw = f"{purpose}\x00{address or 'unknown'}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def window_start(now: datetime, window: timedelta) -> datetime:
    """Return the start of the fixed window holding ``now`` (windows are aligned to the epoch)."""
    seconds = int(window.total_seconds())
    elapsed = int((now - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def _upsert(session: Session, key: str, start: datetime) -> Any:
    dialect = session.get_bind().dialect.name
    values = {"key": key, "window_start": start, "hits": 1}
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(RateLimitWindow).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateLimitWindow.key, RateLimitWindow.window_start],
        set_={"hits": RateLimitWindow.hits + 1},
    ).returning(RateLimitWindow.hits)
    return stmt


def hit(
    session: Session,
    *,
    key: str,
    limit: int,
    window: timedelta,
    now: datetime | None = None,
) -> int:
    """Count one hit of a key; return the hits so far, or raise TooManyRequests past ``limit``.

    The error carries ``locked_until`` (ISO time, the end of the window), which the HTTP layer
    turns into a ``Retry-After`` header.
    """
    if limit < 1 or window < timedelta(seconds=1):
        raise InvalidInput("a rate limit needs a positive limit and window", field="limit")
    moment = now or utcnow()
    start = window_start(moment, window)
    hits = int(session.execute(_upsert(session, key[:100], start)).scalar_one())
    if hits > limit:
        until = start + window
        raise TooManyRequests(
            "too many requests; try again later",
            field="rate_limit",
            locked_until=until.isoformat(),
        )
    return hits


def purge(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete windows that started before ``now - older_than``; return how many."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(delete(RateLimitWindow).where(RateLimitWindow.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
