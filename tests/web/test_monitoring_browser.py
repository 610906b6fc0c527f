"""The monitoring pages in a real headless Chromium: a live board, a history chart, the map layer.

Readings go through the real ingestion service (``monitoring.service.ingest``) into the database
the server runs on; the board must show them in their band's colour and follow new readings
without a reload. Screenshots go to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr
from sqlalchemy import Engine

from tests.factories.auth import PASSWORD, make_user
from tests.factories.regions import make_tree
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.web.test_monitoring_pages import World, reading, register_world
from yingji.app import create_app
from yingji.core.auth.roles import Role
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.models import metadata
from yingji.monitoring import service

pytestmark = pytest.mark.browser

RED = "rgb(211, 47, 47)"  # --band-red, #d32f2f
NORMAL = "rgb(238, 242, 246)"  # --band-normal, #eef2f6


@dataclass(frozen=True)
class Live:
    """A running server, the world it holds and a way to ingest more readings into it."""

    base_url: str
    username: str
    world: World
    engine: Engine

    def ingest(self, gateway: str, readings: list[dict[str, Any]]) -> None:
        """Send readings through the real ingestion service and commit them."""
        with make_session_factory(self.engine)() as session:
            payload = orjson.dumps({"readings": readings})
            service.ingest(session, gateway_code=gateway, payloads=[payload])
            session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Run the application with uvicorn over a fresh SQLite database with the two sites."""
    data_dir = tmp_path_factory.mktemp("monitoring")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        make_tree(session)
        world = register_world(session)
        user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
        session.commit()
        username = user.username
    settings = Settings(
        env=Environment.TEST, database_url=url, data_dir=data_dir,
        secret_key=SecretStr("m" * 48), run_worker_in_server=False,
    )  # fmt: skip
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
    yield Live(f"http://127.0.0.1:{port}", username, world, engine)
    server.should_exit = True
    thread.join(timeout=15)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make browser-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Session:
    """A logged-in page with every URL it requested and every error it logged."""

    page: Page
    requests: list[str]
    errors: list[str]

    def assert_clean(self) -> None:
        """Assert that nothing left 127.0.0.1 and that the page logged no error."""
        outside = [u for u in self.requests if urlsplit(u).scheme not in ("data", "about")
                   and urlsplit(u).hostname != "127.0.0.1"]  # fmt: skip
        assert outside == []
        assert self.errors == []


def _log_in(browser: Browser, live: Live, width: int, height: int = 800) -> Session:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    watched = Session(page, [], [])
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda msg: watched.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    page.goto(f"{live.base_url}/login")
    page.fill("#username", live.username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live.base_url}/")
    return watched


def _tile(page: Page, sensor_id: int) -> Any:
    return page.locator(f".mon-sensor[data-sensor='{sensor_id}']")


def _classes(locator: Any) -> list[str]:
    return (locator.get_attribute("class") or "").split()


def _value_colour(page: Page, sensor_id: int) -> str:
    return str(
        page.eval_on_selector(
            f".mon-sensor[data-sensor='{sensor_id}'] .mon-value",
            "el => getComputedStyle(el).backgroundColor",
        )
    )


def test_board_shows_bands_and_follows_new_readings_without_reload(
    live: Live, browser: Browser
) -> None:
    sensors = live.world.sensors
    live.ingest("GW-A", [reading("P-R", 0.50), reading("P-N", 0.30), reading("P-Y", 0.39)])
    watched = _log_in(browser, live, 1280)
    page = watched.page
    page.goto(f"{live.base_url}/monitoring")
    red, normal = _tile(page, sensors["P-R"]), _tile(page, sensors["P-N"])
    red.wait_for()
    assert red.locator(".mon-number").inner_text() == "0.5"
    assert "band-red" in _classes(red) and _value_colour(page, sensors["P-R"]) == RED
    assert "红色" in red.inner_text() and "MPa" in red.inner_text()
    assert "band-normal" in _classes(normal)
    assert _value_colour(page, sensors["P-N"]) == NORMAL
    assert "band-yellow" in _classes(_tile(page, sensors["P-Y"]))
    no_data = _tile(page, sensors["P-NONE"])
    assert "band-none" in _classes(no_data) and "无数据" in no_data.inner_text()
    assert "秒前" in red.locator(".mon-age").inner_text() or "刚刚" in red.inner_text()
    page.screenshot(path=str(ARTIFACTS / "monitoring-board-desktop.png"), full_page=True)

    # New readings arrive: the board follows them on its next poll, without a reload.
    page.evaluate("() => { window.__notReloaded = true; }")
    live.ingest("GW-A", [reading("P-N", 0.45, ago_s=0.2), reading("P-R", 0.31, ago_s=0.2)])
    page.wait_for_selector(f".mon-sensor[data-sensor='{sensors['P-N']}'].band-red", timeout=20_000)
    assert normal.locator(".mon-number").inner_text() == "0.45"
    assert _value_colour(page, sensors["P-N"]) == RED
    assert "band-normal" in _classes(red)
    assert red.locator(".mon-number").inner_text() == "0.31"
    assert page.evaluate("() => window.__notReloaded") is True
    assert any("/api/monitoring/board" in u for u in watched.requests)

    # "Only abnormal" applies at once, without a reload either.
    page.check("#f-abnormal")
    page.wait_for_function(
        "id => !document.querySelector(`.mon-sensor[data-sensor='${id}']`)", arg=sensors["P-R"]
    )
    assert _tile(page, sensors["P-N"]).count() == 1
    assert "abnormal=true" in page.url and page.evaluate("() => window.__notReloaded") is True
    watched.assert_clean()
    page.context.close()


