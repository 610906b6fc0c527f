"""HTTP API of organisations, persons, responsibilities and industries: grants and denials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import credit_code, make_org, make_person, make_responsibility
from tests.factories.regions import make_tree
from tests.orgs.helpers import audit_count, audit_rows, events
from yingji.core.auth.roles import Role
from yingji.orgs.models import Organisation, Person
from yingji.orgs.schemas import OrgKind

ORG_KEYS = {
    "id", "kind", "kind_label", "name", "parent_id", "region_code", "credit_code",
    "industry_code", "industry_name", "address", "lon", "lat", "phone", "team_type",
    "headcount", "supervised_industries", "active", "is_demo", "created_at", "updated_at",
}  # fmt: skip
PERSON_KEYS = {
    "id", "name", "organisation_id", "region_code", "position", "mobile", "phone", "email",
    "active", "is_demo", "created_at", "updated_at",
}  # fmt: skip


@dataclass
class World:
    """Ids and bearer headers of a small bureau: enterprises, member units, people, users."""

    ent_a: uuid.UUID
    ent_b: uuid.UUID
    unit: uuid.UUID
    other_unit: uuid.UUID
    person_a: uuid.UUID
    person_unit: uuid.UUID
    person_other_unit: uuid.UUID
    duty: uuid.UUID
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture
def world(session: Session) -> World:
    """Build the world and commit it, so the app's own sessions see it."""
    make_tree(session)
    ent_a = make_org(session, name="A 西陵化工", region_code="420502")
    ent_b = make_org(session, name="B 伍家岗化工", region_code="420503")
    unit = make_org(session, kind=OrgKind.MEMBER_UNIT, name="C 宜昌市水利局", region_code="420500")
    other = make_org(session, kind=OrgKind.MEMBER_UNIT, name="D 宜昌市气象局", region_code="420500")
    person_a = make_person(session, organisation_id=ent_a.id, region_code="420502")
    person_unit = make_person(session, organisation_id=unit.id, region_code="420502")
    person_other = make_person(session, organisation_id=other.id, region_code="420502")
    duty = make_responsibility(session, person_id=person_unit.id, region_code="420502")
    w = World(
        ent_a.id, ent_b.id, unit.id, other.id, person_a.id, person_unit.id, person_other.id,
        duty.id,
    )  # fmt: skip
    users = {
        "admin": (Role.ADMIN, "420000", None),
        "city": (Role.SPECIALIST, "420500", None),
        "district": (Role.SPECIALIST, "420503", None),
        "duty_officer": (Role.DUTY_OFFICER, "420500", None),
        "enterprise": (Role.ENTERPRISE, "420502", ent_a.id),
        "member_unit": (Role.MEMBER_UNIT, "420500", unit.id),
        "grassroots": (Role.GRASSROOTS, "420502", None),
    }
    for key, (role, region, org_id) in users.items():
        _, token = make_user(session, role=role, region_code=region, organisation_id=org_id)
        w.headers[key] = bearer(token)
    session.commit()
    return w


def _count(session: Session, model: type[Organisation] | type[Person]) -> int:
    session.rollback()  # end the test session's snapshot: see what the app committed
    return session.scalar(select(func.count()).select_from(model)) or 0


def _endpoints(w: World) -> list[tuple[str, str]]:
    return [
        ("GET", "/api/organisations"),
        ("POST", "/api/organisations"),
        ("GET", f"/api/organisations/{w.ent_a}"),
        ("PATCH", f"/api/organisations/{w.ent_a}"),
        ("DELETE", f"/api/organisations/{w.ent_a}"),
        ("GET", "/api/persons"),
        ("POST", "/api/persons"),
        ("GET", f"/api/persons/{w.person_a}"),
        ("PATCH", f"/api/persons/{w.person_a}"),
        ("DELETE", f"/api/persons/{w.person_a}"),
        ("GET", "/api/responsibilities"),
        ("POST", "/api/responsibilities"),
        ("DELETE", f"/api/responsibilities/{w.duty}"),
        ("GET", "/api/industries"),
    ]


