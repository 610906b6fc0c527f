"""The ledger page: downloads, the upload form with its CSRF token, dry runs and the error table."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.factories.orgs import credit_code, make_org
from tests.ledger.helpers import ENTERPRISE_HEADER, enterprise_count, xlsx
from tests.web.conftest import LoggedIn, csrf_of
from yingji.core.auth.roles import Role
from yingji.ledger.api import XLSX


def _upload(client: TestClient, kind: str, content: bytes, *, dry_run: bool = False,
            csrf: str | None = None) -> Response:  # fmt: skip
    page = client.get("/ledger")
    data = {"csrf_token": csrf if csrf is not None else csrf_of(page.text)}
    if dry_run:
        data["dry_run"] = "1"
    return client.post(
        f"/ledger/{kind}/import", data=data, files={"file": ("台账.xlsx", content, XLSX)}
    )


def test_the_page_offers_each_ledger(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in(Role.SPECIALIST)
    page = client.get("/ledger")
    assert page.status_code == 200
    for kind in ("enterprises", "risk_points", "hazards"):
        assert f'href="/api/ledger/{kind}/template"' in page.text
        assert f'action="/ledger/{kind}/import"' in page.text
    assert client.get("/api/ledger/enterprises/template").status_code == 200  # with the cookie


def test_an_enterprise_user_gets_no_enterprise_upload(
    client: TestClient, logged_in: LoggedIn, session: Session
) -> None:
    own = make_org(session, region_code="420502")
    session.commit()
    logged_in(Role.ENTERPRISE, "420502", own.id)
    page = client.get("/ledger")
    assert page.status_code == 200
    assert 'action="/ledger/enterprises/import"' not in page.text
    assert 'action="/ledger/hazards/import"' in page.text
    response = _upload(client, "enterprises", xlsx(ENTERPRISE_HEADER))
    assert response.status_code == 403


def test_a_reader_gets_exports_but_no_upload(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in(Role.MEMBER_UNIT)
    page = client.get("/ledger")
    assert page.status_code == 200
    assert 'href="/api/ledger/risk_points/export"' in page.text
    assert 'action="/ledger/' not in page.text


def test_grassroots_users_cannot_name_enterprises_so_get_no_upload(
    client: TestClient, logged_in: LoggedIn
) -> None:
    logged_in(Role.GRASSROOTS, "420502")
    page = client.get("/ledger")
    assert page.status_code == 200  # they read risks and hazards: the tab is theirs
    assert 'action="/ledger/' not in page.text
    assert 'href="/api/ledger/enterprises/export"' not in page.text
    response = _upload(client, "hazards", xlsx(["企业统一社会信用代码"]))
    assert response.status_code == 403


def test_errors_are_listed_and_nothing_is_imported(
    client: TestClient, logged_in: LoggedIn, session: Session
) -> None:
    logged_in(Role.SPECIALIST)
    content = xlsx(
        ENTERPRISE_HEADER,
        ["甲", "bad", "420502", "C2614"],
        ["乙", credit_code(), "420502", "C2614"],
        ["", credit_code(), "420502", "C2614"],
    )
    response = _upload(client, "enterprises", content)
    assert response.status_code == 422
    assert 'class="data-table ledger-errors"' in response.text
    assert '<td data-label="行">2</td>' in response.text
    assert '<td data-label="行">4</td>' in response.text
    session.expire_all()
    assert enterprise_count(session) == 0


def test_dry_run_then_import(client: TestClient, logged_in: LoggedIn, session: Session) -> None:
    logged_in(Role.SPECIALIST)
    content = xlsx(ENTERPRISE_HEADER, ["甲", credit_code(), "420502", "C2614"])
    response = _upload(client, "enterprises", content, dry_run=True)
    assert response.status_code == 200 and "可导入 1 条记录" in response.text
    session.expire_all()
    assert enterprise_count(session) == 0
    response = _upload(client, "enterprises", content)
    assert response.status_code == 200 and "已导入 1 条记录" in response.text
    session.expire_all()
    assert enterprise_count(session) == 1


def test_the_upload_needs_the_csrf_token(
    client: TestClient, logged_in: LoggedIn, session: Session
) -> None:
    logged_in(Role.SPECIALIST)
    content = xlsx(ENTERPRISE_HEADER, ["甲", credit_code(), "420502", "C2614"])
    assert _upload(client, "enterprises", content, csrf="wrong").status_code == 403
    assert _upload(client, "nothing", content).status_code == 404
    session.expire_all()
    assert enterprise_count(session) == 0
