"""Users and API tokens: creation, authentication and the actor they act as."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.models import ApiToken, User
from yingji.core.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from yingji.core.auth.roles import ROLE_RANK, Permission, Role
from yingji.core.db import utcnow
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.regions import service as regions

TOKEN_PREFIX = "yj_"
USER_AUDIT_FIELDS = ("username", "display_name", "role", "organisation_id", "region_code", "active")


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def get_user(session: Session, *, user_id: uuid.UUID) -> User:
    """Return a user or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", field="user_id")
    return user


def get_user_by_username(session: Session, *, username: str) -> User | None:
    """Return a user by login name."""
    return session.scalar(select(User).where(User.username == username))


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    region_code: str,
    organisation_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    language: str = "zh_CN",
) -> User:
    """Create a login; an actor can only create users below their rank and inside their region."""
    actor.require(Permission.USER_MANAGE)
    if ROLE_RANK[role] > ROLE_RANK[actor.role]:
        raise Forbidden(f"you may not create a user with role {role}", field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if get_user_by_username(session, username=username) is not None:
        raise Conflict(f"username {username!r} is taken", field="username")
    actor.require_region(regions.path_of(session, region_code), what="user's region")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=str(role),
        region_code=region_code,
        organisation_id=organisation_id,
        person_id=person_id,
        language=language,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    after = {name: getattr(user, name) for name in USER_AUDIT_FIELDS}
    record_change(
        session, actor=actor, action="user.created", entity_type="user", entity_id=user.id,
        after=after,
    )
    return user


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
    if actor.user_id != user.id:
        actor.require(Permission.USER_MANAGE)
        actor.require_region(regions.path_of(session, user.region_code), what="user")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=_token_hash(raw), prefix=raw[:10],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_change(
        session, actor=actor, action="token.issued", entity_type="api_token", entity_id=token.id,
        after={"user_id": user.id, "name": name, "prefix": token.prefix},
    )
    return token, raw


def user_for_token(session: Session, raw: str) -> User | None:
    """Return the active user owning a valid, unexpired, unrevoked token."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(raw)))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    token.last_used_at = now
    return user


def actor_for(session: Session, user: User, *, request_id: str, source: str) -> Actor:
    """Return the actor a user acts as."""
    return Actor(
        role=Role(user.role),
        user_id=user.id,
        username=user.username,
        organisation_id=user.organisation_id,
        region_code=user.region_code,
        region_path=regions.path_of(session, user.region_code),
        request_id=request_id,
        source=source,
    )
