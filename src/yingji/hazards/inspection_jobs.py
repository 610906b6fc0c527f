"""Timed work of inspections: turn due plans into tasks (registered with yingji.core.jobs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.auth.actor import system_actor
from yingji.core.clock import local_today
from yingji.core.jobs import periodic
from yingji.hazards import _inspections


@periodic("inspections.create_due_tasks", every=timedelta(hours=1))
def create_due_tasks(session: Session, payload: dict[str, Any]) -> None:
    """Create the tasks of every plan due today or earlier (idempotent)."""
    _inspections.create_due_tasks(session, actor=system_actor(source="worker"), today=local_today())
