"""The bureau's calendar: local dates and midnights in the configured time zone.

Deadlines (整改期限, 督办期限), due inspection plans and report time limits are counted in local
calendar days; timestamps are stored in UTC. The zone is ``Settings.timezone`` (default
Asia/Shanghai, China Standard Time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from yingji.core.config import get_settings
from yingji.core.db import utcnow


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    """Return the configured local time zone."""
    return _zone(get_settings().timezone)


def local_today(now: datetime | None = None) -> date:
    """Return the local date at ``now`` (default: the current time; naive means UTC)."""
    moment = now or utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone()).date()


def local_midnight(day: date) -> datetime:
    """Return the aware instant a local day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=local_zone())
