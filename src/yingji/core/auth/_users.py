"""Users: creation, reading, changes, passwords, and the actor a user acts as."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, Uuid, column, delete, func, select, table
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth._lockout import clear_failures, ensure_not_locked, register_failure
from yingji.core.auth._rules import (
    check_language,
    check_password,
    check_text,
    check_username,
    region_path,
)
from yingji.core.auth.actor import Actor
from yingji.core.auth.models import User, WebSession
from yingji.core.auth.passwords import hash_password, verify_password
from yingji.core.auth.roles import ROLE_RANK, Permission, Role, Scope
from yingji.core.auth.schemas import UserUpdate
from yingji.core.config import Settings
from yingji.core.db import fetch_page, utcnow
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from yingji.regions import service as regions

USER_AUDIT_FIELDS = (
    "username",
    "display_name",
    "role",
    "organisation_id",
    "region_code",
    "active",
    "language",
)
# The core may not import orgs.models (import contract); two columns are all it needs to read.
_organisations = table("organisations", column("id", Uuid()), column("region_code", String()))


def get_user(session: Session, *, user_id: uuid.UUID) -> User:
    """Return a user or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", field="user_id")
    return user


def get_user_by_username(session: Session, *, username: str) -> User | None:
    """Return a user by login name."""
    return session.scalar(select(User).where(User.username == username))


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


def require_reach(session: Session, actor: Actor, permission: Permission, user: User) -> None:
    """Raise Forbidden unless the actor holds a permission over this user's region or org."""
    if actor.require(permission) is Scope.OWN_ORG:
        actor.require_org(user.organisation_id, what="user")
    else:
        actor.require_region(regions.path_of(session, user.region_code), what="user")


def require_manage(session: Session, actor: Actor, user: User) -> None:
    """Raise Forbidden unless the actor may manage this user (permission, reach, rank)."""
    require_reach(session, actor, Permission.USER_MANAGE, user)
    if ROLE_RANK[Role(user.role)] > ROLE_RANK[actor.role]:
        raise Forbidden("you may not manage a user ranked above you", field="role")


def _check_grant(actor: Actor, role: Role) -> None:
    if role is Role.PUBLIC:
        raise InvalidInput("the public role is for anonymous visitors, not logins", field="role")
    if ROLE_RANK[role] > ROLE_RANK[actor.role]:
        raise Forbidden(f"you may not grant the role {role}", field="role")


