"""FastAPI dependencies that resolve the calling actor from a bearer token or session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from yingji.core.auth import service
from yingji.core.auth.actor import Actor, anonymous
from yingji.core.auth.csrf import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    csrf_matches,
)
from yingji.core.auth.models import WebSession
from yingji.core.config import Settings
from yingji.core.errors import Forbidden, NotAuthenticated
from yingji.core.http import UoW, request_id_of

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def submitted_csrf_token(request: Request) -> str | None:
    """Return the CSRF token a cookie-authenticated unsafe request carries, if any."""
    if request.method not in UNSAFE_METHODS or SESSION_COOKIE not in request.cookies:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header or "authorization" in request.headers:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        # Starlette caches the parsed form, so the route can still read it afterwards.
        value = (await request.form()).get(CSRF_FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


def web_session_of(request: Request) -> WebSession | None:
    """Return the browser session of a cookie-authenticated request (for its CSRF token)."""
    value = getattr(request.state, "web_session", None)
    return value if isinstance(value, WebSession) else None


def optional_actor(
    request: Request,
    uow: UoW,
    csrf_given: Annotated[str | None, Depends(submitted_csrf_token)],
) -> Actor:
    """Return the caller's actor from a bearer token or session cookie, else the public actor.

    A cookie-authenticated POST, PUT, PATCH or DELETE must carry the session's CSRF token in the
    X-CSRF-Token header or the csrf_token form field. Bearer tokens need none: browsers never
    attach them to cross-site requests by themselves.
    """
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
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        settings: Settings = request.app.state.settings
        found = service.session_user(uow.session, raw=cookie, settings=settings)
        uow.commit()  # keep the sliding expiry, or forget an expired session
        if found is not None:
            web_session, user = found
            if request.method in UNSAFE_METHODS and not csrf_matches(
                web_session.csrf_token, csrf_given
            ):
                raise Forbidden("CSRF token missing or wrong", field=CSRF_FORM_FIELD)
            request.state.web_session = web_session
            return service.actor_for(uow.session, user, request_id=rid, source="web")
    return anonymous(request_id=rid)


def current_actor(actor: Annotated[Actor, Depends(optional_actor)]) -> Actor:
    """Return the authenticated actor or answer 401."""
    if actor.user_id is None:
        raise NotAuthenticated("log in or send a bearer token")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
MaybeActor = Annotated[Actor, Depends(optional_actor)]
