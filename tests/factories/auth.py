"""User factories: a user of any role with a bearer token."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from yingji.core.auth import service
from yingji.core.auth.actor import system_actor
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role

PASSWORD = "correct horse battery"


def make_user(
    session: Session,
    *,
    role: Role,
    region_code: str,
    organisation_id: uuid.UUID | None = None,
    username: str | None = None,
) -> tuple[User, str]:
    """Create a user and a token for them; return both (the raw token for the header)."""
    actor = system_actor(source="tests")
    user = service.create_user(
        session, actor=actor, username=username or f"{role}-{uuid.uuid4().hex[:6]}",
        password=PASSWORD, display_name=f"Test {role}", role=role, region_code=region_code,
        organisation_id=organisation_id,
    )
    _, raw = service.issue_token(session, actor=actor, user_id=user.id, name="tests")
    return user, raw


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for a raw token."""
    return {"Authorization": f"Bearer {token}"}
