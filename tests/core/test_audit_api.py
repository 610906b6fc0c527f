"""The audit API: auditors search the entries of their region subtree and check the chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories.audit import WUJIAGANG, record
from tests.factories.auth import bearer, make_user
from tests.factories.orgs import make_person
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry
from yingji.core.auth.roles import Role
from yingji.core.db import utcnow


@pytest.fixture
def tokens(session: Session) -> dict[Role, str]:
    """One bearer token per role that matters here, all in 宜昌市."""
    make_tree(session)
    roles = (Role.ADMIN, Role.COMMANDER, Role.DUTY_OFFICER, Role.SPECIALIST)
    made = {role: make_user(session, role=role, region_code="420500")[1] for role in roles}
    session.commit()
    return made


def test_admin_and_commander_search_the_log(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    record(session, 3, entity_type="gauge")
    record(session, 2, entity_type="shelter")

    for role in (Role.ADMIN, Role.COMMANDER):
        response = client.get(
            "/api/audit", params={"entity_type": "gauge"}, headers=bearer(tokens[role])
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 3
        assert [item["entity_id"] for item in body["items"]] == ["G2", "G1", "G0"]
        assert body["items"][0]["after"] == {"level_cm": 3, "note": "水位"}


def test_search_filters_and_pages(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    record(session, 5)
    headers = bearer(tokens[Role.ADMIN])
    now = utcnow()

    page = client.get(
        "/api/audit", params={"entity_type": "gauge", "limit": 2, "offset": 1}, headers=headers
    ).json()
    one = client.get("/api/audit", params={"entity_id": "G4"}, headers=headers).json()
    by = client.get("/api/audit", params={"actor": "gauge-feed"}, headers=headers).json()
    future = client.get(
        "/api/audit", params={"since": (now + timedelta(hours=1)).isoformat()}, headers=headers
    ).json()
    past = client.get(
        "/api/audit", params={"until": (now - timedelta(hours=1)).isoformat()}, headers=headers
    ).json()
    window = client.get(
        "/api/audit",
        params={
            "entity_type": "gauge",
            "since": (now - timedelta(hours=1)).isoformat(),
            "until": (now + timedelta(hours=1)).isoformat(),
        },
        headers=headers,
    ).json()

    assert (page["total"], [i["entity_id"] for i in page["items"]]) == (5, ["G3", "G2"])
    assert [i["entity_id"] for i in one["items"]] == ["G4"]
    assert by["total"] == 5
    assert (future["total"], past["total"], window["total"]) == (0, 0, 5)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"entity_type": "gauge\x00"}, "entity_type"),
        ({"actor": "\x00"}, "actor"),
        ({"since": "0001-01-01T00:00:00+08:00"}, "since"),
        ({"since": "2024-05-01T08:00:00"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"}, "since"),
    ],
)
def test_bad_search_parameters_answer_422_naming_the_field(
    client: TestClient, tokens: dict[Role, str], params: dict[str, object], field: str
) -> None:
    response = client.get("/api/audit", params=params, headers=bearer(tokens[Role.ADMIN]))

    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit/verify"])
def test_lower_roles_are_refused(client: TestClient, tokens: dict[Role, str], path: str) -> None:
    for role in (Role.DUTY_OFFICER, Role.SPECIALIST):
        response = client.get(path, headers=bearer(tokens[role]))
        assert response.status_code == 403, (role, response.text)
        assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit/verify"])
def test_anonymous_callers_must_log_in(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 401
    assert client.get(path, headers=bearer("yj_not-a-token")).status_code == 401


def test_verify_endpoint_reports_the_chain(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    headers = bearer(tokens[Role.ADMIN])
    healthy = client.get("/api/audit/verify", headers=headers)
    last = session.scalar(select(func.max(AuditEntry.seq)))
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    session.commit()
    broken = client.get("/api/audit/verify", headers=bearer(tokens[Role.COMMANDER]))

    assert healthy.status_code == 200
    assert healthy.json() == {"ok": True, "checked": last, "first_broken_seq": None, "reason": None}
    assert broken.json() == {
        "ok": False,
        "checked": 1,
        "first_broken_seq": 2,
        "reason": "entry 2 is missing",
    }


def _entity_ids(client: TestClient, token: str, **params: str) -> list[str]:
    response = client.get("/api/audit", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["entity_id"] for item in body["items"]]


def test_a_district_admin_reads_only_its_own_districts_entries(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    xiling = make_person(session, region_code="420502")
    wujiagang = make_person(session, region_code="420503")
    district_admin, district = make_user(session, role=Role.ADMIN, region_code="420503")
    session.commit()

    people = client.get("/api/audit", params={"entity_type": "person"}, headers=bearer(district))

    assert [item["entity_id"] for item in people.json()["items"]] == [str(wujiagang.id)]
    assert people.json()["items"][0]["region_path"] == WUJIAGANG
    assert _entity_ids(client, district, entity_id=str(xiling.id)) == []
    # The city's users (one level up) are not the district's to audit either: only its own token.
    tokens_seen = _entity_ids(client, district, entity_type="api_token")
    assert len(tokens_seen) == 1
    owner = session.scalars(select(AuditEntry.after).where(AuditEntry.entity_id == tokens_seen[0]))
    assert owner.one()["user_id"] == str(district_admin.id)


def test_a_city_commander_reads_every_district_of_the_city(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    xiling = make_person(session, region_code="420502")
    wujiagang = make_person(session, region_code="420503")
    make_person(session, region_code="420102")  # 武汉市江岸区: another city
    session.commit()

    seen = _entity_ids(client, tokens[Role.COMMANDER], entity_type="person")

    assert seen == [str(wujiagang.id), str(xiling.id)]


def test_entries_without_a_region_are_for_administrators_only(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    refused = client.post("/api/auth/token", json={"username": "no.such.user", "password": "x"})
    assert refused.status_code == 401

    assert _entity_ids(client, tokens[Role.ADMIN], entity_type="login") == ["no.such.user"]
    assert _entity_ids(client, tokens[Role.COMMANDER], entity_type="login") == []
