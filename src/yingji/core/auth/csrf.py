"""Cookie names and flags, and CSRF tokens for cookie-authenticated requests."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from yingji.core.config import Settings

SESSION_COOKIE = "yingji_session"
# Anonymous double-submit token of the login form: the same value in this cookie and the form.
CSRF_COOKIE = "yingji_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_csrf_token() -> str:
    """Return a fresh random CSRF token."""
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Return whether a submitted token equals the expected one, in constant time."""
    if not expected or not given:
        return False
    # Bytes, because compare_digest refuses non-ASCII str and the given value is untrusted.
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def cookie_kwargs(settings: Settings) -> dict[str, Any]:
    """Return the ``Response.set_cookie`` flags of the session cookie."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": settings.secure_cookies,
        "max_age": settings.session_hours * 3600,
        "path": "/",
    }


def csrf_cookie_kwargs(settings: Settings) -> dict[str, Any]:
    """Return the ``Response.set_cookie`` flags of the login form's CSRF cookie."""
    # The page renders the token into the form, so scripts never need to read the cookie.
    return {"httponly": True, "samesite": "lax", "secure": settings.secure_cookies, "path": "/"}
