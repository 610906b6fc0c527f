"""Input rules shared by the user, token and login services."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy.orm import Session

from yingji.core.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from yingji.core.errors import InvalidInput, NotFound
from yingji.regions import service as regions

USERNAME_PATTERN = r"^[A-Za-z0-9._-]{3,80}$"
USERNAME_RE = re.compile(USERNAME_PATTERN)
LANGUAGES = ("zh_CN", "en")
# Printable text only: control characters (NUL above all) break PostgreSQL and the audit JSON.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def digest(raw: str) -> str:
    """Return the SHA-256 hex digest under which a raw token or cookie is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def check_username(username: str) -> str:
    """Return a valid username or raise InvalidInput."""
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput(
            "username must be 3-80 characters of letters, digits, '.', '_' or '-'",
            field="username",
        )
    return username


def check_password(password: str, *, field: str = "password") -> str:
    """Return an acceptable new password or raise InvalidInput."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field=field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at most {MAX_PASSWORD_LENGTH} characters", field=field
        )
    return password


def check_text(value: str, *, field: str, max_length: int) -> str:
    """Return stripped, non-empty, printable text of bounded length or raise InvalidInput."""
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} must have at most {max_length} characters", field=field)
    if _CONTROL.search(value):
        raise InvalidInput(f"{field} must not contain control characters", field=field)
    return value


def check_language(language: str) -> str:
    """Return a supported interface language or raise InvalidInput."""
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    return language


def region_path(session: Session, code: str) -> str:
    """Return a region's path; an unknown code in the input is invalid input, not a 404."""
    if len(code) > 32 or _CONTROL.search(code):
        raise InvalidInput(f"unknown region code {code!r}", field="region_code")
    try:
        return regions.path_of(session, code)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="region_code") from exc