def _call(client: TestClient, method: str, url: str, headers: dict[str, str] | None = None) -> int:
    body: dict[str, object] | None = {} if method in ("POST", "PATCH") else None
    return int(client.request(method, url, headers=headers or {}, json=body).status_code)


def test_anonymous_gets_401_everywhere(client: TestClient, world: World) -> None:
    for method, url in _endpoints(world):
        assert _call(client, method, url) == 401, (method, url)
    bad = {"Authorization": "Bearer not-a-token"}
    assert _call(client, "GET", "/api/organisations", bad) == 401


def test_enterprise_user_sees_and_edits_only_its_own(client: TestClient, world: World) -> None:
    h = world.headers["enterprise"]
    listed = client.get("/api/organisations", headers=h).json()
    assert [o["id"] for o in listed["items"]] == [str(world.ent_a)]
    assert client.get(f"/api/organisations/{world.ent_b}", headers=h).status_code == 403
    patch = client.patch(f"/api/organisations/{world.ent_b}", headers=h, json={"name": "x"})
    assert patch.status_code == 403
    assert client.delete(f"/api/organisations/{world.ent_a}", headers=h).status_code == 403
    new = {"kind": "enterprise", "name": "新企业", "region_code": "420502",
           "credit_code": credit_code(), "industry_code": "C26"}  # fmt: skip
    assert client.post("/api/organisations", headers=h, json=new).status_code == 403
    own = client.patch(f"/api/organisations/{world.ent_a}", headers=h, json={"address": "西陵区"})
    assert own.status_code == 200
    assert own.json()["address"] == "西陵区"
    assert client.get(f"/api/persons/{world.person_unit}", headers=h).status_code == 403
    persons = client.get("/api/persons", headers=h).json()
    assert [p["id"] for p in persons["items"]] == [str(world.person_a)]
    assert client.get("/api/responsibilities", headers=h).status_code == 403


def test_district_specialist_is_kept_in_its_district(client: TestClient, world: World) -> None:
    h = world.headers["district"]
    assert client.get(f"/api/organisations/{world.ent_a}", headers=h).status_code == 403
    assert client.get(f"/api/organisations/{world.ent_b}", headers=h).status_code == 200
    patch = client.patch(f"/api/organisations/{world.ent_a}", headers=h, json={"name": "x"})
    assert patch.status_code == 403
    move = client.patch(
        f"/api/organisations/{world.ent_b}", headers=h, json={"region_code": "420502"}
    )
    assert move.status_code == 403
    listed = client.get("/api/organisations", headers=h).json()
    assert [o["id"] for o in listed["items"]] == [str(world.ent_b)]
    body = {"kind": "rescue_team", "name": "伍家岗救援队", "region_code": "420502",
            "team_type": "social"}  # fmt: skip
    assert client.post("/api/organisations", headers=h, json=body).status_code == 403
    made = client.post(
        "/api/organisations", headers=h, json={**body, "region_code": "420503", "headcount": 25}
    )
    assert made.status_code == 201
    assert made.json()["kind_label"] == "救援队伍"
    assert client.get(f"/api/persons/{world.person_a}", headers=h).status_code == 403
    assign = {"person_id": str(world.person_a), "region_code": "420502", "duty_type": "flood"}
    assert client.post("/api/responsibilities", headers=h, json=assign).status_code == 403
    assert client.delete(f"/api/responsibilities/{world.duty}", headers=h).status_code == 403


def test_duty_officer_reads_but_never_writes(client: TestClient, world: World) -> None:
    h = world.headers["duty_officer"]
    for method, url in _endpoints(world):
        expected = 200 if method == "GET" else 403
        assert _call(client, method, url, h) == expected, (method, url)


