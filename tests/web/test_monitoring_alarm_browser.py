"""The alarm list in a real headless Chromium: alarms raised by the rule engine, acknowledged with
one click, a new alarm appearing without a reload, a phone's width, and the board's counts.

Alarms are raised as the rules worker raises them (``service.RuleRuntime.evaluate``) in the
database the server runs on. Screenshots go to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.web.test_browser import ARTIFACTS
from tests.web.test_monitoring_browser import Live, Session, _log_in
from tests.web.test_monitoring_browser import browser as browser  # fixture, per module
from tests.web.test_monitoring_browser import live as live  # fixture: a server per module
from yingji.core.auth.actor import system_actor
from yingji.core.db import make_session_factory
from yingji.monitoring import service

pytestmark = pytest.mark.browser


def _raise(live: Live, code: str, value: float) -> str:
    """Hold a value for 15 s through the rule engine and commit; return the open alarm's id."""
    sensor_id = live.world.sensors[code]
    now = time.time()
    with make_session_factory(live.engine)() as session:
        runtime = service.RuleRuntime.load(session)
        moments = [int((now - ago) * 1000) for ago in (16.0, 1.0)]
        runtime.evaluate(session, [sensor_id, sensor_id], moments, [value, value])
        session.commit()
        alarms, _n = service.list_alarms(
            session, actor=system_actor(source="tests"), sensor_id=sensor_id, handled=False, limit=1
        )
        return str(alarms[0].id)


@pytest.fixture
def watched(browser: Browser, live: Live) -> Iterator[Session]:
    """A duty officer's desktop page, closed afterwards."""
    session = _log_in(browser, live, 1280)
    yield session
    session.page.context.close()


def test_alarms_appear_are_acknowledged_and_new_ones_arrive_without_reload(
    live: Live,
    watched: Session,
) -> None:
    gas = _raise(live, "CH4-01", 60.0)  # orange
    page = watched.page
    page.goto(f"{live.base_url}/monitoring/alarms")
    row = page.locator(f"#alarm-{gas}")
    row.wait_for()
    assert "band-orange" in (row.get_attribute("class") or "")
    assert "报警中·未确认" in row.inner_text() and "可燃气体探测器 1" in row.inner_text()
    assert "超限" in row.inner_text() and "%LEL" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "monitoring-alarms-desktop.png"), full_page=True)

    # One click acknowledges it: the form posts, the list comes back with a notice.
    row.locator("form.alarm-ack button").click()
    page.wait_for_selector("#alarm-notice")
    row = page.locator(f"#alarm-{gas}")
    assert row.get_attribute("data-status") == "active_ack"
    assert "报警中·已确认" in row.inner_text()
    assert "done=" not in page.url  # the notice is for this visit only
    assert row.locator("form.alarm-ack").count() == 0
    assert row.locator("details.alarm-dispose summary").count() == 1

    # The dispose form opens in place; while it is open the polling leaves it alone.
    row.locator("details.alarm-dispose summary").click()
    row.locator("textarea[name=note]").fill("现场检查中")

    # A new alarm raised while the page is open appears on the next poll, without a reload.
    page.evaluate("() => { window.__notReloaded = true; }")
    pressure = _raise(live, "P-R", 0.5)  # red
    page.wait_for_selector(f"#alarm-{pressure}", timeout=20_000)
    first = page.locator("#alarm-rows tr").first
    assert first.get_attribute("id") == f"alarm-{pressure}"
    assert "band-red" in (first.get_attribute("class") or "")
    assert page.evaluate("() => window.__notReloaded") is True
    assert row.locator("textarea[name=note]").input_value() == "现场检查中"
    assert "条报警未确认" in page.inner_text("#alarm-unack")
    page.screenshot(path=str(ARTIFACTS / "monitoring-alarms-form.png"), full_page=True)

    # Dispose with the form that stayed open.
    row.locator("select[name=disposition]").select_option("test")
    row.locator("details.alarm-dispose button[type=submit]").click()
    page.wait_for_selector("#alarm-notice")
    assert "测试" in page.locator(f"#alarm-{gas}").inner_text()
    page.screenshot(path=str(ARTIFACTS / "monitoring-alarms-acted.png"), full_page=True)
    watched.assert_clean()


def test_the_board_counts_alarms_and_links_to_the_list(
    live: Live,
    watched: Session,
) -> None:
    _raise(live, "P-O", 0.5)
    page = watched.page
    page.goto(f"{live.base_url}/monitoring")
    link = page.locator("#board-alarms")
    link.wait_for()
    assert "条报警未确认" in link.inner_text()
    badge = page.locator(f".mon-sensor[data-sensor='{live.world.sensors['P-O']}'] .mon-alarm-badge")
    assert badge.is_visible() and int(badge.inner_text()) >= 1
    assert page.locator(".mon-object .mon-alarm-count").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "monitoring-board-alarms.png"), full_page=True)
    link.click()
    page.wait_for_url(f"{live.base_url}/monitoring/alarms")
    watched.assert_clean()


def _switch_language(page: Page, live: Live, language: str) -> None:
    """Use the menu's language switch (folded away on a phone, so clicked from a script)."""
    page.goto(f"{live.base_url}/monitoring/alarms")
    with page.expect_navigation():
        page.evaluate(
            "lang => document.querySelector(`form.language-switch button[value=${lang}]`).click()",
            language,
        )


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_alarm_list_fits_a_phone(
    live: Live,
    browser: Browser,
    language: str,
) -> None:
    _raise(live, "P-Y", 0.5)
    watched = _log_in(browser, live, 375, 740)
    page = watched.page
    if language == "en":
        _switch_language(page, live, "en")
    page.goto(f"{live.base_url}/monitoring/alarms")
    page.wait_for_selector("#alarm-rows tr")
    page.locator("#alarm-rows tr details.alarm-assign summary").first.click()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, width
    box = page.locator("#alarm-rows tr").first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.screenshot(path=str(ARTIFACTS / f"monitoring-alarms-phone-{language}.png"), full_page=True)
    if language == "en":
        assert "Active, unacknowledged" in page.inner_text("#alarm-rows")
        _switch_language(page, live, "zh_CN")  # back, for the other tests of this user
    watched.assert_clean()
    page.context.close()
