"""A member of the public files a report on a phone-sized Chromium and tracks it by its code."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from pydantic import SecretStr

from tests.factories.regions import make_tree
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port
from yingji.app import create_app
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.models import metadata

pytestmark = pytest.mark.browser
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the application with uvicorn over a fresh SQLite database holding the test regions."""
    data_dir = tmp_path_factory.mktemp("public-report")
    url = f"sqlite:///{data_dir / 'yingji.sqlite3'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        make_tree(session)
        session.commit()
    engine.dispose()
    settings = Settings(
        env=Environment.TEST, database_url=url, data_dir=data_dir,
        secret_key=SecretStr("p" * 48), run_worker_in_server=False,
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
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
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


def test_file_and_track_at_375px(browser: Browser, base_url: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/report")
    assert page.locator("#identity").is_hidden()  # anonymous by default
    page.select_option("#category", "major_hazard")
    page.fill("#text", "工业园3号仓库消防通道被堵死，堆放大量易燃物品。")
    page.fill("#place", "西陵区某工业园3号仓库")
    page.select_option("#region_code", "420502")
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    page.set_input_files("#photos", str(photo))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the form overflows a phone screen ({width}px)"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "public-report-375.png"), full_page=True)
    page.click("#report-submit")
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code").strip()
    assert re.fullmatch(r"([0-9A-Z]{4}-){4}[0-9A-Z]{4}", code)
    page.goto(f"{base_url}/report/track")
    page.fill("#code", code.lower())
    page.click("#track-submit")
    page.wait_for_selector("#track-status")
    assert page.inner_text("#track-status") == "已收到，待受理"
    assert errors == []
    context.close()
