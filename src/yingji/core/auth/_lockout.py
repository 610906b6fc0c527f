"""Counting failed password checks and locking an account for a while."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.models import User
from yingji.core.config import Settings
from yingji.core.errors import TooManyRequests
from yingji.regions import service as regions


def _until(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def ensure_not_locked(
    session: Session, user: User, *, actor: Actor, now: datetime, ip: str | None
) -> None:
    """Raise TooManyRequests while the account is locked; clear a lock that has run out."""
    if user.locked_until is None:
        return
    if user.locked_until > now:
        record_change(
            session,
            actor=actor,
            action="auth.login_refused",
            entity_type="user",
            entity_id=user.id,
            region_path=regions.path_of(session, user.region_code),
            after={"reason": "locked", "ip": ip},
        )
        raise TooManyRequests(
            f"too many failed logins: this account is locked until {_until(user.locked_until)}",
            locked_until=user.locked_until.isoformat(),
        )
    user.failed_logins = 0
    user.locked_until = None


def register_failure(
    session: Session,
    user: User,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime,
    ip: str | None,
    reason: str,
) -> None:
    """Count a wrong password; lock the account once the failures reach the limit."""
    user.failed_logins = (user.failed_logins or 0) + 1
    path = regions.path_of(session, user.region_code)
    record_change(
        session,
        actor=actor,
        action="auth.login_failed",
        entity_type="user",
        entity_id=user.id,
        region_path=path,
        after={"reason": reason, "failed_logins": user.failed_logins, "ip": ip},
    )
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
        record_change(
            session,
            actor=actor,
            action="auth.locked_out",
            entity_type="user",
            entity_id=user.id,
            region_path=path,
            after={"failed_logins": user.failed_logins, "locked_until": user.locked_until},
        )
    session.flush()


def clear_failures(user: User) -> None:
    """Forget earlier failures after a successful password check."""
    user.failed_logins = 0
    user.locked_until = None
