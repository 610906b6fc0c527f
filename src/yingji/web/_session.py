"""Who is looking at a page: the session cookie, the login redirect, CSRF and safe redirects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from yingji.core.auth import service as auth_service
from yingji.core.auth.actor import Actor
from yingji.core.auth.csrf import SESSION_COOKIE
from yingji.core.http import UoW, request_id_of

if TYPE_CHECKING:
    from yingji.core.auth.models import User, WebSession


@dataclass(frozen=True, slots=True)
class WebUser:
    """A logged-in browser: its session row, its user and the actor it acts as."""

    web_session: WebSession
    user: User
    actor: Actor
    raw_token: str

    @property
    def csrf_token(self) -> str:
        """Return the token forms of this session must send back."""
        return self.web_session.csrf_token


class LoginRequired(Exception):
    """Raised by a page that needs a logged-in user; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def resolve_web_user(request: Request, uow: UoW) -> WebUser | None:
    """Return the browser's logged-in user, or None (remembered on the request)."""
    if hasattr(request.state, "web_user"):
        cached: WebUser | None = request.state.web_user
        return cached
    web_user = None
    raw = request.cookies.get(SESSION_COOKIE, "")
    if raw:
        found = auth_service.session_user(uow.session, raw=raw, settings=request.app.state.settings)
        if found is not None:
            web_session, user = found
            actor = auth_service.actor_for(
                uow.session, user, request_id=request_id_of(request), source="web"
            )
            uow.commit()  # keep the session's last_seen_at
            web_user = WebUser(web_session=web_session, user=user, actor=actor, raw_token=raw)
            request.state.user_language = user.language
    request.state.web_user = web_user
    return web_user


def current_path(request: Request) -> str:
    """Return the path and query of the request, to come back to it later."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def require_web_user(request: Request, uow: UoW) -> WebUser:
    """Return the logged-in user or send the browser to the login page."""
    web_user = resolve_web_user(request, uow)
    if web_user is None:
        raise LoginRequired(current_path(request))
    return web_user


MaybeWebUser = Annotated[WebUser | None, Depends(resolve_web_user)]
PageUser = Annotated[WebUser, Depends(require_web_user)]


def login_redirect(request: Request, exc: LoginRequired) -> RedirectResponse:
    """Answer a page that needs a login with a redirect to /login?next=<the page>."""
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)


def safe_local_path(candidate: str | None, default: str = "/") -> str:
    """Return a path on this site to redirect to, or ``default`` (never another host)."""
    if not candidate or len(candidate) > 2000:
        return default
    if any(ord(ch) < 0x20 or ch == "\\" for ch in candidate):
        return default  # browsers read "/\\evil.example" as another host
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    return candidate


def local_referer(request: Request, default: str = "/") -> str:
    """Return the path of the page that sent the request, if it is on this site."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if not referer or parts.netloc != request.url.netloc or parts.scheme not in ("http", "https"):
        return default
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_local_path(path, default)
