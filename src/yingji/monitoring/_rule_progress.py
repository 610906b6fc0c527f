"""The rules worker's heartbeat: what it has evaluated, written in each transaction it commits.

Alarms come only from the rules worker, so a stopped or stuck worker means silence where there
should be alarms. Every committed batch and every tick updates one row (``rule_engine_progress``)
in the same transaction; the live board warns when that row has not moved for
``SILENT_AFTER_SECONDS`` while sensors are registered, and operations and benchmarks read how
far evaluation has got.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import BaseModel
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.monitoring.models import RuleEngineProgress, Sensor

PROGRESS_NAME: Final = "main"
# The worker ticks every 5 s and commits each batch: 30 s without a word is a stopped worker,
# not a quiet one.
SILENT_AFTER_SECONDS: Final = 30.0


class RulesEngineStatus(BaseModel):
    """Whether the rules worker is evaluating, for the board and operations."""

    reported_at: int | None = None
    """When the worker last committed (epoch ms); None: it never ran on this database."""
    last_reading_ts: int | None = None
    """The newest reading it has evaluated (epoch ms)."""
    evaluated: int = 0
    """Readings evaluated, counted over every run."""
    alarm_changes: int = 0
    silent: bool = False
    """Sensors are registered but the worker has not reported for SILENT_AFTER_SECONDS."""


def record_progress(
    session: Session,
    *,
    evaluated: int = 0,
    alarm_changes: int = 0,
    last_reading_ts: int | None = None,
    started: bool = False,
) -> None:
    """Add a batch (or just a heartbeat) to the worker's progress; never commits."""
    now = utcnow()
    row = session.get(RuleEngineProgress, PROGRESS_NAME, with_for_update=True)
    if row is None:
        row = RuleEngineProgress(
            name=PROGRESS_NAME, evaluated=0, alarm_changes=0, started_at=now, updated_at=now
        )
        session.add(row)
    row.evaluated += evaluated
    row.alarm_changes += alarm_changes
    if last_reading_ts is not None and (row.last_reading_ts or 0) < last_reading_ts:
        row.last_reading_ts = last_reading_ts
    if started:
        row.started_at = now
    row.updated_at = now
    session.flush()


def rules_engine_status(session: Session, *, now: datetime | None = None) -> RulesEngineStatus:
    """Return the rules worker's last report and whether it has gone silent."""
    moment = now or utcnow()
    row = session.get(RuleEngineProgress, PROGRESS_NAME)
    has_sensors = bool(session.scalar(select(exists().where(Sensor.id.is_not(None)))))
    if row is None:
        return RulesEngineStatus(silent=has_sensors)
    age = (moment - row.updated_at).total_seconds()
    return RulesEngineStatus(
        reported_at=round(row.updated_at.timestamp() * 1000),
        last_reading_ts=row.last_reading_ts,
        evaluated=row.evaluated,
        alarm_changes=row.alarm_changes,
        silent=has_sensors and age > SILENT_AFTER_SECONDS,
    )
