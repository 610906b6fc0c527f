"""The ledger API: template download, import (dry run, errors, success), export."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import credit_code, make_org
from tests.factories.regions import make_tree
from tests.ledger.helpers import ENTERPRISE_HEADER, HAZARD_HEADER, enterprise_count, rows_of, xlsx
from yingji.core.auth.roles import Role
from yingji.ledger.api import XLSX


def _token(
    session: Session, role: Role = Role.SPECIALIST, region: str = "420500", **kw: object
) -> dict[str, str]:
    _, raw = make_user(session, role=role, region_code=region, **kw)  # type: ignore[arg-type]
    session.commit()
    return bearer(raw)


def _upload(content: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("台账.xlsx", content, XLSX)}


def test_template_download(client: TestClient, session: Session) -> None:
    make_tree(session)
    headers = _token(session)
    response = client.get("/api/ledger/hazards/template", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    assert rows_of(response.content)[0][0] == "企业统一社会信用代码*"
    assert client.get("/api/ledger/nothing/template", headers=headers).status_code == 422


def test_import_dry_run_then_for_real(client: TestClient, session: Session) -> None:
    make_tree(session)
    headers = _token(session)
    content = xlsx(ENTERPRISE_HEADER, ["甲化工", credit_code(), "420502", "C2614"])
    response = client.post(
        "/api/ledger/enterprises/import?dry_run=true", headers=headers, files=_upload(content)
    )
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 1 and response.json()["dry_run"] is True
    assert enterprise_count(session) == 0
    response = client.post(
        "/api/ledger/enterprises/import", headers=headers, files=_upload(content)
    )
    assert response.status_code == 201, response.text
    session.expire_all()
    assert enterprise_count(session) == 1


def test_import_errors_are_a_422_listing_rows_and_columns(
    client: TestClient, session: Session
) -> None:
    make_tree(session)
    headers = _token(session)
    content = xlsx(
        ENTERPRISE_HEADER,
        ["甲化工", "bad", "420502", "C2614"],
        ["乙化工", credit_code(), "420502", "X"],
    )
    response = client.post(
        "/api/ledger/enterprises/import", headers=headers, files=_upload(content)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["imported"] == 0
    assert [(e["row"], e["column"], e["field"]) for e in body["errors"]] == [
        (2, "B", "credit_code"),
        (3, "D", "industry_code"),
    ]
    assert enterprise_count(session) == 0


def test_a_renamed_text_file_is_a_422(client: TestClient, session: Session) -> None:
    make_tree(session)
    response = client.post(
        "/api/ledger/enterprises/import",
        headers=_token(session),
        files=_upload(b"name,credit_code\nfoo,bar\n"),
    )
    assert response.status_code == 422
    assert "not an .xlsx" in response.json()["errors"][0]["message"]


def test_enterprise_users_may_not_import_enterprises(client: TestClient, session: Session) -> None:
    make_tree(session)
    own = make_org(session, region_code="420502")
    headers = _token(session, Role.ENTERPRISE, "420502", organisation_id=own.id)
    content = xlsx(ENTERPRISE_HEADER, ["甲化工", credit_code(), "420502", "C2614"])
    response = client.post(
        "/api/ledger/enterprises/import", headers=headers, files=_upload(content)
    )
    assert response.status_code == 403
    # ...but may import their own hazards, and not another enterprise's
    other = make_org(session, region_code="420502")
    session.commit()
    content = xlsx(HAZARD_HEADER, [other.credit_code, "别家", "企业自查", None])
    response = client.post("/api/ledger/hazards/import", headers=headers, files=_upload(content))
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "A"


def test_roles_without_read_access_may_not_export(client: TestClient, session: Session) -> None:
    make_tree(session)
    headers = _token(session, Role.GRASSROOTS, "420502")
    assert client.get("/api/ledger/enterprises/export", headers=headers).status_code == 403


def test_export_by_region(client: TestClient, session: Session) -> None:
    make_tree(session)
    make_org(session, region_code="420502", name="西陵企业")
    make_org(session, region_code="420503", name="伍家岗企业")
    headers = _token(session)
    response = client.get("/api/ledger/enterprises/export?region=420503", headers=headers)
    assert response.status_code == 200
    assert [r[0] for r in rows_of(response.content)[1:]] == ["伍家岗企业"]
    response = client.get("/api/ledger/enterprises/export?region=999999", headers=headers)
    assert response.status_code == 422
