"""CSRF helpers and cookie flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.responses import Response

from yingji.core.auth.csrf import (
    SESSION_COOKIE,
    cookie_kwargs,
    csrf_cookie_kwargs,
    csrf_matches,
    new_csrf_token,
)
from yingji.core.config import Environment, Settings


def _settings(*, secure: bool) -> Settings:
    return Settings(env=Environment.TEST, data_dir=Path("unused"), secure_cookies=secure)


def test_new_tokens_are_long_and_distinct() -> None:
    tokens = {new_csrf_token() for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 40 for token in tokens)


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("abc", "", False),
        ("abc", None, False),
        ("", "", False),
        (None, None, False),
        ("abc", "中文", False),  # non-ASCII input must not raise
    ],
)
def test_csrf_matches(expected: str | None, given: str | None, ok: bool) -> None:
    assert csrf_matches(expected, given) is ok


def test_session_cookie_is_httponly_lax_and_expires() -> None:
    response = Response()
    response.set_cookie(SESSION_COOKIE, "value", **cookie_kwargs(_settings(secure=False)))
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "max-age=43200" in header  # the default 12 session hours
    assert "secure" not in header.replace("samesite", "")


def test_secure_cookies_setting_marks_cookies_secure() -> None:
    for kwargs in (cookie_kwargs, csrf_cookie_kwargs):
        response = Response()
        response.set_cookie("name", "value", **kwargs(_settings(secure=True)))
        header = response.headers["set-cookie"].lower()
        assert "; secure" in header
        assert "httponly" in header
