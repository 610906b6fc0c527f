"""The warning pages in a real headless Chromium: drawing the area, the recipient's phone page,
the 叫应 board following answers without a reload.

The server runs with uvicorn on a free local port over a fresh SQLite database; every request
the browser makes must stay on 127.0.0.1. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Position,
    Response,
    sync_playwright,
)
from pydantic import SecretStr
from sqlalchemy import Engine, select

from tests.factories.auth import PASSWORD, make_user
from tests.factories.regions import make_tree, region_actor
from tests.warnings.dispatch.helpers import SUBREGIONS, add_region, responsible
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port
from yingji.app import create_app
from yingji.core.auth.roles import Role
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.models import metadata
from yingji.warnings import _feedback, service
from yingji.warnings._tokens import key_of, make_token
from yingji.warnings.models import EarlyWarning, WarningTarget
from yingji.warnings.schemas import WarningDraft

pytestmark = pytest.mark.browser

VILLAGE = "420502001001"
# Corners (lon, lat) well inside 西陵区 (111.2–111.4 E, 30.6–30.8 N in the factories' tree).
CORNERS = [(111.25, 30.65), (111.35, 30.65), (111.35, 30.75), (111.25, 30.75)]
MAX_RECIPIENT_BYTES = 30 * 1024


@dataclass
class Live:
    """A running server, its settings, its database and the logins it holds."""

    base_url: str
    settings: Settings
    engine: Engine
    users: dict[str, str] = field(default_factory=dict)  # role -> username

    def issue(self, event_area: str, level: int = 2) -> uuid.UUID:
        """Issue a warning over village A through the services (two persons are asked)."""
        with make_session_factory(self.engine)() as session:
            author = region_actor(session, role=Role.SPECIALIST, code="420500")
            chief = region_actor(session, role=Role.COMMANDER, code="420500")
            now = dt.datetime.now(dt.UTC)
            data = WarningDraft(
                hazard_type="rainstorm", level=level, onset=now,
                expires=now + dt.timedelta(hours=6), area_desc=event_area,
                region_codes=[VILLAGE],
            )  # fmt: skip
            warning = service.create_draft(session, actor=author, data=data, settings=self.settings)
            service.submit(session, actor=author, warning_id=warning.id)
            service.approve(session, actor=chief, warning_id=warning.id, settings=self.settings)
            session.commit()
            return warning.id

    def token(self, warning_id: uuid.UUID, name: str) -> str:
        """Return the signed acknowledgement link token of a person asked about a warning."""
        with make_session_factory(self.engine)() as session:
            target = session.scalar(
                select(WarningTarget).where(
                    WarningTarget.warning_id == warning_id, WarningTarget.name == name
                )
            )
            assert target is not None
            return make_token(key_of(self.settings), target.id, target.token_nonce)

    def target_status(self, warning_id: uuid.UUID, name: str) -> str | None:
        """Return where a person's answer stands."""
        with make_session_factory(self.engine)() as session:
            return session.scalar(
                select(WarningTarget.status).where(
                    WarningTarget.warning_id == warning_id, WarningTarget.name == name
                )
            )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Run the application with uvicorn over a fresh SQLite database with village A's people."""
    data_dir = tmp_path_factory.mktemp("warnings")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    users: dict[str, str] = {}
    with make_session_factory(engine)() as session:
        make_tree(session)
        for code, name, level, parent in SUBREGIONS:
            add_region(session, code, name, level, parent)
        responsible(session, VILLAGE, name="王村长", title="村防汛责任人")
        responsible(session, VILLAGE, name="李网格员", title="网格员")
        for role in (Role.DUTY_OFFICER, Role.COMMANDER):
            user, _ = make_user(session, role=role, region_code="420500")
            users[role.value] = user.username
        session.commit()
    settings = Settings(
        env=Environment.TEST, database_url=url, data_dir=data_dir,
        secret_key=SecretStr("w" * 48), run_worker_in_server=False,
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
    yield Live(f"http://127.0.0.1:{port}", settings, engine, users)
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
class Watched:
    """A page with every URL it requested, the bytes it received and the errors it logged."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)

    def assert_clean(self) -> None:
        """Assert that nothing left 127.0.0.1 and that the page logged no error."""
        outside = [u for u in self.requests if urlsplit(u).scheme not in ("data", "about")
                   and urlsplit(u).hostname != "127.0.0.1"]  # fmt: skip
        assert outside == []
        assert self.errors == []


def _watch(context: BrowserContext) -> Watched:
    page = context.new_page()
    watched = Watched(page)
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on("console", lambda msg: watched.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))

    def received(response: Response) -> None:
        try:
            watched.received[response.url] = len(response.body())
        except Exception:  # a redirect has no body to read
            watched.received.setdefault(response.url, 0)

    page.on("response", received)
    return watched


def _log_in(browser: Browser, live: Live, role: Role, width: int = 1280) -> Watched:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    watched = _watch(context)
    page = watched.page
    page.goto(f"{live.base_url}/login")
    page.fill("#username", live.users[role.value])
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{live.base_url}/")
    return watched


def _map_point(page: Page, lon: float, lat: float) -> Position:
    point: dict[str, Any] = page.evaluate(
        "([lat, lon]) => { const p = window.yingjiAreaMap.latLngToContainerPoint([lat, lon]);"
        " return {x: p.x, y: p.y}; }",
        [lat, lon],
    )
    return Position(x=float(point["x"]), y=float(point["y"]))


def test_draw_a_polygon_and_save_the_draft(browser: Browser, live: Live) -> None:
    watched = _log_in(browser, live, Role.DUTY_OFFICER)
    page = watched.page
    page.goto(f"{live.base_url}/warnings/new")
    page.wait_for_selector("#area-tools:not([hidden])")
    page.wait_for_selector("path.wl-boundary")  # 西陵区 and 伍家岗区 drawn for orientation
    # Another hazard type replaces the template texts the author has not touched.
    page.select_option("#f-hazard_type", "typhoon")
    assert page.input_value("#f-instruction").startswith("加固")
    page.select_option("#f-level", "2")
    page.fill("#f-area_desc", "西陵区江边低洼地带")

    page.click("[data-tool=polygon]")
    assert page.get_attribute("[data-tool=polygon]", "aria-pressed") == "true"
    assert page.is_disabled("[data-tool=finish]")
    for lon, lat in CORNERS:
        page.locator("#area-map").click(position=_map_point(page, lon, lat))
    assert page.locator("path.wl-corner").count() == len(CORNERS)
    page.click("[data-tool=finish]")
    assert page.locator("#area-shapes li").count() == 1
    assert "4" in page.inner_text("#area-shapes li")
    page.screenshot(path=str(ARTIFACTS / "warning-draw.png"), full_page=True)

    page.click("#warning-save")
    page.wait_for_url(f"{live.base_url}/warnings/*?done=created")
    warning_id = uuid.UUID(urlsplit(page.url).path.rsplit("/", 1)[1])
    with make_session_factory(live.engine)() as session:
        warning = session.get(EarlyWarning, warning_id)
        assert warning is not None and warning.status == "draft"
        assert warning.hazard_type == "typhoon" and warning.area_region_codes == []
        (shape,) = warning.area_shapes
    assert shape["type"] == "polygon"
    ring = shape["coordinates"]
    assert len(ring) == len(CORNERS) + 1 and ring[0] == ring[-1]
    for (lon, lat), (got_lon, got_lat) in zip(CORNERS, ring, strict=False):
        assert got_lon == pytest.approx(lon, abs=0.01) and got_lat == pytest.approx(lat, abs=0.01)
    # The warning's page draws the saved area.
    page.wait_for_selector("path.wl-shape")
    assert "草稿已保存" in page.inner_text("#warning-notice")
    watched.assert_clean()
    page.context.close()


def test_a_circle_and_clearing(browser: Browser, live: Live) -> None:
    watched = _log_in(browser, live, Role.DUTY_OFFICER, width=375)
    page = watched.page
    page.goto(f"{live.base_url}/warnings/new")
    page.wait_for_selector("#area-tools:not([hidden])")
    page.click("[data-tool=circle]")
    page.fill("#area-radius", "3")
    page.locator("#area-map").click(position=_map_point(page, 111.3, 30.7))
    page.click("[data-tool=finish]")
    value = page.input_value("#f-shapes")
    assert '"type":"circle"' in value and '"radius_km":3' in value
    page.click("[data-tool=clear]")
    assert page.input_value("#f-shapes") == ""
    # Sent without an area, the form comes back with the regions field marked.
    page.fill("#f-area_desc", "无范围")
    page.select_option("#f-level", "3")
    page.click("#warning-save")
    page.wait_for_selector("#error-region_codes")
    assert page.get_attribute("#f-region_codes", "aria-invalid") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Chromium logs the form's answer (422, by design) as a failed resource: nothing else.
    assert [e for e in watched.errors if "422" in e] == [watched.errors[0]]
    watched.errors.clear()
    watched.assert_clean()
    page.context.close()


def test_the_recipient_acknowledges_with_one_tap_and_reports(browser: Browser, live: Live) -> None:
    warning_id = live.issue("西陵区村A沿河")
    token = live.token(warning_id, "王村长")
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, locale="zh-CN", has_touch=True, is_mobile=True
    )
    watched = _watch(context)
    page = watched.page
    page.goto(f"{live.base_url}/w/{token}")
    button = page.locator("#ack-button")
    box = button.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 60
    assert box["y"] + box["height"] <= 667  # visible without scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    colour = page.eval_on_selector("header.wr-band", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(245, 124, 0)"  # orange, level II
    assert sum(watched.received.values()) < MAX_RECIPIENT_BYTES, watched.received
    assert not [u for u in watched.requests if u.endswith(".js")]
    assert live.target_status(warning_id, "王村长") == "pending"  # opening the link is no answer
    page.screenshot(path=str(ARTIFACTS / "warning-recipient-phone.png"), full_page=True)

    button.tap()
    page.wait_for_selector("#ack-done")
    assert "已确认收到" in page.inner_text("#wr-done")
    assert live.target_status(warning_id, "王村长") == "acknowledged"

    for count, shelter in (("12", "村委会"), ("25", "村小学")):
        page.fill("#f-evacuated", count)
        page.fill("#f-shelter", shelter)
        with page.expect_navigation():  # the same URL each time: wait for the new page
            page.locator("#report-button").tap()
        assert page.url == f"{live.base_url}/w/{token}?done=report#report"
        assert "报告已收到" in page.inner_text("#wr-done")
    with make_session_factory(live.engine)() as session:
        reports = _feedback.latest_reports(session, warning_id=warning_id)
    assert [(r.evacuated, r.shelter) for r in reports] == [(25, "村小学")]
    page.screenshot(path=str(ARTIFACTS / "warning-recipient-done.png"), full_page=True)
    watched.assert_clean()
    context.close()


def test_the_board_follows_answers_without_a_reload(browser: Browser, live: Live) -> None:
    warning_id = live.issue("西陵区村A山脚", level=1)
    watched = _log_in(browser, live, Role.COMMANDER)
    page = watched.page
    page.goto(f"{live.base_url}/warnings/{warning_id}")
    count = page.locator("#tracking-counts [data-count=acknowledged]")
    assert count.inner_text() == "0"
    assert page.locator("#tracking-unanswered tbody tr").count() == 2
    page.evaluate("window.__same = document.body.dataset.marker = 'kept'")

    other = browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN")
    recipient = _watch(other)
    recipient.page.goto(f"{live.base_url}/w/{live.token(warning_id, '李网格员')}")
    recipient.page.click("#ack-button")
    recipient.page.wait_for_selector("#ack-done")

    page.wait_for_function(
        "() => document.querySelector('#tracking-counts [data-count=acknowledged]').textContent"
        " === '1'",
        timeout=20_000,
    )
    assert page.evaluate("document.body.dataset.marker") == "kept"  # no reload happened
    assert page.locator("#tracking-unanswered tbody tr").count() == 1
    assert "李网格员" not in page.inner_text("#tracking-unanswered")
    assert page.inner_text("#tracking-updated") != ""
    page.screenshot(path=str(ARTIFACTS / "warning-board.png"), full_page=True)
    watched.assert_clean()
    recipient.assert_clean()
    other.close()
    page.context.close()
