"""The auth HTTP API: tokens, the caller, users, passwords, API tokens, and their denials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, bearer, make_user
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry, snapshot
from yingji.core.auth.models import ApiToken, User
from yingji.core.auth.roles import Role
from yingji.core.auth.service import USER_AUDIT_FIELDS
from yingji.core.db import utcnow
from yingji.orgs.models import Organisation


@dataclass
class World:
    """The users of the tests, by what they are, with their bearer headers."""

    users: dict[str, User]
    headers: dict[str, dict[str, str]]
    orgs: dict[str, uuid.UUID]


@pytest.fixture
def world(session: Session) -> World:
    """A city admin, a district admin of 伍家岗区, staff of other roles, one user per district."""
    make_tree(session)
    orgs = {}
    for code in ("420502", "420503"):
        org = Organisation(kind="enterprise", name=f"企业 {code}", region_code=code)
        session.add(org)
        session.flush()
        orgs[code] = org.id
    spec = {
        "city_admin": (Role.ADMIN, "420500", None),
        "district_admin": (Role.ADMIN, "420503", None),
        "duty": (Role.DUTY_OFFICER, "420500", None),
        "specialist": (Role.SPECIALIST, "420500", None),
        "enterprise": (Role.ENTERPRISE, "420503", orgs["420503"]),
        "xiling": (Role.INSPECTOR, "420502", None),
        "wujiagang": (Role.INSPECTOR, "420503", None),
    }
    users, headers = {}, {}
    for name, (role, region, org_id) in spec.items():
        users[name], token = make_user(
            session, role=role, region_code=region, organisation_id=org_id, username=name
        )
        headers[name] = bearer(token)
    session.commit()
    return World(users, headers, orgs)


def _new_user(**overrides: Any) -> dict[str, Any]:
    body = {"username": "new.user", "password": "a long enough pw", "role": "inspector"}
    return {**body, "region_code": "420503", **overrides}


# Every endpoint, with a body that would be valid, for the anonymous and wrong-role checks.
def _endpoints(world: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    uid = world.users["wujiagang"].id
    return [
        ("GET", "/api/auth/me", None),
        ("POST", "/api/auth/language", {"language": "en"}),
        ("GET", "/api/users", None),
        ("POST", "/api/users", _new_user()),
        ("GET", f"/api/users/{uid}", None),
        ("PATCH", f"/api/users/{uid}", {"display_name": "x"}),
        ("POST", f"/api/users/{uid}/password", {"new_password": "another long pw"}),
        ("GET", f"/api/users/{uid}/tokens", None),
        ("POST", f"/api/users/{uid}/tokens", {"name": "t"}),
        ("DELETE", f"/api/tokens/{uuid.uuid4()}", None),
    ]


def test_anonymous_is_refused_everywhere(client: TestClient, world: World) -> None:
    for method, url, body in _endpoints(world):
        response = client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
        assert response.json()["error"] == "not_authenticated"


def test_enterprise_user_is_refused_everything_but_self(client: TestClient, world: World) -> None:
    # An enterprise safety manager holds neither USER_READ nor USER_MANAGE.
    for method, url, body in _endpoints(world)[2:-1]:
        response = client.request(method, url, json=body, headers=world.headers["enterprise"])
        assert response.status_code == 403, (method, url)
        assert response.json()["error"] == "forbidden"


def test_token_login_and_me(client: TestClient, world: World) -> None:
    response = client.post("/api/auth/token", json={"username": "duty", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert token.startswith("yj_")
    assert response.json()["expires_at"] is not None
    me = client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["username"] == "duty"
    assert me.json()["permissions"]["user:read"] == "region"
    assert "user:manage" not in me.json()["permissions"]
    assert "password_hash" not in me.json()


def test_token_login_refusals_and_lockout(client: TestClient, world: World) -> None:
    wrong = {"username": "duty", "password": "not the password"}
    unknown = {"username": "ghost", "password": "not the password"}
    first = client.post("/api/auth/token", json=wrong)
    assert first.status_code == 401
    assert client.post("/api/auth/token", json=unknown).json()["message"] == first.json()["message"]
    for _ in range(4):  # the default limit is five failures
        assert client.post("/api/auth/token", json=wrong).status_code == 401
    right = {"username": "duty", "password": PASSWORD}
    locked = client.post("/api/auth/token", json=right)
    assert locked.status_code == 429
    assert "locked until" in locked.json()["message"]
    # The default lockout is 15 minutes: the client is told how long to wait.
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_revoked_and_expired_tokens_are_refused(
    client: TestClient, world: World, session: Session
) -> None:
    me = world.users["duty"]
    assert client.get("/api/auth/me", headers=world.headers["duty"]).status_code == 200
    [token] = session.scalars(select(ApiToken).where(ApiToken.user_id == me.id)).all()
    revoked = client.delete(f"/api/tokens/{token.id}", headers=world.headers["duty"])
    assert revoked.status_code == 204
    assert client.get("/api/auth/me", headers=world.headers["duty"]).status_code == 401

    _, other = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    row = session.scalar(select(ApiToken).where(ApiToken.prefix == other[:10]))
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    expired = client.get("/api/auth/me", headers=bearer(other))
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]
    assert client.get("/api/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_create_user(client: TestClient, world: World, session: Session) -> None:
    body = _new_user(organisation_id=str(world.orgs["420503"]), display_name="王伟")
    response = client.post("/api/users", json=body, headers=world.headers["district_admin"])
    assert response.status_code == 201, response.json()
    assert response.json()["display_name"] == "王伟"
    made = session.scalar(select(User).where(User.username == "new.user"))
    assert made is not None and made.password_hash.startswith("$argon2id$")
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    assert (entry.action, entry.actor, entry.entity_id) == (
        "user.created",
        "district_admin",
        str(made.id),
    )
    again = client.post("/api/users", json=body, headers=world.headers["city_admin"])
    assert again.status_code == 409
    assert again.json()["field"] == "username"


@pytest.mark.parametrize(
    ("who", "overrides", "status", "field"),
    [
        ("duty", {}, 403, None),
        ("specialist", {"role": "admin"}, 403, None),
        ("district_admin", {"region_code": "420502"}, 403, "region_code"),
        ("district_admin", {"region_code": "420500"}, 403, "region_code"),
        ("city_admin", {"region_code": "420102"}, 403, "region_code"),
        ("city_admin", {"region_code": "999999"}, 422, "region_code"),
        ("city_admin", {"role": "public"}, 422, "role"),
        ("city_admin", {"role": "emperor"}, 422, "role"),
        ("city_admin", {"username": "ab"}, 422, "username"),
        ("city_admin", {"username": "a b c"}, 422, "username"),
        ("city_admin", {"password": "short"}, 422, "password"),
        ("city_admin", {"display_name": "a\x00b"}, 422, "display_name"),
        ("city_admin", {"organisation_id": str(uuid.uuid4())}, 422, "organisation_id"),
        ("city_admin", {"username": "DUTY"}, 409, "username"),
    ],
)
def test_create_user_refusals(
    client: TestClient,
    world: World,
    session: Session,
    who: str,
    overrides: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    before = session.scalars(select(User.id)).all()
    response = client.post("/api/users", json=_new_user(**overrides), headers=world.headers[who])
    assert response.status_code == status, response.json()
    if field is not None:
        assert response.json()["field"] == field
    assert session.scalars(select(User.id)).all() == before


def test_create_user_with_an_organisation_outside_the_region(
    client: TestClient, world: World
) -> None:
    body = _new_user(organisation_id=str(world.orgs["420502"]))
    response = client.post("/api/users", json=body, headers=world.headers["district_admin"])
    assert response.status_code == 403
    assert response.json()["field"] == "organisation_id"


def test_list_users_stays_inside_the_region(client: TestClient, world: World) -> None:
    district = client.get("/api/users", headers=world.headers["district_admin"]).json()
    assert [u["username"] for u in district["items"]] == [
        "district_admin",
        "enterprise",
        "wujiagang",
    ]
    city = client.get("/api/users?role=inspector", headers=world.headers["duty"]).json()
    assert [u["username"] for u in city["items"]] == ["wujiagang", "xiling"]
    page = client.get("/api/users?limit=2&offset=1", headers=world.headers["city_admin"]).json()
    assert (page["total"], len(page["items"])) == (7, 2)
    assert client.get("/api/users?limit=0", headers=world.headers["duty"]).status_code == 422


def test_read_user(client: TestClient, world: World) -> None:
    xiling = world.users["xiling"].id
    assert client.get(f"/api/users/{xiling}", headers=world.headers["duty"]).status_code == 200
    refused = client.get(f"/api/users/{xiling}", headers=world.headers["district_admin"])
    assert refused.status_code == 403
    own = client.get(f"/api/users/{xiling}", headers=world.headers["xiling"])
    assert own.status_code == 200  # an inspector may read themselves without USER_READ
    other = client.get(f"/api/users/{xiling}", headers=world.headers["wujiagang"])
    assert other.status_code == 403
    missing = client.get(f"/api/users/{uuid.uuid4()}", headers=world.headers["city_admin"])
    assert missing.status_code == 404


def test_patch_user(client: TestClient, world: World, session: Session) -> None:
    target = world.users["wujiagang"]
    body = {"role": "specialist", "display_name": "李娜", "organisation_id": None}
    response = client.patch(
        f"/api/users/{target.id}", json=body, headers=world.headers["district_admin"]
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["role"], response.json()["display_name"]) == ("specialist", "李娜")
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.action == "user.updated"
    assert entry.before is not None and entry.before["role"] == "inspector"
    assert entry.after is not None and entry.after["role"] == "specialist"


@pytest.mark.parametrize(
    ("who", "target", "body", "status"),
    [
        ("district_admin", "xiling", {"display_name": "x"}, 403),
        ("district_admin", "wujiagang", {"region_code": "420502"}, 403),
        ("district_admin", "wujiagang", {"organisation_id": "ORG_420502"}, 403),
        ("city_admin", "wujiagang", {"organisation_id": "ORG_MISSING"}, 422),
        ("duty", "wujiagang", {"display_name": "x"}, 403),
        ("wujiagang", "wujiagang", {"role": "admin"}, 403),
        ("wujiagang", "wujiagang", {"active": False}, 403),
        ("city_admin", "wujiagang", {"role": None}, 422),
        ("city_admin", "wujiagang", {"language": "fr"}, 422),
        ("city_admin", "wujiagang", {"role": "public"}, 422),
    ],
)
def test_patch_user_refusals(
    client: TestClient,
    world: World,
    session: Session,
    who: str,
    target: str,
    body: dict[str, Any],
    status: int,
) -> None:
    orgs = {"ORG_420502": str(world.orgs["420502"]), "ORG_MISSING": str(uuid.uuid4())}
    body = {k: orgs.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    user = world.users[target]
    before = snapshot(user, USER_AUDIT_FIELDS)
    response = client.patch(f"/api/users/{user.id}", json=body, headers=world.headers[who])
    assert response.status_code == status, response.json()
    session.refresh(user)
    assert snapshot(user, USER_AUDIT_FIELDS) == before


def test_self_may_change_display_name_and_language(client: TestClient, world: World) -> None:
    me = world.users["wujiagang"]
    body = {"display_name": "张三", "language": "en", "role": "inspector", "active": True}
    response = client.patch(f"/api/users/{me.id}", json=body, headers=world.headers["wujiagang"])
    assert response.status_code == 200, response.json()
    assert (response.json()["display_name"], response.json()["language"]) == ("张三", "en")


def test_last_active_admin_cannot_be_removed(
    client: TestClient, world: World, session: Session
) -> None:
    city, district = world.users["city_admin"], world.users["district_admin"]
    headers = world.headers["city_admin"]
    assert (
        client.patch(f"/api/users/{district.id}", json={"active": False}, headers=headers)
    ).status_code == 200
    last = client.patch(f"/api/users/{city.id}", json={"active": False}, headers=headers)
    assert last.status_code == 409
    assert last.json()["field"] == "active"
    demote = client.patch(f"/api/users/{city.id}", json={"role": "commander"}, headers=headers)
    assert demote.status_code == 409
    session.refresh(city)
    assert (city.role, city.active) == ("admin", True)


def test_change_own_password(client: TestClient, world: World, session: Session) -> None:
    me = world.users["duty"]
    url, headers = f"/api/users/{me.id}/password", world.headers["duty"]
    missing = client.post(url, json={"new_password": "brand new password"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["field"] == "current_password"
    wrong = {"current_password": "nope nope nope", "new_password": "brand new password"}
    assert client.post(url, json=wrong, headers=headers).status_code == 422
    session.refresh(me)
    assert me.failed_logins == 1  # a wrong current password counts like a failed login
    right = {"current_password": PASSWORD, "new_password": "brand new password"}
    assert client.post(url, json=right, headers=headers).status_code == 204
    login = {"username": "duty", "password": "brand new password"}
    assert client.post("/api/auth/token", json=login).status_code == 200


def test_password_of_others(client: TestClient, world: World, session: Session) -> None:
    target = world.users["wujiagang"]
    url, body = f"/api/users/{target.id}/password", {"new_password": "reset by admin"}
    for who in ("duty", "xiling", "enterprise"):
        assert client.post(url, json=body, headers=world.headers[who]).status_code == 403
    xiling_url = f"/api/users/{world.users['xiling'].id}/password"
    refused = client.post(xiling_url, json=body, headers=world.headers["district_admin"])
    assert refused.status_code == 403
    target.locked_until = utcnow() + timedelta(minutes=5)
    session.commit()
    reset = client.post(url, json=body, headers=world.headers["district_admin"])
    assert reset.status_code == 204
    session.refresh(target)
    assert target.locked_until is None  # a reset also reopens a locked account
    login = {"username": "wujiagang", "password": "reset by admin"}
    assert client.post("/api/auth/token", json=login).status_code == 200


def test_tokens_of_a_user(client: TestClient, world: World) -> None:
    me = world.users["wujiagang"]
    url, headers = f"/api/users/{me.id}/tokens", world.headers["wujiagang"]
    future = (utcnow() + timedelta(days=30)).isoformat()
    made = client.post(url, json={"name": "script", "expires_at": future}, headers=headers)
    assert made.status_code == 201, made.json()
    raw = made.json()["token"]
    assert made.json()["prefix"] == raw[:10]
    assert client.get("/api/auth/me", headers=bearer(raw)).json()["username"] == "wujiagang"
    listed = client.get(url, headers=headers).json()
    assert {t["name"] for t in listed} == {"tests", "script"}
    assert all("token" not in t for t in listed)
    by_admin = client.get(url, headers=world.headers["district_admin"])
    assert by_admin.status_code == 200
    past = (utcnow() - timedelta(days=1)).isoformat()
    stale = client.post(url, json={"name": "old", "expires_at": past}, headers=headers)
    assert stale.status_code == 422
    naive = client.post(url, json={"name": "x", "expires_at": "2999-01-01T00:00"}, headers=headers)
    assert naive.status_code == 422
    huge = client.post(
        url, json={"name": "x", "expires_at": "9999-12-31T23:59:59-05:00"}, headers=headers
    )
    assert huge.status_code == 422


def test_tokens_of_others_are_refused(client: TestClient, world: World, session: Session) -> None:
    target = world.users["xiling"]
    url = f"/api/users/{target.id}/tokens"
    [token] = session.scalars(select(ApiToken).where(ApiToken.user_id == target.id)).all()
    for who in ("duty", "wujiagang", "district_admin", "specialist", "enterprise"):
        headers = world.headers[who]
        assert client.get(url, headers=headers).status_code == 403, who
        assert client.post(url, json={"name": "t"}, headers=headers).status_code == 403, who
        assert client.delete(f"/api/tokens/{token.id}", headers=headers).status_code == 403, who
    session.refresh(token)
    assert token.revoked_at is None
    by_admin = client.delete(f"/api/tokens/{token.id}", headers=world.headers["city_admin"])
    assert by_admin.status_code == 204
    assert client.get("/api/auth/me", headers=world.headers["xiling"]).status_code == 401
