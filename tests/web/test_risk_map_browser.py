"""The risk layer of the one map in a real browser: four-colour markers for seeded risk points."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from pydantic import SecretStr

from tests.factories.auth import PASSWORD, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from tests.factories.risks import LEC_LOW, LEC_MAJOR, make_risk_point
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port
from yingji.app import create_app
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.hazards import service as hazards
from yingji.hazards.schemas import HazardCreate
from yingji.models import metadata

pytestmark = pytest.mark.browser


def _fill(url: str) -> str:
    engine = make_engine(url)
    metadata.create_all(engine)
    try:
        with make_session_factory(engine)() as session:
            make_tree(session)
            ent = make_org(session, name="西陵化工", region_code="420502")
            make_risk_point(
                session, organisation_id=ent.id, factors=LEC_MAJOR, name="氯化反应釜",
                lon=111.30, lat=30.70,
            )  # fmt: skip
            make_risk_point(
                session, organisation_id=ent.id, factors=LEC_LOW, name="成品仓库",
                lon=111.32, lat=30.72,
            )  # fmt: skip
            make_risk_point(session, organisation_id=ent.id, name="无坐标的风险点")
            hazards.report_hazard(
                session,
                actor=system_actor(source="tests"),
                data=HazardCreate(
                    enterprise_id=ent.id, title="储罐区可燃气体报警器失效",
                    source="self_inspection", lon=111.31, lat=30.71,
                ),
            )  # fmt: skip
            user, _ = make_user(session, role=Role.SPECIALIST, region_code="420500")
            session.commit()
            return user.username
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("riskmap")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    username = _fill(url)
    settings = Settings(
        env=Environment.TEST, database_url=url, data_dir=data_dir,
        secret_key=SecretStr("c" * 48), run_worker_in_server=False,
    )  # fmt: skip
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, start_worker=False), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", username
    uv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make browser-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_risk_layer_draws_four_colour_markers(server: tuple[str, str], browser: Browser) -> None:
    base_url, username = server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{base_url}/map")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base_url}/map")
    page.wait_for_selector("#map[data-loaded-risks='2']", timeout=30_000)

    major = page.locator("path.yj-risk-major")
    low = page.locator("path.yj-risk-low")
    assert major.count() == 1 and low.count() == 1
    assert major.get_attribute("fill") == "#d32f2f"  # 红
    assert low.get_attribute("fill") == "#1976d2"  # 蓝
    # The toggles: risk points on, hazards off until asked for; a four-colour legend.
    toggles = page.locator(".yj-prevention-layers label").all_inner_texts()
    assert [t.strip() for t in toggles] == ["风险点（四色）", "隐患"]
    assert "重大风险（红）" in page.locator(".yj-prevention-layers").inner_text()
    page.evaluate("() => window.yingjiMap.setView([30.70, 111.30], 13, { animate: false })")
    major.click()
    popup = page.locator(".leaflet-popup-content .risk-popup")
    popup.wait_for(timeout=10_000)
    assert "氯化反应釜" in popup.inner_text() and "西陵化工" in popup.inner_text()
    assert page.locator("path.yj-hazard").count() == 0  # off until asked for
    page.locator(".yj-prevention-layers input[data-layer='hazards']").check()
    page.wait_for_selector("#map[data-loaded-hazards='1']", timeout=10_000)
    assert page.locator("path.yj-hazard").count() == 1
    page.locator(".yj-prevention-layers input[data-layer='risks']").uncheck()
    assert page.locator("path.yj-risk-major").count() == 0
    assert not any(urlsplit(u).hostname not in (None, "127.0.0.1") for u in requests
                   if urlsplit(u).scheme != "data")  # fmt: skip
    assert errors == []
    context.close()


def test_risk_pages_fit_a_phone(server: tuple[str, str], browser: Browser) -> None:
    base_url, username = server
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    for path in ("/risks", "/risks/new", "/risks/installations"):
        page.goto(f"{base_url}{path}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    # The factor selects follow the chosen method.
    page.goto(f"{base_url}/risks/new")
    assert page.locator("#f-f_lec_L").is_visible()
    assert not page.locator("#f-f_ls_L").is_visible()
    page.select_option("#f-method", "ls")
    assert page.locator("#f-f_ls_L").is_visible() and not page.locator("#f-f_lec_L").is_visible()
    assert errors == []
    context.close()