def _check_placement(
    session: Session, actor: Actor, region_code: str, organisation_id: uuid.UUID | None
) -> str:
    """Return the region's path; raise unless it and the organisation lie inside the reach."""
    path = region_path(session, region_code)
    if actor.require(Permission.USER_MANAGE) is Scope.OWN_ORG:
        actor.require_org(organisation_id, what="user's organisation")
    if not actor.covers_path(path):
        raise Forbidden("this region lies outside your region", field="region_code")
    if organisation_id is None:
        return path
    org_region = session.scalar(
        select(_organisations.c.region_code).where(_organisations.c.id == organisation_id)
    )
    if org_region is None:
        raise InvalidInput("unknown organisation", field="organisation_id")
    if not actor.covers_path(regions.path_of(session, org_region)):
        raise Forbidden("this organisation lies outside your region", field="organisation_id")
    return path


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    display_name: str | None,
    role: Role,
    region_code: str,
    organisation_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    language: str = "zh_CN",
) -> User:
    """Create a login; an actor can only create users up to their rank and inside their region."""
    actor.require(Permission.USER_MANAGE)
    check_username(username)
    _check_grant(actor, role)
    check_password(password)
    check_language(language)
    display_name = check_text(display_name or username, field="display_name", max_length=100)
    path = _check_placement(session, actor, region_code, organisation_id)
    # Case-blind: "Admin" beside "admin" would only serve to impersonate.
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise Conflict(f"username {username!r} is taken", field="username")
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
    record_change(
        session,
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        region_path=path,
        after=snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


def read_user(session: Session, *, actor: Actor, user_id: uuid.UUID) -> User:
    """Return a user the actor may see: themselves, or one inside their reach."""
    user = get_user(session, user_id=user_id)
    if actor.user_id != user.id:
        require_reach(session, actor, Permission.USER_READ, user)
    return user


def list_users(
    session: Session,
    *,
    actor: Actor,
    role: Role | None = None,
    active: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[User], int]:
    """Return a page of the users inside the actor's reach, by username, and their total."""
    stmt = select(User)
    if actor.require(Permission.USER_READ) is Scope.OWN_ORG:
        stmt = stmt.where(User.organisation_id == actor.organisation_id)
    else:
        stmt = stmt.where(regions.in_subtree(User.region_code, actor.region_path))
    if role is not None:
        stmt = stmt.where(User.role == str(role))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return fetch_page(session, stmt, order_by=(User.username,), limit=limit, offset=offset)


def _is_active_admin(role: object, active: object) -> bool:
    return role == Role.ADMIN and active is True


def update_user(session: Session, *, actor: Actor, user_id: uuid.UUID, changes: UserUpdate) -> User:
    """Apply changes; role, region, organisation and activity need USER_MANAGE over the user."""
    user = get_user(session, user_id=user_id)
    wanted: dict[str, Any] = {}
    for name in changes.model_fields_set:
        value = getattr(changes, name)
        if value is None and name != "organisation_id":
            raise InvalidInput(f"{name} may not be null", field=name)
        if value != getattr(user, name):
            wanted[name] = value
    managed = wanted.keys() & {"role", "region_code", "organisation_id", "active"}
    if actor.user_id != user.id or managed:
        require_manage(session, actor, user)
    if "display_name" in wanted:
        wanted["display_name"] = check_text(
            wanted["display_name"], field="display_name", max_length=100
        )
    if "language" in wanted:
        check_language(wanted["language"])
    if "role" in wanted:
        _check_grant(actor, Role(wanted["role"]))
        wanted["role"] = str(wanted["role"])
    if wanted.keys() & {"region_code", "organisation_id"}:
        _check_placement(
            session,
            actor,
            wanted.get("region_code", user.region_code),
            wanted.get("organisation_id", user.organisation_id),
        )
    new_role, new_active = wanted.get("role", user.role), wanted.get("active", user.active)
    if _is_active_admin(user.role, user.active) and not _is_active_admin(new_role, new_active):
        _refuse_last_admin(session, user, field="active" if new_active is False else "role")
    if not wanted:
        return user
    before = snapshot(user, USER_AUDIT_FIELDS)
    for name, value in wanted.items():
        setattr(user, name, value)
    if wanted.get("active") is False:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    record_change(
        session,
        actor=actor,
        action="user.updated",
        entity_type="user",
        entity_id=user.id,
        # A moved user's entry belongs to the new region, like the user from now on.
        region_path=regions.path_of(session, user.region_code),
        before=before,
        after=snapshot(user, USER_AUDIT_FIELDS),
    )
    return user


def _refuse_last_admin(session: Session, user: User, *, field: str) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == str(Role.ADMIN), User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise Conflict("this is the last active administrator; make another one first", field=field)


def change_password(
    session: Session,
    *,
    actor: Actor,
    user_id: uuid.UUID,
    new_password: str,
    settings: Settings,
    current_password: str | None = None,
    keep_session_id: str | None = None,
) -> User:
    """Set a new password: your own with the current one, anyone else's with USER_MANAGE.

    A wrong current password counts as a failed login and is flushed before InvalidInput is
    raised: the caller must commit on that error too, or the lockout counter would not grow.
    Every other browser session of the user ends (``keep_session_id`` names the caller's own).
    """
    user = get_user(session, user_id=user_id)
    check_password(new_password, field="new_password")
    now = utcnow()
    if actor.user_id == user.id:
        if not current_password:
            raise InvalidInput("give your current password", field="current_password")
        ensure_not_locked(session, user, actor=actor, now=now, ip=None)
        if not verify_password(user.password_hash, current_password):
            register_failure(
                session,
                user,
                actor=actor,
                settings=settings,
                now=now,
                ip=None,
                reason="wrong current password",
            )
            raise InvalidInput("the current password is wrong", field="current_password")
    else:
        require_manage(session, actor, user)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    clear_failures(user)  # an administrator's reset is also how a locked account is reopened
    stale = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_id is not None:
        stale = stale.where(WebSession.id != keep_session_id)
    session.execute(stale)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="user.password_changed",
        entity_type="user",
        entity_id=user.id,
        region_path=regions.path_of(session, user.region_code),
        after={"by": "self" if actor.user_id == user.id else "manager"},
    )
    return user


def set_language(session: Session, *, actor: Actor, language: str) -> None:
    """Set the calling user's interface language (zh_CN or en)."""
    if actor.user_id is None:
        raise NotAuthenticated("log in to choose a language")
    check_language(language)
    user = get_user(session, user_id=actor.user_id)
    if user.language == language:
        return
    before = {"language": user.language}
    user.language = language
    session.flush()
    record_change(
        session,
        actor=actor,
        action="user.language_changed",
        entity_type="user",
        entity_id=user.id,
        region_path=regions.path_of(session, user.region_code),
        before=before,
        after={"language": language},
    )
