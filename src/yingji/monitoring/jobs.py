"""Timed work of monitoring: alarm SLA escalation (registered with yingji.core.jobs)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.jobs import job_handler
from yingji.monitoring import _alarms


@job_handler(_alarms.SLA_JOB)
def alarm_sla(session: Session, payload: dict[str, Any]) -> None:
    """Escalate an alarm still unacknowledged when its SLA step falls due."""
    _alarms.escalate_if_unacknowledged(
        session, alarm_id=uuid.UUID(str(payload["alarm_id"])), step=int(payload["step"])
    )
