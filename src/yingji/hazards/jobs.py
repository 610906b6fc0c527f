"""Timed work of hazards: registered with yingji.core.jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.jobs import periodic
from yingji.hazards._escalation import config, escalate_overdue

ESCALATION_JOB = "hazards.escalate_overdue"


@periodic(ESCALATION_JOB, every=timedelta(minutes=config().run_every_minutes))
def run_escalation(session: Session, payload: dict[str, Any]) -> None:
    """Mark overdue hazards and escalate them (see ``hazards._escalation``)."""
    escalate_overdue(session)
