"""HTTP: statistics, the quarterly table (JSON/CSV/XLSX) and trace-back, with their denials."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from tests.hazards.test_statistics import add_hazard
from yingji.core.auth.roles import Role
from yingji.hazards.states import HazardGrade, HazardStatus


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    make_tree(session)
    a = make_org(session, region_code="420502", name="甲化工")
    b = make_org(session, region_code="420503")
    hazard = add_hazard(session, a, status=HazardStatus.RECTIFYING, grade=HazardGrade.MAJOR)
    add_hazard(session, b, status=HazardStatus.CLOSED, grade=HazardGrade.GENERAL, days_to_close=3)
    _, city = make_user(session, role=Role.SPECIALIST, region_code="420500")
    _, district = make_user(session, role=Role.INSPECTOR, region_code="420503")
    _, grassroots = make_user(session, role=Role.GRASSROOTS, region_code="420502")
    _, duty = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    _, ent = make_user(session, role=Role.ENTERPRISE, region_code="420502", organisation_id=a.id)
    session.commit()
    return {
        "a": a, "b": b, "hazard": hazard, "city": bearer(city), "district": bearer(district),
        "grassroots": bearer(grassroots), "duty": bearer(duty), "ent": bearer(ent),
    }  # fmt: skip


def test_statistics(client: TestClient, world: dict[str, Any]) -> None:
    body = client.get("/api/hazards/statistics", headers=world["city"]).json()
    assert body["total"] == 2 and body["major_open"] == 1
    body = client.get("/api/hazards/statistics?region=420503", headers=world["city"]).json()
    assert body["total"] == 1 and body["mean_days_to_close"] == pytest.approx(3, abs=0.01)
    assert client.get("/api/hazards/statistics", headers=world["ent"]).json()["total"] == 1
    assert client.get("/api/hazards/statistics", headers=world["grassroots"]).status_code == 403
    response = client.get("/api/hazards/statistics?region=420502", headers=world["district"])
    assert response.status_code == 403
    assert (
        client.get("/api/hazards/statistics?industry=ZZ", headers=world["city"]).status_code == 422
    )
    assert (
        client.get("/api/hazards/statistics?region=999999", headers=world["city"]).status_code
        == 404
    )


def test_quarterly(client: TestClient, world: dict[str, Any]) -> None:
    from datetime import date

    year, quarter = date.today().year, (date.today().month - 1) // 3 + 1
    url = f"/api/hazards/quarterly?year={year}&quarter={quarter}"
    body = client.get(url, headers=world["city"]).json()
    assert body["total"]["major_found"] == 1 and body["due_on"]
    csv = client.get(url + "&format=csv", headers=world["city"])
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = client.get(url + "&format=xlsx", headers=world["city"])
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    mine = client.get(url, headers=world["ent"]).json()
    assert mine["enterprise_id"] == str(world["a"].id)
    other = client.get(url + f"&enterprise_id={world['b'].id}", headers=world["ent"])
    assert other.status_code == 403
    both = client.get(url + f"&region=420502&enterprise_id={world['a'].id}", headers=world["city"])
    assert both.status_code == 422
    assert client.get(url, headers=world["grassroots"]).status_code == 403
    assert (
        client.get("/api/hazards/quarterly?year=2026&quarter=5", headers=world["city"]).status_code
        == 422
    )


def test_trace(client: TestClient, world: dict[str, Any]) -> None:
    url = f"/api/trace?hazard_id={world['hazard'].id}"
    body = client.get(url, headers=world["city"]).json()
    assert body["entries"] and body["entries"][0]["entity_type"] == "hazard"
    csv = client.get(url + "&format=csv", headers=world["city"])
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert client.get(url, headers=world["district"]).status_code == 403
    assert client.get(url, headers=world["duty"]).status_code == 403
    assert client.get(url, headers=world["ent"]).status_code == 200
    assert client.get("/api/trace", headers=world["city"]).status_code == 422
    assert client.get("/api/trace").status_code == 401
