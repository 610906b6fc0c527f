"""Timed work of reports: registered with yingji.core.jobs."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from yingji.core import ratelimit
from yingji.core.jobs import job_handler, periodic
from yingji.reports import service
from yingji.reports.service import OVERDUE_JOB

# Rate-limit windows are at most an hour long; a day keeps enough for a look at abuse.
RATE_LIMIT_KEEP = timedelta(days=1)


@job_handler(OVERDUE_JOB)
def overdue_check(session: Session, payload: dict[str, Any]) -> None:
    """Flag a report still open the day after its handling due date."""
    service.flag_overdue(session, report_id=uuid.UUID(str(payload["report_id"])))


@periodic("reports.lapse_rewards", every=timedelta(hours=6))
def lapse_rewards(session: Session, payload: dict[str, Any]) -> None:
    """Lapse notified rewards not claimed within the claim window."""
    service.lapse_unclaimed(session)


@periodic("core.purge_rate_limits", every=timedelta(hours=1))
def purge_rate_limits(session: Session, payload: dict[str, Any]) -> None:
    """Delete old rate-limit windows."""
    ratelimit.purge(session, older_than=RATE_LIMIT_KEEP)
