"""Local dates and midnights follow the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from yingji.core import clock
from yingji.core.config import get_settings


def test_local_day_turns_at_local_midnight() -> None:
    # 2026-03-01 16:00 UTC is 2026-03-02 00:00 in Beijing.
    assert clock.local_today(datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert clock.local_today(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == date(2026, 3, 2)
    assert clock.local_today(datetime(2026, 3, 1, 16, 0)) == date(2026, 3, 2)  # naive is UTC
    assert clock.local_midnight(date(2026, 3, 2)) == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_zone_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINGJI_TIMEZONE", "Asia/Urumqi")  # UTC+6, as some offices there keep
    get_settings.cache_clear()
    try:
        assert clock.local_midnight(date(2026, 3, 2)) == datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    finally:
        monkeypatch.delenv("YINGJI_TIMEZONE")
        get_settings.cache_clear()
