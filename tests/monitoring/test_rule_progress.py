"""The rules worker's heartbeat, and the board's warning when alarms are not being evaluated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tests.factories.regions import make_tree
from tests.monitoring.conftest import register
from yingji.core.db import utcnow
from yingji.monitoring._rule_progress import (
    SILENT_AFTER_SECONDS,
    record_progress,
    rules_engine_status,
)


def test_no_sensors_nothing_to_evaluate_is_not_silence(session: Session) -> None:
    assert not rules_engine_status(session).silent


def test_sensors_without_a_rules_worker_are_reported_silent(session: Session) -> None:
    make_tree(session)
    register(session)
    status = rules_engine_status(session)
    assert status.silent and status.reported_at is None


def test_progress_adds_up_and_goes_silent_after_the_limit(session: Session) -> None:
    make_tree(session)
    register(session)
    record_progress(session, started=True)
    record_progress(session, evaluated=500, alarm_changes=2, last_reading_ts=1_000)
    record_progress(session, evaluated=250, last_reading_ts=900)  # an older reading
    status = rules_engine_status(session)
    assert (status.evaluated, status.alarm_changes, status.last_reading_ts) == (750, 2, 1_000)
    assert not status.silent
    later = utcnow() + timedelta(seconds=SILENT_AFTER_SECONDS + 1)
    assert rules_engine_status(session, now=later).silent
    assert not rules_engine_status(session, now=later - timedelta(seconds=2)).silent
