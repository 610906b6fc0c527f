"""HTTP API of risk points, installations, the summary and the GeoJSON layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from tests.factories.risks import LEC_LOW, LEC_MAJOR, make_installation, make_risk_point
from yingji.core.auth.roles import Role


@dataclass
class World:
    ent_a: uuid.UUID
    ent_b: uuid.UUID
    point_a: uuid.UUID
    inst_a: uuid.UUID
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def world(session: Session) -> World:
    make_tree(session)
    a = make_org(session, name="A 西陵化工", region_code="420502")
    b = make_org(session, name="B 伍家岗化工", region_code="420503")
    point = make_risk_point(
        session, organisation_id=a.id, factors=LEC_MAJOR, name="反应釜", lon=111.3, lat=30.7
    )
    make_risk_point(session, organisation_id=b.id, factors=LEC_LOW, lon=111.5, lat=30.7)
    inst = make_installation(session, organisation_id=a.id)
    w = World(a.id, b.id, point.id, inst.id)
    users = {
        "city": (Role.SPECIALIST, "420500", None),
        "district_b": (Role.SPECIALIST, "420503", None),
        "ent_a": (Role.ENTERPRISE, "420502", a.id),
        "ent_b": (Role.ENTERPRISE, "420503", b.id),
        "grassroots": (Role.GRASSROOTS, "420502", None),
    }
    for key, (role, region, org_id) in users.items():
        _, token = make_user(session, role=role, region_code=region, organisation_id=org_id)
        w.headers[key] = bearer(token)
    session.commit()
    return w


def _body(org: uuid.UUID, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "organisation_id": str(org), "name": "液氯装卸区", "kind": "activity",
        "method": "lec", "factors": {"L": 3, "E": 6, "C": 15}, "control_level": "workshop",
        "measures": [{"kind": "training", "description": "装卸作业培训", "control_level": "team"}],
    }  # fmt: skip
    body.update(fields)
    return body


def test_enterprise_creates_reads_and_reassesses(client: TestClient, world: World) -> None:
    h = world.headers["ent_a"]
    created = client.post("/api/risk-points", json=_body(world.ent_a), headers=h)
    assert created.status_code == 201, created.text
    data = created.json()
    assert (data["level"], data["level_zh"], data["colour"], data["score"]) == (
        "considerable", "较大", "orange", 270,
    )  # fmt: skip
    assert data["measures"][0]["kind"] == "training"
    got = client.get(f"/api/risk-points/{data['id']}", headers=h)
    assert got.status_code == 200
    patched = client.patch(
        f"/api/risk-points/{data['id']}",
        json={"factors": {"L": 1, "E": 6, "C": 3}, "reason": "复评"},
        headers=h,
    )
    assert patched.status_code == 200 and patched.json()["level"] == "low"
    listed = client.get("/api/risk-points", headers=h).json()
    assert listed["total"] == 2
    assert {i["organisation_id"] for i in listed["items"]} == {str(world.ent_a)}
    deleted = client.delete(f"/api/risk-points/{data['id']}", headers=h)
    assert deleted.status_code == 200 and deleted.json()["active"] is False


def test_errors_name_the_field(client: TestClient, world: World) -> None:
    h = world.headers["ent_a"]
    bad = client.post(
        "/api/risk-points", json=_body(world.ent_a, factors={"L": 4, "E": 6, "C": 15}), headers=h
    )
    assert bad.status_code == 422 and bad.json()["field"] == "factors.L"
    bad = client.post("/api/risk-points", json=_body(world.ent_a, bands="zzz"), headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "bands"
    bad = client.post("/api/risk-points", json=_body(world.ent_a, lon=111.3), headers=h)
    assert bad.status_code == 422 and bad.json()["field"] == "lat"
    no_reason = client.patch(
        f"/api/risk-points/{world.point_a}", json={"factors": LEC_LOW}, headers=h
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    bad_q = client.put(
        f"/api/installations/{world.inst_a}/substances",
        json={"substances": [{"label": "x", "seq": 12, "quantity_t": "-1"}], "reason": "r"},
        headers=h,
    )
    assert bad_q.status_code == 422


def test_denials(client: TestClient, world: World) -> None:
    b = world.headers["ent_b"]
    assert client.get(f"/api/risk-points/{world.point_a}", headers=b).status_code == 403
    assert (
        client.patch(f"/api/risk-points/{world.point_a}", json={"name": "x"}, headers=b).status_code
        == 403
    )
    assert client.post("/api/risk-points", json=_body(world.ent_a), headers=b).status_code == 403
    assert client.get(f"/api/installations/{world.inst_a}", headers=b).status_code == 403
    district = world.headers["district_b"]
    assert client.get(f"/api/risk-points/{world.point_a}", headers=district).status_code == 403
    g = world.headers["grassroots"]
    assert client.get(f"/api/risk-points/{world.point_a}", headers=g).status_code == 200
    assert client.post("/api/risk-points", json=_body(world.ent_a), headers=g).status_code == 403
    assert client.delete(f"/api/risk-points/{world.point_a}", headers=g).status_code == 403
    assert client.get("/api/risk-points").status_code == 401


def test_installations_api(client: TestClient, world: World) -> None:
    h = world.headers["ent_a"]
    body = {
        "organisation_id": str(world.ent_a), "name": "氨罐区", "unit_kind": "storage",
        "exposed_people": 120,
        "substances": [
            {"label": "液氨罐", "seq": 1, "quantity_t": "20"},
            {"label": "液氯罐", "seq": 12, "quantity_t": "5"},
        ],
    }  # fmt: skip
    created = client.post("/api/installations", json=body, headers=h)
    assert created.status_code == 201, created.text
    data = created.json()
    assert (data["s_exact"], data["is_major"], data["r_exact"], data["grade"]) == (
        "3", True, "16", 3,
    )  # fmt: skip
    assert data["grade_zh"] == "三级" and len(data["substances"]) == 2
    put = client.put(
        f"/api/installations/{data['id']}/substances",
        json={"substances": [{"label": "液氨罐", "seq": 1, "quantity_t": "2"}], "reason": "减量"},
        headers=h,
    )
    assert put.status_code == 200, put.text
    assert (put.json()["is_major"], put.json()["grade"]) == (False, None)
    assert put.json()["last_change_reason"].startswith("减量")
    listed = client.get("/api/installations", headers=world.headers["city"]).json()
    assert listed["total"] == 2


def test_summary_and_geojson(client: TestClient, world: World) -> None:
    city = world.headers["city"]
    rows = client.get("/api/risks/summary?group_by=region", headers=city).json()
    by_key = {r["key"]: r for r in rows}
    assert by_key["420502"]["major"] == 1 and by_key["420503"]["low"] == 1
    industry = client.get("/api/risks/summary?group_by=industry", headers=city)
    assert industry.status_code == 200
    geo = client.get("/api/risks/geojson", headers=city).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    colours = {f["properties"]["name"]: f["properties"]["colour"] for f in geo["features"]}
    assert colours["反应釜"] == "red"
    mine = client.get("/api/risks/geojson", headers=world.headers["ent_b"]).json()
    assert len(mine["features"]) == 1 and mine["features"][0]["properties"]["colour"] == "blue"
    assert client.get("/api/risks/geojson?level=nope", headers=city).status_code == 422
