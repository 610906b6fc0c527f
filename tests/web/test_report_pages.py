"""The public report pages (no login) and the bureau's triage pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.web.conftest import LoggedIn, csrf_of
from yingji.core.auth.roles import Role
from yingji.reports.models import PublicReport

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CODE = re.compile(r'id="tracking-code">([0-9A-Z-]+)<')
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _file(client: TestClient, **fields: str) -> str:
    page = client.get("/report")
    assert page.status_code == 200 and "yingji_session" not in page.headers.get("set-cookie", "")
    token = _TOKEN.search(page.text)
    assert token is not None
    data = {
        "category": "major_hazard", "text": "仓库消防通道被堵死，堆放大量易燃物。",
        "region_code": "420502", "anonymous": "1", "form_token": token.group(1), **fields,
    }  # fmt: skip
    response = client.post("/report", data=data, files=[("photos", ("a.png", PNG, "image/png"))])
    assert response.status_code == 201, response.text
    code = _CODE.search(response.text)
    assert code is not None
    return code.group(1)


def test_public_form_renders_without_login(client: TestClient, tree: None) -> None:
    page = client.get("/report")
    assert page.status_code == 200
    assert "举报" in page.text and 'name="website"' in page.text
    assert 'class="nav-modules"' not in page.text


def test_file_and_track_through_the_pages(client: TestClient, session: Session, tree: None) -> None:
    code = _file(client)
    report = session.scalars(select(PublicReport)).one()
    assert report.region_code == "420502" and len(report.attachment_ids) == 1
    tracked = client.post("/report/track", data={"code": code})
    assert tracked.status_code == 200 and "已收到，待受理" in tracked.text
    unknown = client.post("/report/track", data={"code": "0000-0000-0000-0000-0000"})
    assert "未找到" in unknown.text


def test_a_form_without_its_token_or_with_the_honeypot_is_refused(
    client: TestClient, session: Session, tree: None
) -> None:
    data = {"category": "other", "text": "一段足够长的举报内容文字。", "anonymous": "1"}
    assert client.post("/report", data=data).status_code == 422
    token = _TOKEN.search(client.get("/report").text)
    assert token is not None
    bot = {**data, "form_token": token.group(1), "website": "spam"}
    assert client.post("/report", data=bot).status_code == 422
    assert session.scalars(select(PublicReport)).all() == []


def test_bureau_accepts_a_report_from_the_detail_page(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    org = make_org(session, region_code="420502", name="宜昌某化工有限公司")
    session.commit()
    _file(client)
    logged_in(Role.SPECIALIST)
    listing = client.get("/reports")
    assert listing.status_code == 200 and "已收到，待受理" in listing.text
    rid = session.scalars(select(PublicReport.id)).one()
    detail = client.get(f"/reports/{rid}")
    assert detail.status_code == 200 and "宜昌某化工有限公司" in detail.text
    missing_title = client.post(
        f"/reports/{rid}/accept",
        data={"csrf_token": csrf_of(detail.text), "enterprise_id": str(org.id), "title": ""},
    )
    assert missing_title.status_code == 422
    done = client.post(
        f"/reports/{rid}/accept",
        data={
            "csrf_token": csrf_of(detail.text),
            "enterprise_id": str(org.id),
            "title": "通道堵塞",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.scalars(select(PublicReport.status)).one() == "accepted"
    forged = client.post(f"/reports/{rid}/extend", data={"reason": "x"})
    assert forged.status_code == 403


def test_enterprise_users_cannot_open_the_reports(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    org = make_org(session, region_code="420502")
    session.commit()
    logged_in(Role.ENTERPRISE, "420502", org.id)
    assert client.get("/reports").status_code == 403


def test_the_chinese_pages_show_no_english(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    from tests.web.test_i18n import _latin_words

    make_org(session, region_code="420502", name="宜昌某化工有限公司")
    session.commit()
    pages = {
        "/report": client.get("/report").text,
        "/report/track": client.get("/report/track").text,
    }
    code = _file(client)
    pages["track"] = client.post("/report/track", data={"code": code}).text
    user = logged_in(Role.SPECIALIST)
    rid = session.scalars(select(PublicReport.id)).one()
    pages["/reports"] = client.get("/reports").text
    pages["/reports/id"] = client.get(f"/reports/{rid}").text
    found = {path: _latin_words(html, user) for path, html in pages.items()}
    assert {path: words for path, words in found.items() if words} == {}


def test_the_public_form_in_english(client: TestClient, tree: None) -> None:
    from yingji.core.i18n import LANG_COOKIE

    client.cookies.set(LANG_COOKIE, "en")
    page = client.get("/report")
    assert "Report a safety hazard" in page.text and "Report anonymously" in page.text
