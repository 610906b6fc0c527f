"""API tokens: issuing, listing, revoking, and resolving a bearer token to its user."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth._rules import check_text, digest
from yingji.core.auth._users import get_user, require_manage
from yingji.core.auth.actor import Actor
from yingji.core.auth.models import ApiToken, User
from yingji.core.db import utcnow
from yingji.core.errors import InvalidInput, NotFound
from yingji.regions import service as regions

TOKEN_PREFIX = "yj_"
_MAX_RAW_LENGTH = 200  # real tokens are 46 characters; longer input is not worth hashing

_TOUCH_AFTER = timedelta(minutes=1)


def _require_owner_or_manager(session: Session, actor: Actor, user: User) -> None:
    if actor.user_id != user.id:
        require_manage(session, actor, user)


def issue_token(
    session: Session,
    *,
    actor: Actor,
    user_id: uuid.UUID,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for a user; the raw token is returned once and never stored."""
    user = get_user(session, user_id=user_id)
    _require_owner_or_manager(session, actor, user)
    name = check_text(name, field="name", max_length=100)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidInput("expires_at needs a time zone", field="expires_at")
        if expires_at <= utcnow():
            raise InvalidInput("expires_at must lie in the future", field="expires_at")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(raw),
        prefix=raw[:10],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="token.issued",
        entity_type="api_token",
        entity_id=token.id,
        region_path=regions.path_of(session, user.region_code),  # the token owner's region
        after={"user_id": user.id, "name": name, "prefix": token.prefix, "expires_at": expires_at},
    )
    return token, raw


def list_tokens(session: Session, *, actor: Actor, user_id: uuid.UUID) -> Sequence[ApiToken]:
    """Return a user's tokens, newest first: your own, or anyone's you may manage."""
    user = get_user(session, user_id=user_id)
    _require_owner_or_manager(session, actor, user)
    stmt = select(ApiToken).where(ApiToken.user_id == user.id)
    return session.scalars(stmt.order_by(ApiToken.created_at.desc())).all()


def revoke_token(session: Session, *, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    """Revoke a token (your own, or one of a user you may manage); revoking twice is harmless."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token not found", field="token_id")
    owner = get_user(session, user_id=token.user_id)
    _require_owner_or_manager(session, actor, owner)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record_change(
            session,
            actor=actor,
            action="token.revoked",
            entity_type="api_token",
            entity_id=token.id,
            region_path=regions.path_of(session, owner.region_code),
            after={"user_id": token.user_id, "prefix": token.prefix},
        )
    return token


def user_for_token(session: Session, raw: str) -> User | None:
    """Return the active user owning a valid, unexpired, unrevoked token."""
    if len(raw) > _MAX_RAW_LENGTH:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    # Record use at most once a minute: a write per API call would serialise readers on SQLite.
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_AFTER:
        token.last_used_at = now
    return user
