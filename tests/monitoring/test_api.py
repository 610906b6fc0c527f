"""Monitoring API: registry by region and enterprise, gateway credentials, readings, history."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry
from yingji.core.auth.roles import Role


@dataclass
class World:
    ent_a: uuid.UUID
    ent_b: uuid.UUID
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def world(session: Session) -> World:
    make_tree(session)
    a = make_org(session, name="A 西陵化工", region_code="420502")
    b = make_org(session, name="B 伍家岗化工", region_code="420503")
    w = World(a.id, b.id)
    users = {
        "city": (Role.SPECIALIST, "420500", None),
        "district_b": (Role.SPECIALIST, "420503", None),
        "duty": (Role.DUTY_OFFICER, "420500", None),
        "ent_a": (Role.ENTERPRISE, "420502", a.id),
        "ent_b": (Role.ENTERPRISE, "420503", b.id),
    }
    for key, (role, region, org_id) in users.items():
        _, token = make_user(session, role=role, region_code=region, organisation_id=org_id)
        w.headers[key] = bearer(token)
    session.commit()
    return w


def _register(client: TestClient, w: World, who: str = "city") -> tuple[str, str, int]:
    """Register an object of enterprise A, a gateway and a gas sensor; return ids and token."""
    h = w.headers[who]
    obj = client.post("/api/monitoring/objects", headers=h, json={
        "code": "OBJ-A", "name": "液氨储罐区", "kind": "installation", "region_code": "420502",
        "enterprise_id": str(w.ent_a), "lon": 111.3, "lat": 30.7,
    })  # fmt: skip
    assert obj.status_code == 201, obj.text
    gw = client.post("/api/monitoring/gateways", headers=h, json={
        "code": "GW-A", "name": "A 厂网关", "region_code": "420502",
        "organisation_id": str(w.ent_a),
    })  # fmt: skip
    assert gw.status_code == 201, gw.text
    assert gw.json()["topic"] == "yingji/v1/GW-A/readings"
    sensor = client.post("/api/monitoring/sensors", headers=h, json={
        "code": "CH4-01", "name": "可燃气体探测器 1", "gateway_id": gw.json()["gateway"]["id"],
        "object_id": obj.json()["id"], "kind": "combustible_gas",
    })  # fmt: skip
    assert sensor.status_code == 201, sensor.text
    body = sensor.json()
    assert (body["unit"], body["range_min"], body["range_max"]) == ("%LEL", 0.0, 100.0)
    assert (body["lon"], body["lat"]) == (111.3, 30.7)  # the object's place by default
    return gw.json()["gateway"]["id"], gw.json()["token"], body["id"]


def test_register_post_readings_and_read_them_back(
    client: TestClient, world: World, session: Session
) -> None:
    gateway_id, token, sensor_id = _register(client, world)
    assert token.startswith("gw_")
    now = int(time.time() * 1000)
    readings = {"readings": [
        {"sensor": "CH4-01", "ts": now - 120_000, "value": 4.0, "unit": "%LEL"},
        {"sensor": "CH4-01", "ts": now - 60_000, "value": 8.0, "unit": "%LEL"},
        {"sensor": "CH4-01", "ts": now - 1000, "value": 6.5, "unit": "ppm"},
    ]}  # fmt: skip
    posted = client.post(
        "/api/monitoring/readings", json=readings, headers={"Authorization": f"Bearer {token}"}
    )
    assert posted.status_code == 200, posted.text
    assert posted.json() == {"stored": 2, "duplicates": 0, "rejected": {"wrong_unit": 1}}
    sensor = client.get(f"/api/monitoring/sensors/{sensor_id}", headers=world.headers["duty"])
    assert (sensor.json()["latest_value"], sensor.json()["latest_ts"]) == (8.0, now - 60_000)
    gateway = client.get(f"/api/monitoring/gateways/{gateway_id}", headers=world.headers["city"])
    assert gateway.json()["accepted"] == 2 and gateway.json()["rejected"] == {"wrong_unit": 1}
    start = datetime.now(UTC) - timedelta(minutes=5)
    history = client.get(
        f"/api/monitoring/sensors/{sensor_id}/history",
        params={"start": start.isoformat(), "end": datetime.now(UTC).isoformat()},
        headers=world.headers["ent_a"],
    )
    assert history.status_code == 200, history.text
    assert [p["mean"] for p in history.json()["points"]] == [4.0, 8.0]
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "monitoring.object_registered",
        "monitoring.gateway_registered",
        "monitoring.sensor_registered",
    } <= actions


def test_gateway_credentials(client: TestClient, world: World) -> None:
    gateway_id, token, _ = _register(client, world)
    payload = {"sensor": "CH4-01", "ts": int(time.time() * 1000), "value": 1.0, "unit": "%LEL"}
    for header in ({}, {"Authorization": "Bearer gw_wrong"}, world.headers["city"]):
        refused = client.post("/api/monitoring/readings", json=payload, headers=header)
        assert refused.status_code == 401, header
    rotated = client.post(
        f"/api/monitoring/gateways/{gateway_id}/token", headers=world.headers["city"]
    )
    assert rotated.status_code == 200
    old = client.post(
        "/api/monitoring/readings", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert old.status_code == 401  # the old credential stops working at once
    new = client.post(
        "/api/monitoring/readings",
        json=payload,
        headers={"Authorization": f"Bearer {rotated.json()['token']}"},
    )
    assert new.json()["stored"] == 1
    assert (
        "token"
        not in client.get(
            f"/api/monitoring/gateways/{gateway_id}", headers=world.headers["city"]
        ).json()
    )


def test_enterprise_and_district_see_only_their_own(client: TestClient, world: World) -> None:
    gateway_id, _, sensor_id = _register(client, world, who="ent_a")
    for who, visible in (("ent_a", 1), ("city", 1), ("ent_b", 0), ("district_b", 0)):
        sensors = client.get("/api/monitoring/sensors", headers=world.headers[who]).json()
        objects = client.get("/api/monitoring/objects", headers=world.headers[who]).json()
        assert (sensors["total"], objects["total"]) == (visible, visible), who
    for who in ("ent_b", "district_b"):
        got = client.get(f"/api/monitoring/sensors/{sensor_id}", headers=world.headers[who])
        assert got.status_code == 403, who
        gw = client.get(f"/api/monitoring/gateways/{gateway_id}", headers=world.headers[who])
        assert gw.status_code == 403, who
    missing = client.get("/api/monitoring/sensors/999999", headers=world.headers["city"])
    assert missing.status_code == 404


def test_registry_denials(client: TestClient, world: World) -> None:
    body = {"code": "OBJ-B", "name": "B 储罐", "kind": "installation", "region_code": "420503"}
    # An enterprise may not register for another enterprise, nor outside any enterprise.
    for ent in (None, str(world.ent_a)):
        got = client.post("/api/monitoring/objects", headers=world.headers["ent_b"],
                          json={**body, "enterprise_id": ent})  # fmt: skip
        assert got.status_code == 403, got.text
    # A district specialist may not register outside the district; a duty officer not at all.
    outside = client.post("/api/monitoring/objects", headers=world.headers["district_b"],
                          json={**body, "region_code": "420502"})  # fmt: skip
    assert outside.status_code == 403
    duty = client.post("/api/monitoring/objects", headers=world.headers["duty"], json=body)
    assert duty.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "radiation"}, "kind"),
        ({"unit": "ppm"}, "unit"),
        ({"range_min": 5, "range_max": 1}, "range_max"),
        ({"code": "bad/code"}, "code"),
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"object_id": str(uuid.uuid4())}, "object_id"),
    ],
)
def test_bad_sensor_is_refused_naming_the_field(
    client: TestClient, world: World, change: dict[str, object], field: str
) -> None:
    gateway_id, _, _ = _register(client, world)
    objects = client.get("/api/monitoring/objects", headers=world.headers["city"]).json()
    body = {
        "code": "CH4-02", "name": "探测器 2", "gateway_id": gateway_id,
        "object_id": objects["items"][0]["id"], "kind": "combustible_gas", **change,
    }  # fmt: skip
    got = client.post("/api/monitoring/sensors", headers=world.headers["city"], json=body)
    assert got.status_code == 422, got.text
    assert field in got.json()["field"]


def test_sensor_status_by_hand_is_audited(
    client: TestClient, world: World, session: Session
) -> None:
    _, _, sensor_id = _register(client, world)
    got = client.put(
        f"/api/monitoring/sensors/{sensor_id}/status", headers=world.headers["city"],
        json={"status": "maintenance", "reason": "年度标定"},
    )  # fmt: skip
    assert got.status_code == 200 and got.json()["status"] == "maintenance"
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "monitoring.sensor_status")
    )
    assert entry is not None
    denied = client.put(
        f"/api/monitoring/sensors/{sensor_id}/status", headers=world.headers["duty"],
        json={"status": "online", "reason": "x"},
    )  # fmt: skip
    assert denied.status_code == 403


def test_alarms_over_http(client: TestClient, world: World, session: Session) -> None:
    """An alarm raised by the rules is listed, acknowledged and disposed through the API."""
    from yingji.monitoring import service

    _, _, sensor_id = _register(client, world)
    runtime = service.RuleRuntime.load(session)
    now = int(time.time() * 1000)
    runtime.evaluate(session, [sensor_id], [now - 60_000], [60.0])  # orange
    session.commit()
    listed = client.get("/api/monitoring/alarms", params={"handled": False},
                        headers=world.headers["duty"]).json()  # fmt: skip
    (alarm,) = listed["items"]
    assert (alarm["severity"], alarm["status"], alarm["actions"]) == (
        "orange", "active_unack", ["acknowledge", "assign"],
    )  # fmt: skip
    url = f"/api/monitoring/alarms/{alarm['id']}"
    assert client.post(f"{url}/acknowledge", headers=world.headers["ent_b"]).status_code == 403
    early = client.post(f"{url}/dispose", headers=world.headers["duty"],
                        json={"disposition": "real", "note": "现场确认泄漏"})  # fmt: skip
    assert early.status_code == 422 and early.json()["field"] == "disposition"
    acked = client.post(f"{url}/acknowledge", headers=world.headers["ent_a"])
    assert acked.status_code == 200 and acked.json()["status"] == "active_ack"
    again = client.post(f"{url}/acknowledge", headers=world.headers["duty"])
    assert again.status_code == 409
    assert again.json()["details"]["allowed"] == ["clear", "escalate"]
    disposed = client.post(f"{url}/dispose", headers=world.headers["duty"],
                           json={"disposition": "false_alarm", "note": "探头受潮"})  # fmt: skip
    assert disposed.json()["disposition"] == "false_alarm"
    assert not disposed.json()["handled"]  # still active: handled once it clears
    bad = client.post(f"{url}/dispose", headers=world.headers["duty"],
                      json={"disposition": "sabotage", "note": "x"})  # fmt: skip
    assert bad.status_code == 422
