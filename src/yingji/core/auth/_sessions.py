"""Logging in: password checks with lockout, browser sessions, and tokens for API clients."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth._lockout import clear_failures, ensure_not_locked, register_failure
from yingji.core.auth._rules import USERNAME_RE, digest
from yingji.core.auth._tokens import issue_token
from yingji.core.auth._users import actor_for
from yingji.core.auth.actor import anonymous
from yingji.core.auth.csrf import new_csrf_token
from yingji.core.auth.models import ApiToken, User, WebSession
from yingji.core.auth.passwords import hash_password, needs_rehash, spend_verify, verify_password
from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.core.errors import NotAuthenticated
from yingji.regions import service as regions

WRONG_CREDENTIALS = "wrong username or password"
# Sliding expiry rewrites the session row at most this often, not on every request.
_SLIDE_AFTER = timedelta(minutes=1)
_MAX_RAW_LENGTH = 200


def _user_for_login(session: Session, username: str) -> User | None:
    if not USERNAME_RE.fullmatch(username):
        return None  # never send arbitrary input (NUL bytes, megabytes) to the database
    # Row lock on PostgreSQL: concurrent wrong guesses must all count towards the lockout.
    stmt = (
        select(User)
        .where(User.username == username)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    settings: Settings,
    source: str,
    ip: str | None = None,
    request_id: str | None = None,
) -> User:
    """Return the user whose password this is, counting failures and honouring lockouts.

    Raises NotAuthenticated (one message for a wrong password, an unknown or an inactive user)
    or TooManyRequests while locked. Failures are flushed and audited before the error is
    raised: the caller must commit on those errors too, or the lockout counter would not grow.
    """
    now = utcnow()
    stranger = anonymous(request_id=request_id, source=source)
    user = _user_for_login(session, username)
    if user is None or not user.active:
        spend_verify(password)  # as slow as a real check: timing must not reveal who exists
        if user is None:
            known = username if USERNAME_RE.fullmatch(username) else "(invalid)"
            record_change(
                session,
                actor=stranger,
                action="auth.login_failed",
                entity_type="login",
                entity_id=known,
                region_path=None,  # no such user, so no region: only administrators see it
                after={"reason": "unknown user", "ip": ip},
            )
        else:
            record_change(
                session,
                actor=stranger,
                action="auth.login_failed",
                entity_type="user",
                entity_id=user.id,
                region_path=regions.path_of(session, user.region_code),
                after={"reason": "inactive", "ip": ip},
            )
        raise NotAuthenticated(WRONG_CREDENTIALS)
    ensure_not_locked(session, user, actor=stranger, now=now, ip=ip)
    if not verify_password(user.password_hash, password):
        register_failure(
            session,
            user,
            actor=stranger,
            settings=settings,
            now=now,
            ip=ip,
            reason="wrong password",
        )
        raise NotAuthenticated(WRONG_CREDENTIALS)
    clear_failures(user)
    user.last_login_at = now
    rehashed = needs_rehash(user.password_hash)
    if rehashed:
        user.password_hash = hash_password(password)
    session.flush()
    actor = actor_for(session, user, request_id=stranger.request_id, source=source)
    record_change(
        session,
        actor=actor,
        action="auth.logged_in",
        entity_type="user",
        entity_id=user.id,
        region_path=actor.region_path,  # the user's own region, looked up by actor_for
        after={"ip": ip, "rehashed": rehashed},
    )
    return user


def login(
    session: Session,
    *,
    username: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    settings: Settings,
    request_id: str | None = None,
) -> tuple[WebSession, str]:
    """Check a password and open a browser session; return it and the raw cookie value.

    On NotAuthenticated or TooManyRequests commit anyway: the failure count and its audit entry
    are part of the session's pending changes.
    """
    user = authenticate(
        session,
        username=username,
        password=password,
        settings=settings,
        source="web",
        ip=ip,
        request_id=request_id,
    )
    now = utcnow()
    raw = secrets.token_urlsafe(32)
    web_session = WebSession(
        id=digest(raw),
        user_id=user.id,
        csrf_token=new_csrf_token(),
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
        last_seen_at=now,
        ip=ip[:64] if ip else None,
        user_agent=user_agent[:300] if user_agent else None,
    )
    session.add(web_session)
    session.flush()
    return web_session, raw


def token_login(
    session: Session,
    *,
    username: str,
    password: str,
    name: str,
    settings: Settings,
    ip: str | None = None,
    request_id: str | None = None,
) -> tuple[ApiToken, str]:
    """Check a password and issue a bearer token valid for ``settings.session_hours``."""
    request_id = request_id or secrets.token_hex(16)
    user = authenticate(
        session,
        username=username,
        password=password,
        settings=settings,
        source="api",
        ip=ip,
        request_id=request_id,
    )
    actor = actor_for(session, user, request_id=request_id, source="api")
    expires_at = utcnow() + timedelta(hours=settings.session_hours)
    return issue_token(session, actor=actor, user_id=user.id, name=name, expires_at=expires_at)


def logout(session: Session, *, raw: str, request_id: str | None = None) -> None:
    """End the browser session a cookie value names (unknown values are ignored)."""
    if not raw or len(raw) > _MAX_RAW_LENGTH:
        return
    web_session = session.get(WebSession, digest(raw))
    if web_session is None:
        return
    user = session.get(User, web_session.user_id)
    session.delete(web_session)
    session.flush()
    if user is not None:
        rid = request_id or secrets.token_hex(16)
        actor = actor_for(session, user, request_id=rid, source="web")
        record_change(
            session,
            actor=actor,
            action="auth.logged_out",
            entity_type="user",
            entity_id=user.id,
            region_path=actor.region_path,
        )


def session_user(
    session: Session, *, raw: str, settings: Settings
) -> tuple[WebSession, User] | None:
    """Return the live session a cookie names and its active user, sliding its expiry."""
    if not raw or len(raw) > _MAX_RAW_LENGTH:
        return None
    web_session = session.get(WebSession, digest(raw))
    if web_session is None:
        return None
    now = utcnow()
    if web_session.expires_at <= now:
        session.delete(web_session)
        session.flush()
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.active:
        return None
    if now - web_session.last_seen_at >= _SLIDE_AFTER:
        web_session.last_seen_at = now
        web_session.expires_at = now + timedelta(hours=settings.session_hours)
    return web_session, user


def purge_expired_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete browser sessions past their expiry; return how many went."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
