"""The fixed-window rate limiter: counts per key and window, refuses past the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import ratelimit
from yingji.core.errors import TooManyRequests
from yingji.core.ratelimit_models import RateLimitWindow

NOW = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_key_hashes_the_address() -> None:
    key = ratelimit.client_key("203.0.113.7", "report-submit")
    assert len(key) == 64 and "203.0.113.7" not in key
    assert key != ratelimit.client_key("203.0.113.7", "report-track")
    assert key != ratelimit.client_key("203.0.113.8", "report-submit")


def test_n_allowed_then_refused_with_the_window_end(session: Session) -> None:
    for n in range(1, 4):
        assert ratelimit.hit(session, key="k", limit=3, window=HOUR, now=NOW) == n
    with pytest.raises(TooManyRequests) as caught:
        ratelimit.hit(session, key="k", limit=3, window=HOUR, now=NOW)
    assert caught.value.details["locked_until"] == "2026-11-22T11:00:00+00:00"


def test_keys_are_separate(session: Session) -> None:
    ratelimit.hit(session, key="a", limit=1, window=HOUR, now=NOW)
    assert ratelimit.hit(session, key="b", limit=1, window=HOUR, now=NOW) == 1


def test_the_next_window_starts_afresh(session: Session) -> None:
    ratelimit.hit(session, key="k", limit=1, window=HOUR, now=NOW)
    with pytest.raises(TooManyRequests):
        ratelimit.hit(session, key="k", limit=1, window=HOUR, now=NOW + timedelta(minutes=40))
    assert ratelimit.hit(session, key="k", limit=1, window=HOUR, now=NOW + timedelta(minutes=45))


def test_purge_deletes_old_windows(session: Session) -> None:
    ratelimit.hit(session, key="old", limit=5, window=HOUR, now=NOW - timedelta(days=3))
    ratelimit.hit(session, key="new", limit=5, window=HOUR, now=NOW)
    assert ratelimit.purge(session, older_than=timedelta(days=1), now=NOW) == 1
    assert session.scalars(select(RateLimitWindow.key)).all() == ["new"]


def test_concurrent_sessions_count_every_hit(session_factory: object) -> None:
    from sqlalchemy.orm import sessionmaker

    assert isinstance(session_factory, sessionmaker)
    for _ in range(3):
        with session_factory() as s:
            ratelimit.hit(s, key="shared", limit=10, window=HOUR, now=NOW)
            s.commit()
    with session_factory() as s:
        assert ratelimit.hit(s, key="shared", limit=10, window=HOUR, now=NOW) == 4
