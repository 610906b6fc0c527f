"""Resolving the actor from a bearer token or a session cookie, and CSRF on cookie requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import FastAPI, Form, Request
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, bearer, make_user, web_login
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry
from yingji.core.auth import service
from yingji.core.auth.csrf import CSRF_FORM_FIELD, CSRF_HEADER, SESSION_COOKIE
from yingji.core.auth.deps import CurrentActor, MaybeActor, web_session_of
from yingji.core.auth.models import User, WebSession
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.db import utcnow


@pytest.fixture
def logged_in(session: Session, settings: Settings) -> tuple[User, str, WebSession, str]:
    """A duty officer with a bearer token and a browser session (csrf token, cookie value)."""
    make_tree(session)
    user, token = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    web_session, raw = web_login(session, user, settings)
    session.commit()
    return user, token, web_session, raw


@pytest.fixture
def form_app(app: FastAPI) -> FastAPI:
    """The app with one extra HTML-style form route, as the web pages will have."""

    @app.post("/test-form")
    def post_form(
        request: Request, actor: CurrentActor, note: Annotated[str, Form()]
    ) -> dict[str, str | None]:
        web_session = web_session_of(request)
        return {"source": actor.source, "note": note, "csrf": "present" if web_session else None}

    @app.get("/test-maybe")
    def get_maybe(actor: MaybeActor) -> dict[str, str]:
        return {"username": actor.username}

    return app


def _language(session: Session, user: User) -> str:
    session.expire_all()
    return session.get(User, user.id).language  # type: ignore[union-attr]


def test_cookie_authenticates_reads(
    client: TestClient, logged_in: tuple[User, str, WebSession, str]
) -> None:
    user, _, _, raw = logged_in
    client.cookies.set(SESSION_COOKIE, raw)
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_cookie_post_needs_the_csrf_token(
    client: TestClient, session: Session, logged_in: tuple[User, str, WebSession, str]
) -> None:
    user, _, web_session, raw = logged_in
    client.cookies.set(SESSION_COOKIE, raw)
    for headers in ({}, {CSRF_HEADER: "wrong"}, {CSRF_HEADER: ""}):
        refused = client.post("/api/auth/language", json={"language": "en"}, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["message"] == "CSRF token missing or wrong"
    assert _language(session, user) == "zh_CN"
    ok = client.post(
        "/api/auth/language",
        json={"language": "en"},
        headers={CSRF_HEADER: web_session.csrf_token},
    )
    assert ok.status_code == 204
    assert _language(session, user) == "en"
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and (entry.action, entry.source) == ("user.language_changed", "web")


def test_bearer_post_needs_no_csrf_token(
    client: TestClient, session: Session, logged_in: tuple[User, str, WebSession, str]
) -> None:
    user, token, _, raw = logged_in
    client.cookies.set(SESSION_COOKIE, raw)  # a cookie beside the token changes nothing
    response = client.post("/api/auth/language", json={"language": "en"}, headers=bearer(token))
    assert response.status_code == 204
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.source == "api"
    assert _language(session, user) == "en"


def test_form_post_carries_the_token_in_a_field(
    form_app: FastAPI, logged_in: tuple[User, str, WebSession, str]
) -> None:
    _, _, web_session, raw = logged_in
    with TestClient(form_app) as client:
        client.cookies.set(SESSION_COOKIE, raw)
        missing = client.post("/test-form", data={"note": "hi"})
        assert missing.status_code == 403
        wrong = client.post("/test-form", data={"note": "hi", CSRF_FORM_FIELD: "nope"})
        assert wrong.status_code == 403
        right = client.post(
            "/test-form", data={"note": "hi", CSRF_FORM_FIELD: web_session.csrf_token}
        )
        assert right.status_code == 200
        # The route still reads the form the dependency already parsed.
        assert right.json() == {"source": "web", "note": "hi", "csrf": "present"}
        multipart = client.post(
            "/test-form",
            data={"note": "hi", CSRF_FORM_FIELD: web_session.csrf_token},
            files={"attachment": ("a.txt", b"x")},
        )
        assert multipart.status_code == 200


def test_stale_cookies_are_anonymous(
    form_app: FastAPI, session: Session, logged_in: tuple[User, str, WebSession, str]
) -> None:
    _, _, web_session, raw = logged_in
    with TestClient(form_app) as client:
        client.cookies.set(SESSION_COOKIE, "made-up")
        assert client.get("/test-maybe").json() == {"username": "anonymous"}
        assert client.get("/api/auth/me").status_code == 401
        client.cookies.set(SESSION_COOKIE, raw)
        assert client.get("/test-maybe").json()["username"] != "anonymous"
        row = session.get(WebSession, web_session.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
        assert client.get("/api/auth/me").status_code == 401
        # An expired session is dropped rather than kept around.
        session_id = web_session.id
        session.expire_all()
        assert session.get(WebSession, session_id) is None


def test_logout_ends_cookie_access(
    client: TestClient, session: Session, logged_in: tuple[User, str, WebSession, str]
) -> None:
    _, _, _, raw = logged_in
    client.cookies.set(SESSION_COOKIE, raw)
    assert client.get("/api/auth/me").status_code == 200
    service.logout(session, raw=raw)
    session.commit()
    assert client.get("/api/auth/me").status_code == 401


def test_password_change_by_cookie_keeps_only_this_session(
    client: TestClient,
    session: Session,
    settings: Settings,
    logged_in: tuple[User, str, WebSession, str],
) -> None:
    user, _, web_session, raw = logged_in
    other, other_raw = web_login(session, user, settings)
    session.commit()
    client.cookies.set(SESSION_COOKIE, raw)
    body = {"current_password": PASSWORD, "new_password": "a fresh password"}
    response = client.post(
        f"/api/users/{user.id}/password", json=body, headers={CSRF_HEADER: web_session.csrf_token}
    )
    assert response.status_code == 204
    other_id = other.id
    session.expire_all()
    assert service.session_user(session, raw=raw, settings=settings) is not None
    assert service.session_user(session, raw=other_raw, settings=settings) is None
    assert session.get(WebSession, other_id) is None
