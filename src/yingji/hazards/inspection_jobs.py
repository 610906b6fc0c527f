"""Timed work of inspections: turn due plans into tasks (registered with yingji.core.jobs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from yingji.core.auth.actor import system_actor
from yingji.core.db import utcnow
from yingji.core.jobs import periodic
from yingji.hazards import _inspections

# Plans are dated in the local calendar of the bureaus: China Standard Time.
LOCAL_ZONE: Final = ZoneInfo("Asia/Shanghai")


def local_today(now: datetime | None = None) -> date:
    """Return today's date in the local zone."""
    moment = now or utcnow()
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE).date()


@periodic("inspections.create_due_tasks", every=timedelta(hours=1))
def create_due_tasks(session: Session, payload: dict[str, Any]) -> None:
    """Create the tasks of every plan due today or earlier (idempotent)."""
    _inspections.create_due_tasks(session, actor=system_actor(source="worker"), today=local_today())