def test_sensor_page_draws_the_history_chart(live: Live, browser: Browser) -> None:
    sensor_id = live.world.sensors["P-O"]
    minute = int(time.time() // 60) * 60
    live.ingest("GW-A", [
        {"sensor": "P-O", "ts": (minute - 60 * back + 5) * 1000, "value": 0.30 + back / 100,
         "unit": "MPa"}
        for back in range(1, 12)
    ])  # fmt: skip
    watched = _log_in(browser, live, 1280)
    page = watched.page
    page.goto(f"{live.base_url}/monitoring/sensors/{sensor_id}?range=1h")
    page.wait_for_selector("#chart svg path.mon-mean")
    d = page.get_attribute("#chart svg path.mon-mean", "d") or ""
    assert d.startswith("M") and d.count("L") >= 9
    assert page.locator("#chart svg polygon.mon-envelope").count() >= 1
    assert page.locator("#chart svg line.mon-threshold").count() >= 2  # blue and the next ones
    assert page.locator("#chart svg .x-axis text").count() >= 3
    assert "有读数的" in page.inner_text("#chart-status")
    page.screenshot(path=str(ARTIFACTS / "monitoring-sensor-desktop.png"), full_page=True)
    page.evaluate("() => { window.__notReloaded = true; }")
    page.click(".mon-ranges a[data-range='7d']")
    page.wait_for_selector("#chart[data-range='7d'] svg .mon-mean")  # a point or a line
    assert page.evaluate("() => window.__notReloaded") is True and page.url.endswith("range=7d")
    watched.assert_clean()
    page.context.close()


def test_map_shows_the_sensor_layer(live: Live, browser: Browser) -> None:
    live.ingest("GW-A", [reading("P-R", 0.50, ago_s=0.1)])
    watched = _log_in(browser, live, 1280)
    page = watched.page
    page.goto(f"{live.base_url}/map")
    page.wait_for_selector("#map[data-loaded-sensors='9']", timeout=30_000)
    assert page.locator(".yj-monitoring-layer label").inner_text().strip() == "监测传感器"
    page.evaluate("() => window.yingjiMap.setView([30.70, 111.303], 16, { animate: false })")
    marker = page.locator("div.yj-sensor[title='压力 P-R']")
    assert "yj-band-red" in (marker.get_attribute("class") or "")
    assert page.locator("div.yj-sensor.yj-band-stale").count() >= 1  # P-NONE has no reading
    marker.click()
    popup = page.locator(".leaflet-popup-content .mon-popup")
    popup.wait_for(timeout=10_000)
    assert "压力 P-R" in popup.inner_text() and "红色" in popup.inner_text()
    href = popup.locator("a").get_attribute("href")
    assert href == f"/monitoring/sensors/{live.world.sensors['P-R']}"
    page.screenshot(path=str(ARTIFACTS / "monitoring-map-desktop.png"))
    page.locator(".yj-monitoring-layer input[data-layer='sensors']").uncheck()
    assert page.locator("div.yj-sensor").count() == 0
    watched.assert_clean()
    page.context.close()


def test_monitoring_pages_fit_a_phone(live: Live, browser: Browser) -> None:
    watched = _log_in(browser, live, 375, 740)
    page = watched.page
    sensor_id = live.world.sensors["P-R"]
    shots = {
        "/monitoring": "monitoring-board-phone.png",
        f"/monitoring/sensors/{sensor_id}": "monitoring-sensor-phone.png",
        "/monitoring/gateways": "monitoring-gateways-phone.png",
    }
    for path, shot in shots.items():
        page.goto(f"{live.base_url}{path}")
        if "sensors" in path:
            page.wait_for_selector("#chart svg")
            box = page.locator("#chart svg").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        else:
            page.wait_for_load_state("networkidle")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    watched.assert_clean()
    page.context.close()
