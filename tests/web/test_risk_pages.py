"""Risk register and installation pages: who sees what, the forms, the summary."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person
from tests.factories.risks import LEC_LOW, LEC_MAJOR, make_installation, make_risk_point
from tests.web.conftest import LoggedIn, csrf_of
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.risks import service

_ROW_LINK = re.compile(r'<a href="/risks/([0-9a-f-]{36})">')


def _post(client: TestClient, path: str, data: dict[str, str]) -> Response:
    fields = {**data, "csrf_token": csrf_of(client.get("/").text)}
    return client.post(path, data=fields, follow_redirects=False)


def test_enterprise_sees_only_its_points_and_records_one(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    a = make_org(session, name="甲化工", region_code="420502")
    b = make_org(session, name="乙化工", region_code="420503")
    person = make_person(session, organisation_id=a.id, name="王五")
    mine = make_risk_point(session, organisation_id=a.id, factors=LEC_MAJOR, name="氯化反应釜")
    other = make_risk_point(session, organisation_id=b.id, factors=LEC_LOW, name="乙仓库")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=a.id)
    page = client.get("/risks")
    assert page.status_code == 200
    assert set(_ROW_LINK.findall(page.text)) == {str(mine.id)}
    assert "risk-red" in page.text and "summary-region" not in page.text
    assert client.get(f"/risks/{other.id}").status_code == 403
    form = client.get("/risks/new")
    assert form.status_code == 200 and "完全可以预料" in form.text and "王五" in form.text
    created = _post(
        client,
        "/risks/new",
        {
            "name": "液氯装卸", "kind": "activity", "method": "lec", "f_lec_L": "3",
            "f_lec_E": "6", "f_lec_C": "15", "bands_lec": "xiaomilidoc",
            "control_level": "workshop", "hazard_factors": "泄漏，中毒",
            "m_kind_0": "training", "m_desc_0": "装卸作业培训", "m_level_0": "team",
            "m_person_0": str(person.id),
        },
    )  # fmt: skip
    assert created.status_code == 303, created.text
    detail = client.get(created.headers["location"])
    assert "risk-orange" in detail.text and "装卸作业培训" in detail.text
    point_id = created.headers["location"].split("/")[2].split("?")[0]
    point = service.get_risk_point(
        session, actor=system_actor(source="tests"), risk_point_id=uuid.UUID(point_id)
    )
    assert point.hazard_factors == ["泄漏", "中毒"] and point.organisation_id == a.id
    bad = _post(client, "/risks/new", {"name": "", "kind": "place", "method": "lec",
                                       "control_level": "team"})  # fmt: skip
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    no_reason = _post(
        client,
        f"/risks/{point_id}",
        {
            "name": "液氯装卸", "kind": "activity", "method": "lec", "f_lec_L": "1",
            "f_lec_E": "6", "f_lec_C": "3", "bands_lec": "xiaomilidoc",
            "control_level": "workshop",
        },
    )  # fmt: skip
    assert no_reason.status_code == 422
    ok = _post(
        client,
        f"/risks/{point_id}",
        {
            "name": "液氯装卸", "kind": "activity", "method": "lec", "f_lec_L": "1",
            "f_lec_E": "6", "f_lec_C": "3", "bands_lec": "xiaomilidoc",
            "control_level": "workshop", "reason": "加装切断阀",
        },
    )  # fmt: skip
    assert ok.status_code == 303
    assert "risk-blue" in client.get(f"/risks/{point_id}").text


def test_bureau_sees_summary_and_filters(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    a = make_org(session, name="甲化工", region_code="420502")
    b = make_org(session, name="乙化工", region_code="420503")
    make_risk_point(session, organisation_id=a.id, factors=LEC_MAJOR, name="反应釜")
    make_risk_point(session, organisation_id=b.id, factors=LEC_LOW, name="仓库")
    session.commit()
    logged_in(role=Role.COMMANDER, region_code="420500")
    page = client.get("/risks")
    assert page.status_code == 200
    assert (
        "summary-region" in page.text and "西陵区" in page.text and "summary-industry" in page.text
    )
    assert len(_ROW_LINK.findall(page.text)) == 2
    filtered = client.get("/risks?level=major")
    assert len(_ROW_LINK.findall(filtered.text)) == 1
    assert len(_ROW_LINK.findall(client.get("/risks?region=420503").text)) == 1
    assert client.get("/risks?region=%00&level=zz&page=x").status_code == 200
    assert client.get("/risks/new").status_code == 403  # a commander reads only


def test_grassroots_cannot_write(session: Session, client: TestClient, logged_in: LoggedIn) -> None:
    a = make_org(session, name="甲化工", region_code="420502")
    point = make_risk_point(session, organisation_id=a.id)
    session.commit()
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    assert client.get(f"/risks/{point.id}").status_code == 200
    assert "Edit or re-assess" not in client.get(f"/risks/{point.id}").text
    denied = _post(client, f"/risks/{point.id}/deactivate", {})
    assert denied.status_code == 403
    assert client.get("/risks/not-a-uuid").status_code == 404


def test_installation_pages_and_change(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    a = make_org(session, name="甲化工", region_code="420502")
    inst = make_installation(session, organisation_id=a.id, name="液氯库")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=a.id)
    listing = client.get("/risks/installations")
    assert listing.status_code == 200 and "液氯库" in listing.text and "二级" in listing.text
    detail = client.get(f"/risks/installations/{inst.id}")
    assert detail.status_code == 200 and 'id="substance-table"' in detail.text
    no_reason = _post(client, f"/risks/installations/{inst.id}", {"q_0": "100"})
    assert no_reason.status_code == 422
    changed = _post(client, f"/risks/installations/{inst.id}", {"q_0": "100", "reason": "扩容"})
    assert changed.status_code == 303
    after = client.get(f"/risks/installations/{inst.id}").text
    assert "一级" in after and "扩容" in after
