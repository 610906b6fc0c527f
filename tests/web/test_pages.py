"""The pages over HTTP: language, navigation, the user menu, CSP, the map page, counts, health."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from tests.web.conftest import LoggedIn, csrf_of, log_in, nav_paths, set_cookies
from yingji.app import create_app
from yingji.core.auth.actor import system_actor
from yingji.core.auth.csrf import CSRF_COOKIE
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.i18n import LANG_COOKIE
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrganisationCreate, OrgKind, PersonCreate


def test_login_page_is_chinese_by_default(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "登录" in response.text and "用户名" in response.text
    assert "Log in" not in response.text
    assert any(c.startswith(f"{CSRF_COOKIE}=") for c in set_cookies(response))


def test_login_page_is_english_with_the_language_cookie(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "en")
    response = client.get("/login")
    assert '<html lang="en">' in response.text
    assert "Log in" in response.text and "User name" in response.text
    assert "登录" not in response.text


def test_accept_language_picks_english_and_the_cookie_beats_it(client: TestClient) -> None:
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
    assert "User name" in english.text
    client.cookies.set(LANG_COOKIE, "zh_CN")
    chinese = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "用户名" in chinese.text


def test_anonymous_language_switch_sets_the_cookie(client: TestClient) -> None:
    response = client.post(
        "/lang", data={"language": "en", "next": "/login?next=%2Fmap"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fmap"
    assert any(c.startswith(f"{LANG_COOKIE}=en") for c in set_cookies(response))
    assert "User name" in client.get("/login").text


def test_language_switch_goes_back_to_a_local_referer_only(client: TestClient) -> None:
    local = client.post(
        "/lang",
        data={"language": "en"},
        headers={"Referer": "http://testserver/login?a=1"},
        follow_redirects=False,
    )
    assert local.headers["location"] == "/login?a=1"
    foreign = client.post(
        "/lang",
        data={"language": "en"},
        headers={"Referer": "https://evil.example/x"},
        follow_redirects=False,
    )
    assert foreign.headers["location"] == "/"
    hostile = client.post(
        "/lang", data={"language": "en", "next": "//evil.example"}, follow_redirects=False
    )
    assert hostile.headers["location"] == "/"


def test_unknown_language_is_a_400(client: TestClient) -> None:
    response = client.post("/lang", data={"language": "fr"}, follow_redirects=False)
    assert response.status_code == 400
    assert not any(c.startswith(LANG_COOKIE) for c in set_cookies(response))


def test_logged_in_language_switch_is_remembered_for_the_user(
    session: Session, app: object, client: TestClient, logged_in: LoggedIn
) -> None:
    user = logged_in()
    token = csrf_of(client.get("/").text)
    response = client.post(
        "/lang",
        data={"language": "en", "csrf_token": token, "next": "/map"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/map"
    session.expire_all()
    assert session.scalar(select(User.language).where(User.id == user.id)) == "en"
    # The saved preference wins over a cookie asking for Chinese (another browser, say).
    client.cookies.set(LANG_COOKIE, "zh_CN")
    assert '<html lang="en">' in client.get("/").text


def test_logged_in_language_switch_needs_the_csrf_token(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    user = logged_in()
    for data in ({"language": "en"}, {"language": "en", "csrf_token": "forged"}):
        response = client.post("/lang", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert not any(c.startswith(LANG_COOKIE) for c in set_cookies(response))
    session.expire_all()
    assert session.scalar(select(User.language).where(User.id == user.id)) == "zh_CN"


def test_every_page_in_the_navigation_answers(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in()
    home = client.get("/")
    paths = nav_paths(home.text)
    assert paths == [
        "/map",
        "/risks",
        "/monitoring",
        "/warnings",
        "/incidents",
        "/plans",
        "/resources",
        "/orgs",
        "/admin",
    ]
    for path in ["/", *paths]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
    soon = client.get("/plans").text
    assert "后续版本提供" in soon and "预案" in soon


def test_user_menu_shows_name_role_and_region(client: TestClient, logged_in: LoggedIn) -> None:
    user = logged_in(role=Role.COMMANDER, region_code="420502")
    html = client.get("/").text
    assert user.display_name in html and user.username in html
    assert "指挥长" in html and "西陵区" in html
    assert 'action="/logout"' in html and 'action="/lang"' in html


@pytest.mark.parametrize("path", ["/", "/map", "/login", "/plans"])
def test_pages_carry_a_strict_content_security_policy(
    client: TestClient, logged_in: LoggedIn, path: str
) -> None:
    logged_in()
    policy = client.get(path).headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "img-src 'self' data:" in policy
    assert "http" not in policy  # no other host without a configured tile server


def test_map_page_references_only_local_urls(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in()
    html = client.get("/map").text
    assert re.findall(r"https?://", html) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/leaflet/leaflet.js" in assets
    assert "/static/js/map.js" in assets
    for asset in assets:
        assert asset.startswith(("/", "#")) and not asset.startswith("//"), asset
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset
    config = _map_config(html)
    assert config["root"] == "420500" and config["tileUrl"] is None
    assert config["center"] == [30.70, 111.29] and config["zoom"] == 8


def _map_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


@pytest.mark.parametrize(
    ("region_code", "shown"),
    [("420000", ["county"]), ("420500", ["county"]), ("420502", ["county", "town"])],
)
def test_map_shows_the_users_level_and_the_one_below_at_first(
    client: TestClient, logged_in: LoggedIn, region_code: str, shown: list[str]
) -> None:
    logged_in(region_code=region_code)
    config = _map_config(client.get("/map").text)
    assert config["root"] == region_code
    assert [level["level"] for level in config["levels"]] == ["county", "town", "village", "grid"]
    assert [level["level"] for level in config["levels"] if level["visible"]] == shown
    assert config["strings"]["youAreIn"] == "您所在位置：%(path)s"


def test_a_configured_tile_server_is_allowed_and_used(
    settings: Settings, session: Session, tree: None
) -> None:
    tiles = "https://{s}.tiles.bureau.lan:8443/osm/{z}/{x}/{y}.png"
    custom = settings.model_copy(update={"map_tile_url": tiles, "map_tile_attribution": "局内"})
    application = create_app(custom, start_worker=False)
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    session.commit()
    try:
        with TestClient(application) as browser:
            assert log_in(browser, user.username).status_code == 303
            response = browser.get("/map")
    finally:
        application.state.engine.dispose()
    policy = response.headers["content-security-policy"]
    assert "img-src 'self' data: https://*.tiles.bureau.lan:8443" in policy
    assert "tiles.bureau.lan:8443/osm/{z}/{x}/{y}.png" in response.text


def _counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">\s*<span class="stat-value">([^<]*)</span>', html))


def test_home_counts_what_the_user_may_see(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    actor = system_actor(source="tests")
    org = orgs_service.create_organisation(
        session,
        actor=actor,
        data=OrganisationCreate(
            kind=OrgKind.MEMBER_UNIT, name="西陵区水利局", region_code="420502"
        ),
    )
    orgs_service.create_organisation(
        session,
        actor=actor,
        data=OrganisationCreate(
            kind=OrgKind.MEMBER_UNIT, name="江岸区水务局", region_code="420102"
        ),
    )
    orgs_service.create_person(
        session,
        actor=actor,
        data=PersonCreate(name="张三", region_code="420503", organisation_id=org.id),
    )
    make_user(session, role=Role.INSPECTOR, region_code="420102")  # Wuhan: not counted
    session.commit()
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    counts = _counts(client.get("/").text)
    # 宜昌市 and its two districts; the Wuhan organisation and user lie outside the subtree.
    assert counts == {"regions": "3", "organisations": "1", "persons": "1", "users": "1"}


def test_home_leaves_out_counts_the_role_may_not_read(
    client: TestClient, logged_in: LoggedIn
) -> None:
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    counts = _counts(client.get("/").text)
    assert set(counts) == {"regions", "persons"}  # no ORG_READ, no USER_READ
    assert counts["regions"] == "1"


def test_healthz_checks_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def broken_db_client(settings: Settings, tmp_path: object) -> Iterator[TestClient]:
    """A client of an app whose database cannot be opened."""
    broken = settings.model_copy(update={"database_url": "sqlite:////nonexistent/dir/x.db"})
    application = create_app(broken, start_worker=False)
    with TestClient(application) as c:
        yield c
    application.state.engine.dispose()


def test_healthz_reports_a_dead_database(broken_db_client: TestClient) -> None:
    response = broken_db_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
