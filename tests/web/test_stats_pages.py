"""Statistics and trace-back pages: content, the quarterly downloads, refusals, phone layout."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.hazards.test_statistics import add_hazard
from tests.web.conftest import LoggedIn
from yingji.core.auth.roles import Role
from yingji.hazards.models import Hazard
from yingji.hazards.states import HazardGrade, HazardStatus


@pytest.fixture
def hazard(session: Session, tree: None) -> Hazard:
    ent = make_org(session, region_code="420502", name="甲化工")
    made = add_hazard(session, ent, status=HazardStatus.RECTIFYING, grade=HazardGrade.MAJOR,
                      title="储罐区报警器失效", location="储罐区")  # fmt: skip
    add_hazard(session, ent, status=HazardStatus.CLOSED, grade=HazardGrade.GENERAL, days_to_close=2)
    session.commit()
    return made


def test_stats_page(client: TestClient, hazard: Hazard, logged_in: LoggedIn) -> None:
    logged_in(Role.SPECIALIST, "420500")
    page = client.get("/hazards/stats")
    assert page.status_code == 200
    assert "隐患统计" in page.text and "西陵区" in page.text and "<progress" in page.text
    assert "季度统计分析表" in page.text and "format=csv" in page.text
    assert 'style="' not in page.text  # the CSP forbids inline styles
    annual = client.get("/hazards/stats", params={"year": "2026", "quarter": "0"})
    assert annual.status_code == 200 and "全年" in annual.text
    junk = client.get("/hazards/stats", params={"region": "<b>", "industry": "??", "year": "x"})
    assert junk.status_code == 200
    outside = client.get("/hazards/stats", params={"region": "420102"})
    assert outside.status_code == 403


def test_stats_page_refused_without_grant(
    client: TestClient, hazard: Hazard, logged_in: LoggedIn
) -> None:
    logged_in(Role.GRASSROOTS, "420502")
    assert client.get("/hazards/stats").status_code == 403


def test_trace_page(client: TestClient, hazard: Hazard, logged_in: LoggedIn) -> None:
    logged_in(Role.INSPECTOR, "420500")
    empty = client.get("/hazards/trace")
    assert empty.status_code == 200 and "责任倒查" in empty.text
    page = client.get("/hazards/trace", params={"hazard_id": str(hazard.id)})
    assert page.status_code == 200
    assert hazard.number in page.text and "/api/trace?" in page.text
    place = client.get("/hazards/trace", params={"region": "420502", "place": "储罐"})
    assert hazard.number in place.text
    csv = client.get(f"/api/trace?hazard_id={hazard.id}&format=csv")
    assert csv.status_code == 200 and hazard.number in csv.content.decode("utf-8-sig")


def test_trace_page_refusals(client: TestClient, hazard: Hazard, logged_in: LoggedIn) -> None:
    logged_in(Role.INSPECTOR, "420503")
    assert client.get("/hazards/trace", params={"hazard_id": str(hazard.id)}).status_code == 403


def test_trace_page_needs_the_grant(
    client: TestClient, hazard: Hazard, logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    assert client.get("/hazards/trace").status_code == 403
