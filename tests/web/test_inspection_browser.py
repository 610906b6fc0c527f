"""Carrying out an inspection in a real headless Chromium at phone size (375×812)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from pydantic import SecretStr
from sqlalchemy import select

from tests.core.test_files import png
from tests.factories.auth import PASSWORD, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from tests.hazards.inspection_fixtures import CUSTOM, actor_of
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port
from yingji.app import create_app
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.hazards import _checklist_store, _inspections
from yingji.hazards.inspection_schemas import InspectionKind, PlanCreate
from yingji.hazards.models import Hazard, InspectionTask
from yingji.models import metadata

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Server:
    """The running server, its database and the task to carry out."""

    base_url: str
    database_url: str
    username: str
    task_id: str


def _fill(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    metadata.create_all(engine)
    try:
        with make_session_factory(engine)() as session:
            make_tree(session)
            ent = make_org(session, name="西陵化工厂")
            user, _ = make_user(
                session, role=Role.ENTERPRISE, region_code="420502", organisation_id=ent.id
            )
            actor = actor_of(session, user)
            _checklist_store.create_custom(session, actor=actor, content=CUSTOM)
            _inspections.create_plan(
                session,
                actor=actor,
                data=PlanCreate(
                    kind=InspectionKind.SELF,
                    name="每日自查",
                    checklist_id=CUSTOM["id"],
                    starts_on=date(2026, 11, 1),
                ),
            )
            _inspections.create_due_tasks(
                session, actor=system_actor(source="tests"), today=date(2026, 11, 1)
            )
            task = session.scalars(select(InspectionTask)).one()
            session.commit()
            return user.username, str(task.id)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Run the application with uvicorn in a thread on a fresh SQLite database."""
    data_dir = tmp_path_factory.mktemp("inspection-browser")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    username, task_id = _fill(url)
    settings = Settings(
        env=Environment.TEST,
        database_url=url,
        data_dir=data_dir,
        secret_key=SecretStr("i" * 48),
        run_worker_in_server=False,
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, start_worker=False), host="127.0.0.1", port=port, log_level="warning"
    )
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not live.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", url, username, task_id)
    live.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make browser-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_task_carried_out_on_a_phone(server: Server, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    task_url = f"{server.base_url}/inspections/tasks/{server.task_id}"
    page.goto(task_url)
    page.fill("#username", server.username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(task_url)
    # Nothing is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    photo = tmp_path / "hazard.png"
    photo.write_bytes(png())
    first = page.locator("#item-XL-1")
    first.locator("button.answer.fail").click()
    first.locator(".note").fill("安全出口被货物堵塞")
    first.locator(".note").blur()
    first.locator("input.photo").set_input_files(str(photo))
    page.wait_for_selector("#item-XL-1 .photos li")
    page.wait_for_selector("#item-XL-1.saved")
    page.locator("#item-XL-2 button.answer.pass").click()
    page.wait_for_selector("#item-XL-2.saved")
    assert errors == []
    # Completing too early is refused with the missing item named.
    page.click("#complete")
    page.wait_for_selector("#complete-error:not([hidden])")
    assert "XL-3" in page.inner_text("#complete-error")
    assert all("422" in e for e in errors)  # the browser logs the refused request
    errors.clear()
    page.locator("#item-XL-3 button.answer.fail").click()
    page.wait_for_selector("#item-XL-3.saved")
    assert page.inner_text("#answered") == "3"
    page.screenshot(path=str(_artifacts() / "inspection-task-phone.png"), full_page=True)
    page.click("#complete")
    page.wait_for_selector("#task-summary")
    assert page.locator("a.hazard-link").count() == 2
    assert errors == []

    engine = make_engine(server.database_url)
    try:
        with make_session_factory(engine)() as session:
            hazards = {h.checklist_item_id: h for h in session.scalars(select(Hazard))}
    finally:
        engine.dispose()
    assert set(hazards) == {"XL-1", "XL-3"}
    assert hazards["XL-3"].major_by_definition  # cites HG-1 of 121号
    assert not hazards["XL-1"].major_by_definition


def _artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