def test_member_unit_edits_only_its_own_people(
    client: TestClient, world: World, session: Session
) -> None:
    h = world.headers["member_unit"]
    other = f"/api/persons/{world.person_other_unit}"
    assert client.get(other, headers=h).status_code == 403
    assert client.patch(other, headers=h, json={"position": "x"}).status_code == 403
    assert client.delete(other, headers=h).status_code == 403
    foreign = {"name": "外单位", "region_code": "420502", "organisation_id": str(world.other_unit)}
    assert client.post("/api/persons", headers=h, json=foreign).status_code == 403
    mine = {**foreign, "organisation_id": str(world.unit), "mobile": "+86 138-1234-5678"}
    made = client.post("/api/persons", headers=h, json=mine)
    assert made.status_code == 201
    assert made.json()["mobile"] == "+8613812345678"
    assert set(made.json()) == PERSON_KEYS
    own = client.patch(f"/api/persons/{world.person_unit}", headers=h, json={"position": "科长"})
    assert own.status_code == 200
    assert client.patch(f"/api/organisations/{world.unit}", headers=h, json={}).status_code == 403
    assert [e.action for e in audit_rows(session, world.person_unit)][-1] == "person.updated"


def test_bad_credit_code_is_422_and_writes_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    orgs, audits = _count(session, Organisation), audit_count(session)
    body = {"kind": "enterprise", "name": "坏代码", "region_code": "420502",
            "credit_code": "91350100M000100Y44", "industry_code": "C2614"}  # fmt: skip
    answer = client.post("/api/organisations", headers=world.headers["city"], json=body)
    assert answer.status_code == 422
    assert answer.json()["field"] == "credit_code"
    assert "check character should be 3" in answer.json()["message"]
    patch = client.patch(
        f"/api/organisations/{world.ent_a}", headers=world.headers["admin"],
        json={"credit_code": "123"},
    )  # fmt: skip
    assert (patch.status_code, patch.json()["field"]) == (422, "credit_code")
    assert (_count(session, Organisation), audit_count(session)) == (orgs, audits)


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"region_code": "999999"}, 422, "region_code"),
        ({"industry_code": "C06"}, 422, "industry_code"),
        ({"phone": "12345"}, 422, "phone"),
        ({"lon": 111.3}, 422, "lat"),
        ({"lon": 11.3, "lat": 30.7}, 422, "lon"),
        ({"kind": "ministry"}, 422, "kind"),
    ],
)
def test_create_validation(
    client: TestClient, world: World, fields: dict[str, object], status: int, field: str
) -> None:
    body = {"kind": "enterprise", "name": "某公司", "region_code": "420502",
            "credit_code": credit_code(), "industry_code": "C2614", **fields}  # fmt: skip
    answer = client.post("/api/organisations", headers=world.headers["admin"], json=body)
    assert (answer.status_code, answer.json().get("field")) == (status, field)


def test_create_duplicate_and_audit(client: TestClient, world: World, session: Session) -> None:
    h = world.headers["city"]
    code = credit_code()
    body = {"kind": "enterprise", "name": "宜昌某燃气公司", "region_code": "420502",
            "credit_code": code.lower(), "industry_code": "4500",
            "lon": 111.3, "lat": 30.7, "phone": "0717-6222333"}  # fmt: skip
    made = client.post("/api/organisations", headers=h, json=body)
    assert made.status_code == 201, made.text
    org = made.json()
    assert set(org) == ORG_KEYS
    assert (org["credit_code"], org["industry_code"]) == (code, "D4500")
    assert org["industry_name"] == "燃气生产和供应业"
    assert org["phone"] == "+867176222333"
    again = client.post("/api/organisations", headers=h, json={**body, "name": "重复"})
    assert (again.status_code, again.json()["field"]) == (409, "credit_code")
    session.rollback()
    (entry,) = audit_rows(session, org["id"])
    assert (entry.action, entry.role, entry.source) == ("organisation.created", "specialist", "api")
    assert [e["organisation_id"] for e in events(session, "orgs.organisation_created")][-1] == (
        org["id"]
    )
    gone = client.delete(f"/api/organisations/{org['id']}", headers=h)
    assert (gone.status_code, gone.json()["active"]) == (200, False)
    listed = client.get("/api/organisations", headers=h, params={"q": "燃气"}).json()
    assert listed["items"] == []
    listed = client.get(
        "/api/organisations", headers=h, params={"q": "燃气", "include_inactive": True}
    ).json()
    assert [o["id"] for o in listed["items"]] == [org["id"]]


