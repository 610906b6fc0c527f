"""The installation form in a real browser: chemical rows added and removed, then the grade."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr

from tests.factories.auth import PASSWORD, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port
from yingji.app import create_app
from yingji.core.auth.roles import Role
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.models import metadata

pytestmark = pytest.mark.browser


def _fill(url: str) -> str:
    engine = make_engine(url)
    metadata.create_all(engine)
    try:
        with make_session_factory(engine)() as session:
            make_tree(session)
            make_org(session, name="西陵化工", region_code="420502")
            user, _ = make_user(session, role=Role.SPECIALIST, region_code="420500")
            session.commit()
            return user.username
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("installations")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    username = _fill(url)
    settings = Settings(
        env=Environment.TEST, database_url=url, data_dir=data_dir,
        secret_key=SecretStr("d" * 48), run_worker_in_server=False,
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


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_installation_form_adds_rows_and_grades(server: tuple[str, str], browser: Browser) -> None:
    base_url, username = server
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, base_url, username)
    page.goto(f"{base_url}/risks/installations")
    page.get_by_role("link", name="新建重大危险源").click()
    page.wait_for_url(f"{base_url}/risks/installations/new")
    rows = page.locator("[data-substance-row]")
    assert rows.count() == 2
    page.select_option("#f-organisation_id", label="西陵化工")
    page.fill("#f-name", "液氯及甲醇罐区")
    page.select_option("#f-unit_kind", "storage")
    page.fill("#f-exposed_people", "100")
    # Two rows at first: drop the second, then add two and drop the first of those again.
    rows.nth(1).locator(".substance-remove").click()
    assert rows.count() == 1
    assert rows.nth(0).locator(".substance-remove").is_disabled()  # the last row stays
    page.click("#substance-add")
    page.click("#substance-add")
    assert rows.count() == 3
    rows.nth(1).locator(".substance-remove").click()
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    first.locator("select").select_option("12")  # 氯: Q 5 t, β 4
    first.locator("input[name^='s_label_']").fill("液氯储罐")
    first.locator("input[name^='s_q_']").fill("40")
    second.locator("select").select_option("65")  # 甲醇: Q 500 t, β by its class
    second.locator("input[name^='s_classes_']").fill("W5.3")
    second.locator("input[name^='s_q_']").fill("1000")
    assert second.locator("input[name^='s_q_']").get_attribute("name") == "s_q_3"
    page.click("form.installation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/risks/installations/[0-9a-f-]{36}\?saved=1$"))
    # S = 40/5 + 1000/500 = 10; R = α·Σβq/Q = 2 · (4·8 + 1·2) = 68: 二级 (50 ≤ R < 100).
    assert page.locator("#inst-s").inner_text().startswith("10")
    assert page.locator("#inst-r").inner_text().startswith("68")
    assert page.locator("#inst-grade").inner_text() == "二级"
    assert page.locator("#substance-table tbody tr").count() == 2
    assert errors == []
    context.close()


def test_installation_form_fits_a_phone(server: tuple[str, str], browser: Browser) -> None:
    base_url, username = server
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _log_in(page, base_url, username)
    page.goto(f"{base_url}/risks/installations/new")
    page.click("#substance-add")
    page.locator("details.class-table summary").click()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, width
    # A bad quantity comes back marked, in the page's language, with the rows kept.
    page.fill("#f-name", "仓库")
    page.select_option("#f-organisation_id", label="西陵化工")
    page.locator("#f-s_seq_0").select_option("65")
    page.fill("#f-s_q_0", "很多")
    page.click("form.installation-form button[type=submit]")
    page.wait_for_selector("#error-s_q_0")
    assert "请填写以吨为单位的数量" in page.locator("#error-s_q_0").inner_text()
    assert page.locator("#f-s_seq_0").input_value() == "65"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    # The only console error is Chromium noting the refused form's 422 status.
    assert [e for e in errors if "status of 422" not in e] == []
    context.close()
