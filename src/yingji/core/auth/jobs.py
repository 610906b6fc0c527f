"""Timed work of the auth context."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.auth import service
from yingji.core.jobs import periodic

log = logging.getLogger(__name__)


@periodic("auth.purge_expired_sessions", every=timedelta(hours=1))
def purge_expired_sessions(session: Session, payload: dict[str, Any]) -> None:
    """Delete expired browser sessions (otherwise only removed when their cookie is used)."""
    removed = service.purge_expired_sessions(session)
    if removed:
        log.info("purged %d expired web sessions", removed)
