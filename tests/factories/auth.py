"""User factories: a user of any role with a bearer token, and a logged-in browser session."""

from __future__ import annotations

import uuid
from functools import cache

from sqlalchemy.orm import Session

from yingji.core.auth import service
from yingji.core.auth.actor import system_actor
from yingji.core.auth.models import User, WebSession
from yingji.core.auth.passwords import hash_password
from yingji.core.auth.roles import Role
from yingji.core.config import Settings

PASSWORD = "correct horse battery"


@cache
def _password_hash() -> str:
    # One argon2 hash costs about half a second; every factory user shares this one.
    return hash_password(PASSWORD)


def make_user(
    session: Session,
    *,
    role: Role,
    region_code: str,
    organisation_id: uuid.UUID | None = None,
    username: str | None = None,
) -> tuple[User, str]:
    """Create a user (password PASSWORD) and a token for them; return both."""
    user = User(
        username=username or f"{role}-{uuid.uuid4().hex[:6]}",
        display_name=f"Test {role}",
        password_hash=_password_hash(),
        role=str(role),
        region_code=region_code,
        organisation_id=organisation_id,
        language="zh_CN",
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    _, raw = service.issue_token(
        session, actor=system_actor(source="tests"), user_id=user.id, name="tests"
    )
    return user, raw


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for a raw token."""
    return {"Authorization": f"Bearer {token}"}


def web_login(session: Session, user: User, settings: Settings) -> tuple[WebSession, str]:
    """Log a factory user in through the browser path; return the session and cookie value."""
    return service.login(
        session,
        username=user.username,
        password=PASSWORD,
        ip="127.0.0.1",
        user_agent="tests",
        settings=settings,
    )
