"""Logging in and out through the forms: CSRF, errors, lockout, redirects (never off-site)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from tests.web.conftest import LoggedIn, csrf_of, log_in, set_cookies
from yingji.core.auth.csrf import SESSION_COOKIE
from yingji.core.auth.roles import Role
from yingji.core.config import Settings


def test_login_sets_an_httponly_session_cookie_and_redirects(
    session: Session, client: TestClient, tree: None
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    response = log_in(client, user.username, next_url="/map?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/map?x=1"
    cookie = next(c for c in set_cookies(response) if c.startswith(f"{SESSION_COOKIE}="))
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert client.get("/map").status_code == 200


def test_wrong_password_shows_an_error_and_sets_no_session(
    session: Session, client: TestClient, tree: None
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    response = log_in(client, user.username, password="not the password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in set_cookies(response))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unknown_user_gets_the_same_answer(client: TestClient, tree: None) -> None:
    response = log_in(client, "nobody-here", password="whatever-it-is")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_repeated_failures_lock_the_account_with_429(
    session: Session, client: TestClient, settings: Settings, tree: None
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    for _ in range(settings.login_max_failures):
        assert log_in(client, user.username, password="wrong-password").status_code == 401
    response = log_in(client, user.username)  # even the right password, while locked
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in set_cookies(response))


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_csrf_token_is_refused(
    session: Session, client: TestClient, tree: None, token: str | None
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    client.get("/login")  # the browser holds a CSRF cookie, but the form does not match it
    data = {"username": user.username, "password": "correct horse battery", "next": "/"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 400
    assert "登录表单已过期" in response.text
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in set_cookies(response))


def test_login_without_the_csrf_cookie_is_refused(
    session: Session, client: TestClient, tree: None
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    token = csrf_of(client.get("/login").text)
    client.cookies.clear()  # a cross-site form can send the field but not our cookie
    data = {"username": user.username, "password": "correct horse battery", "csrf_token": token}
    response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 400


def test_login_with_missing_fields_is_a_400_page(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 400
    assert "请输入用户名和密码" in response.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/\r\nLocation: https://evil.example",
    ],
)
def test_login_never_redirects_to_another_site(
    session: Session, client: TestClient, tree: None, target: str
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    response = log_in(client, user.username, next_url=target)
    assert response.status_code == 303
    location = response.headers["location"]
    assert urlsplit(location).netloc == "" and urlsplit(location).scheme == ""
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    again = client.get("/login", params={"next": target}, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == location


@pytest.mark.parametrize("path", ["/", "/map", "/incidents", "/admin"])
def test_anonymous_pages_redirect_to_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path.replace('/', '%2F')}"


def test_the_login_redirect_comes_back_to_the_page(
    session: Session, client: TestClient, tree: None
) -> None:
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    login_url = client.get("/map?zoom=3", follow_redirects=False).headers["location"]
    next_url = unquote(login_url.split("next=", 1)[1])
    response = log_in(client, user.username, next_url=next_url)
    assert response.headers["location"] == "/map?zoom=3"


def test_logout_needs_the_csrf_token_then_ends_the_session(
    client: TestClient, logged_in: LoggedIn
) -> None:
    logged_in()
    refused = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    token = csrf_of(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert any(c.startswith(f'{SESSION_COOKIE}=""') for c in set_cookies(response))
    raw_cookie = client.cookies.get(SESSION_COOKIE)
    assert raw_cookie is None
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_stolen_cookie_stops_working_after_logout(
    client: TestClient, app: object, logged_in: LoggedIn
) -> None:
    logged_in()
    stolen = client.cookies.get(SESSION_COOKIE)
    assert stolen
    token = csrf_of(client.get("/").text)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_page_moves_a_logged_in_user_on(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in()
    response = client.get("/login?next=/map", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/map"


def test_login_page_points_the_public_to_the_report_form(client: TestClient) -> None:
    page = client.get("/login").text
    assert 'href="/report"' in page and 'href="/report/track"' in page
    assert client.get("/report").status_code == 200