def test_list_parameters(client: TestClient, world: World) -> None:
    h = world.headers["admin"]
    page = client.get(
        "/api/organisations", headers=h, params={"kind": "member_unit", "limit": 1, "offset": 1}
    ).json()
    assert ([o["id"] for o in page["items"]], page["total"]) == ([str(world.other_unit)], 2)
    within = client.get("/api/organisations", headers=h, params={"region": "420503"}).json()
    assert [o["id"] for o in within["items"]] == [str(world.ent_b)]
    for params, name in (
        ({"region": "999999"}, "region"),
        ({"region": "42\x000"}, "region"),
        ({"limit": 0}, "limit"),
        ({"kind": "x"}, "kind"),
        ({"q": "a\x00"}, "q"),
    ):
        answer = client.get("/api/organisations", headers=h, params=params)
        assert (answer.status_code, answer.json()["field"]) == (422, name), params
    people = client.get(
        "/api/persons", headers=h, params={"organisation_id": str(world.ent_a)}
    ).json()
    assert [p["id"] for p in people["items"]] == [str(world.person_a)]
    missing = f"/api/organisations/{uuid.uuid4()}"
    assert client.get(missing, headers=h).status_code == 404
    assert client.get(f"/api/persons/{uuid.uuid4()}", headers=h).status_code == 404
    assert client.delete(f"/api/responsibilities/{uuid.uuid4()}", headers=h).status_code == 404


def test_person_validation_names_the_field(client: TestClient, world: World) -> None:
    h = world.headers["admin"]
    base = {"name": "张三", "region_code": "420502"}
    for fields, name in (
        ({"mobile": "0717-6222333"}, "mobile"),
        ({"mobile": "12345"}, "mobile"),
        ({"phone": "abc"}, "phone"),
        ({"email": "nope"}, "email"),
        ({"region_code": "999999"}, "region_code"),
        ({"organisation_id": str(uuid.uuid4())}, "organisation_id"),
        ({"password": "secret"}, "password"),
    ):
        answer = client.post("/api/persons", headers=h, json={**base, **fields})
        assert (answer.status_code, answer.json()["field"]) == (422, name), fields


def test_responsibilities_over_http(client: TestClient, world: World, session: Session) -> None:
    h = world.headers["city"]
    body = {"person_id": str(world.person_a), "region_code": "420503", "duty_type": "geological",
            "title": "伍家岗区地灾责任人", "starts_on": "2025-05-01"}  # fmt: skip
    made = client.post("/api/responsibilities", headers=h, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["duty_label"] == "地质灾害"
    assert client.post("/api/responsibilities", headers=h, json=body).status_code == 409
    bad = client.post("/api/responsibilities", headers=h, json={**body, "duty_type": "alien"})
    assert (bad.status_code, bad.json()["field"]) == (422, "duty_type")
    listed = client.get(
        "/api/responsibilities", headers=h, params={"duty_type": "geological"}
    ).json()
    assert [r["id"] for r in listed["items"]] == [made.json()["id"]]
    # A grassroots user of 西陵区 sees its own district's assignment, not 伍家岗区's.
    listed = client.get("/api/responsibilities", headers=world.headers["grassroots"]).json()
    assert [r["id"] for r in listed["items"]] == [str(world.duty)]
    by_person = client.get(
        "/api/responsibilities", headers=h, params={"person_id": str(world.person_unit)}
    ).json()
    assert [r["id"] for r in by_person["items"]] == [str(world.duty)]
    gone = client.delete(f"/api/responsibilities/{made.json()['id']}", headers=h)
    assert gone.status_code == 204
    session.rollback()
    assert len(events(session, "orgs.responsibility_unassigned")) == 1


def test_industry_lookup(client: TestClient, world: World) -> None:
    answer = client.get("/api/industries", headers=world.headers["enterprise"], params={"q": "26"})
    assert answer.status_code == 200
    assert answer.json()[0] == {
        "code": "C26", "name": "化学原料和化学制品制造业", "section": "C", "level": "division",
    }  # fmt: skip
    every = client.get("/api/industries", headers=world.headers["grassroots"]).json()
    assert len(every) == 117
