"""HTTP API of hazards: report, board, lifecycle actions, 409 bodies, supervision, denials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.hazards import World, make_world, upload
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role


@dataclass
class Api:
    """The world with bearer headers and the enterprise user's actor (for uploads)."""

    world: World
    ent: dict[str, str]
    ent_b: dict[str, str]
    colleague: dict[str, str]
    chief: dict[str, str]
    grassroots: dict[str, str]
    ent_actor: Actor


@pytest.fixture
def api(session: Session) -> Api:
    """Users of the world, committed so the app's sessions see them."""
    world = make_world(session)
    ent_user, ent = make_user(
        session, role=Role.ENTERPRISE, region_code="420502", organisation_id=world.ent_a
    )
    _, colleague = make_user(
        session, role=Role.ENTERPRISE, region_code="420502", organisation_id=world.ent_a
    )
    _, ent_b = make_user(
        session, role=Role.ENTERPRISE, region_code="420503", organisation_id=world.ent_b
    )
    _, chief = make_user(
        session, role=Role.COMMANDER, region_code="420500", organisation_id=world.bureau
    )
    _, grassroots = make_user(session, role=Role.GRASSROOTS, region_code="420502")
    actor = Actor(
        role=Role.ENTERPRISE, user_id=ent_user.id, organisation_id=world.ent_a,
        region_code="420502", region_path="/420000/420500/420502/",
    )  # fmt: skip
    session.commit()
    return Api(
        world, bearer(ent), bearer(ent_b), bearer(colleague), bearer(chief), bearer(grassroots),
        actor,
    )  # fmt: skip


def _report(client: TestClient, api: Api, **fields: object) -> dict[str, object]:
    body = {"enterprise_id": str(api.world.ent_a), "title": "储罐区可燃气体报警器失效",
            "source": "self_inspection", **fields}  # fmt: skip
    response = client.post("/api/hazards", json=body, headers=api.ent)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_full_cycle(client: TestClient, session: Session, api: Api) -> None:
    hazard = _report(client, api, lon=111.3, lat=30.7)
    hid = hazard["id"]
    assert hazard["status"] == "reported"
    assert set(hazard["allowed_actions"]) == {"confirm", "reject"}  # type: ignore[arg-type]
    url = f"/api/hazards/{hid}"
    r = client.post(f"{url}/confirm", json={"grade": "major"}, headers=api.ent)
    assert r.status_code == 200, r.text
    assert r.json()["reported_to_department_at"] is not None
    deadline = (date.today() + timedelta(days=10)).isoformat()
    plan = {"kind": "general", "responsible_person_id": str(api.world.person_a),
            "deadline": deadline}  # fmt: skip
    r = client.put(f"{url}/plan", json={"plan": plan}, headers=api.ent)
    assert r.status_code == 422 and r.json()["field"] == "plan"
    full = {
        "kind": "full", "goal_and_tasks": "消除", "methods_and_measures": "更换",
        "funds_and_materials": "5万元", "responsible_organisation": "设备科",
        "responsible_person_id": str(api.world.person_a), "deadline": deadline,
        "requirements": "合格", "safety_measures_and_contingency_plan": "",
    }  # fmt: skip
    assert client.put(f"{url}/plan", json={"plan": full}, headers=api.ent).status_code == 200
    r = client.post(f"{url}/start-rectification", json={}, headers=api.ent)
    assert r.status_code == 422
    assert r.json()["field"] == "safety_measures_and_contingency_plan"
    full["safety_measures_and_contingency_plan"] = "停产，设置警戒"
    r = client.post(f"{url}/start-rectification", json={"plan": full}, headers=api.ent)
    assert r.status_code == 200 and r.json()["status"] == "rectifying"
    attachment = upload(session, api.ent_actor)
    session.commit()
    r = client.post(
        f"{url}/submit-rectification",
        json={"note": "已更换报警器", "attachment_ids": [str(attachment)]},
        headers=api.ent,
    )
    assert r.status_code == 200, r.text
    r = client.post(f"{url}/verify", json={"passed": True}, headers=api.ent)
    assert r.status_code == 403
    r = client.post(
        f"{url}/supervision",
        json={"supervising_org_id": str(api.world.bureau), "deadline": deadline},
        headers=api.chief,
    )
    assert r.status_code == 200 and r.json()["supervised"] is True
    r = client.post(f"{url}/verify", json={"passed": True}, headers=api.colleague)
    assert r.status_code == 200 and r.json()["status"] == "verified"
    assert "close" not in r.json()["allowed_actions"]
    assert client.post(f"{url}/close", json={}, headers=api.ent).status_code == 409
    r = client.post(f"{url}/supervision/lift", json={}, headers=api.chief)
    assert r.status_code == 200 and r.json()["supervised"] is False
    r = client.post(f"{url}/close", json={}, headers=api.ent)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    feature = client.get("/api/hazards/geojson", headers=api.chief).json()["features"][0]
    assert feature["properties"]["id"] == hid


def test_illegal_transition_names_allowed_actions(client: TestClient, api: Api) -> None:
    hid = _report(client, api)["id"]
    r = client.post(f"/api/hazards/{hid}/close", json={}, headers=api.ent)
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "illegal_transition"
    assert body["details"]["allowed_actions"] == ["confirm", "reject"]
    assert body["details"]["allowed_states"] == ["confirmed", "rejected"]
    assert "confirm" in body["message"]


def test_public_report_source_refused(client: TestClient, api: Api) -> None:
    body = {"enterprise_id": str(api.world.ent_a), "title": "x", "source": "public_report"}
    r = client.post("/api/hazards", json=body, headers=api.ent)
    assert r.status_code == 422
    assert r.json()["field"] == "source"


def test_denials(client: TestClient, api: Api) -> None:
    hid = _report(client, api)["id"]
    assert client.get(f"/api/hazards/{hid}", headers=api.ent_b).status_code == 403
    r = client.post(f"/api/hazards/{hid}/confirm", json={"grade": "general"}, headers=api.ent_b)
    assert r.status_code == 403
    r = client.post(
        f"/api/hazards/{hid}/confirm", json={"grade": "general"}, headers=api.grassroots
    )
    assert r.status_code == 403
    assert client.get(f"/api/hazards/{uuid.uuid4()}", headers=api.ent).status_code == 404
    listed = client.get("/api/hazards", headers=api.ent_b).json()
    assert listed["total"] == 0
    assert client.get("/api/hazards", headers=api.chief).json()["total"] == 1
    grassroots = client.get(f"/api/hazards/{hid}", headers=api.grassroots).json()
    assert grassroots["allowed_actions"] == []


def test_board_filters(client: TestClient, api: Api) -> None:
    _report(client, api, title="甲")
    _report(client, api, title="乙")
    r = client.get(
        "/api/hazards",
        params={"q": "甲", "status": ["reported"], "region": "420500", "limit": 1},
        headers=api.chief,
    )
    assert r.status_code == 200
    assert [h["title"] for h in r.json()["items"]] == ["甲"]
    assert client.get("/api/hazards", params={"region": "x!"}, headers=api.chief).status_code == 422
