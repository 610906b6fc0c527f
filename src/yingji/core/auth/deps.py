"""FastAPI dependencies that resolve the calling actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from yingji.core.auth import service
from yingji.core.auth.actor import Actor, anonymous
from yingji.core.errors import NotAuthenticated
from yingji.core.http import UoW, request_id_of


def optional_actor(request: Request, uow: UoW) -> Actor:
    """Return the caller's actor, or the anonymous public actor."""
    header = request.headers.get("Authorization", "")
    rid = request_id_of(request)
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'", field="Authorization")
        user = service.user_for_token(uow.session, raw.strip())
        if user is None:
            raise NotAuthenticated("the token is invalid, expired or revoked")
        actor = service.actor_for(uow.session, user, request_id=rid, source="api")
        uow.commit()  # keep last_used_at
        return actor
    return anonymous(request_id=rid)


def current_actor(actor: Annotated[Actor, Depends(optional_actor)]) -> Actor:
    """Return the authenticated actor or answer 401."""
    if actor.user_id is None:
        raise NotAuthenticated("log in or send a bearer token")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
MaybeActor = Annotated[Actor, Depends(optional_actor)]
