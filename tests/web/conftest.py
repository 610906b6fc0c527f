"""Helpers of the web tests: logging in through the form like a browser does."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, make_user
from tests.factories.regions import make_tree
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_NAV_LINK = re.compile(r'<ul class="nav-modules">(.*?)</ul>', re.S)


def csrf_of(html: str) -> str:
    """Return the CSRF token rendered into a page's forms."""
    match = _CSRF_FIELD.search(html)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


def set_cookies(response: Response) -> list[str]:
    """Return the Set-Cookie headers of a response."""
    return response.headers.get_list("set-cookie")


def nav_paths(html: str) -> list[str]:
    """Return the paths the navigation links to."""
    block = _NAV_LINK.search(html)
    assert block is not None, "the page has no navigation"
    return re.findall(r'href="([^"]+)"', block.group(1))


def log_in(
    client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/"
) -> Response:
    """Submit the login form the way a browser does (GET the form, POST it back)."""
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": next_url,
        },
        follow_redirects=False,
    )


LoggedIn = Callable[..., User]


@pytest.fixture
def tree(session: Session) -> None:
    """The small region tree (Hubei > Yichang > two districts; Wuhan > one district)."""
    make_tree(session)
    session.commit()


@pytest.fixture
def logged_in(session: Session, client: TestClient, tree: None) -> LoggedIn:
    """Return a function that creates a user and logs the test client in as them."""

    def login_as(
        role: Role = Role.DUTY_OFFICER,
        region_code: str = "420500",
        organisation_id: uuid.UUID | None = None,
    ) -> User:
        user, _ = make_user(
            session, role=role, region_code=region_code, organisation_id=organisation_id
        )
        session.commit()
        response = log_in(client, user.username)
        assert response.status_code == 303, response.text
        return user

    return login_as
