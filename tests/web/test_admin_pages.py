"""The admin pages: user accounts and the audit log, for those whose role may use them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from tests.factories.orgs import make_org, make_person
from tests.web.conftest import LoggedIn, csrf_of, nav_paths
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role
from yingji.core.db import utcnow
from yingji.orgs.schemas import OrgKind

NEW_PASSWORD = "a long enough password"


def _post(client: TestClient, path: str, data: dict[str, str], *, csrf: bool = True) -> Response:
    fields = dict(data)
    if csrf:
        fields["csrf_token"] = csrf_of(client.get("/").text)
    return client.post(path, data=fields, follow_redirects=False)


def _user(session: Session, username: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def _users(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(User)) or 0


def _new_user(**overrides: str) -> dict[str, str]:
    form = {
        "username": "zhang.san",
        "display_name": "张三",
        "role": "duty_officer",
        "region_code": "420502",
        "organisation_id": "",
        "password": NEW_PASSWORD,
    }
    form.update(overrides)
    return form


def test_readers_see_the_user_list_without_management(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    unit = make_org(session, kind=OrgKind.MEMBER_UNIT, name="西陵区水利局", region_code="420502")
    make_user(
        session,
        role=Role.MEMBER_UNIT,
        region_code="420502",
        username="liaison",
        organisation_id=unit.id,
    )
    locked, _ = make_user(session, role=Role.INSPECTOR, region_code="420503", username="locked.one")
    locked.locked_until = utcnow() + timedelta(minutes=10)
    make_user(session, role=Role.INSPECTOR, region_code="420102", username="wuhan.user")
    session.commit()
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    html = client.get("/admin").text
    row = html[
        html.index('data-user="liaison"') : html.index("</tr>", html.index('data-user="liaison"'))
    ]
    assert "成员单位" in row and "西陵区" in row and "西陵区水利局" in row and "已启用" in row
    locked_row = html[html.index('data-user="locked.one"') :]
    locked_row = locked_row[: locked_row.index("</tr>")]
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", locked_row)
    assert "wuhan.user" not in html  # outside the reader's region
    assert 'action="/admin/users"' not in html and "/active" not in html
    assert 'href="/admin/audit"' not in html  # no AUDIT_READ: no tab
    assert client.get("/admin/audit").status_code == 403


def test_admin_creates_a_user(session: Session, client: TestClient, logged_in: LoggedIn) -> None:
    unit = make_org(session, kind=OrgKind.MEMBER_UNIT, name="西陵区水利局", region_code="420502")
    session.commit()
    logged_in(role=Role.ADMIN, region_code="420500")
    form = client.get("/admin").text
    roles = re.findall(r'<option value="([a-z_]+)"', form[form.index('name="role"') :])
    assert "admin" in roles and "grassroots" in roles and "public" not in roles
    response = _post(client, "/admin/users", _new_user(organisation_id=str(unit.id)))
    assert response.status_code == 303 and response.headers["location"] == "/admin?saved=1"
    user = _user(session, "zhang.san")
    assert user is not None and user.role == "duty_officer" and user.organisation_id == unit.id
    assert "已保存" in client.get("/admin?saved=1").text


@pytest.mark.parametrize(
    ("overrides", "status", "marked"),
    [
        ({"password": "short"}, 422, "error-password"),
        ({"username": "a b"}, 422, "error-username"),
        ({"role": "emperor"}, 422, "error-role"),
        ({"role": "public"}, 422, "error-role"),
        ({"region_code": "999999"}, 422, "error-region_code"),
        ({"region_code": "420102"}, 403, "error-region_code"),
        ({"organisation_id": "not-an-id"}, 422, "error-organisation_id"),
        ({"username": "Taken.Name"}, 409, "error-username"),
    ],
)
def test_create_user_errors_are_shown_and_create_nothing(
    session: Session,
    client: TestClient,
    logged_in: LoggedIn,
    overrides: dict[str, str],
    status: int,
    marked: str,
) -> None:
    make_user(session, role=Role.INSPECTOR, region_code="420502", username="taken.name")
    session.commit()
    logged_in(role=Role.ADMIN, region_code="420500")
    before = _users(session)
    response = _post(client, "/admin/users", _new_user(**overrides))
    assert response.status_code == status
    assert f'id="{marked}"' in response.text and 'id="form-problem"' in response.text
    assert NEW_PASSWORD not in response.text  # a password is never sent back
    assert _users(session) == before


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.DUTY_OFFICER, Role.SPECIALIST])
def test_non_admins_may_not_create_or_deactivate_users(
    session: Session, client: TestClient, logged_in: LoggedIn, role: Role
) -> None:
    target, _ = make_user(session, role=Role.INSPECTOR, region_code="420502", username="target")
    session.commit()
    logged_in(role=role, region_code="420500")
    before = _users(session)
    assert _post(client, "/admin/users", _new_user()).status_code == 403
    assert _users(session) == before
    response = _post(client, f"/admin/users/{target.id}/active", {"active": "0"})
    assert response.status_code == 403
    assert _user(session, "target").active is True  # type: ignore[union-attr]


def test_forms_without_the_csrf_token_change_nothing(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    target, _ = make_user(session, role=Role.INSPECTOR, region_code="420502", username="target")
    session.commit()
    logged_in(role=Role.ADMIN, region_code="420500")
    before = _users(session)
    for extra in ({}, {"csrf_token": "forged"}):
        created = _post(client, "/admin/users", {**_new_user(), **extra}, csrf=False)
        toggled = _post(
            client, f"/admin/users/{target.id}/active", {"active": "0", **extra}, csrf=False
        )
        assert created.status_code in (400, 403) and toggled.status_code in (400, 403)
    assert _users(session) == before
    assert _user(session, "target").active is True  # type: ignore[union-attr]


def test_admin_deactivates_and_reactivates_a_user(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    target, _ = make_user(session, role=Role.INSPECTOR, region_code="420502", username="target")
    session.commit()
    admin = logged_in(role=Role.ADMIN, region_code="420500")
    html = client.get("/admin").text
    assert f'action="/admin/users/{target.id}/active"' in html
    assert f'action="/admin/users/{admin.id}/active"' not in html  # not on one's own row
    assert _post(client, f"/admin/users/{target.id}/active", {"active": "0"}).status_code == 303
    assert _user(session, "target").active is False  # type: ignore[union-attr]
    row = client.get("/admin").text
    row = row[row.index('data-user="target"') :]
    assert "已停用" in row[: row.index("</tr>")]
    assert _post(client, f"/admin/users/{target.id}/active", {"active": "1"}).status_code == 303
    assert _user(session, "target").active is True  # type: ignore[union-attr]
    bad = _post(client, f"/admin/users/{target.id}/active", {"active": "maybe"})
    assert bad.status_code == 422
    assert _post(client, "/admin/users/nobody/active", {"active": "0"}).status_code == 422


def test_the_last_administrator_cannot_be_deactivated(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    admin = logged_in(role=Role.ADMIN, region_code="420500")
    response = _post(client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert response.status_code == 409 and "last active administrator" in response.text
    assert _user(session, admin.username).active is True  # type: ignore[union-attr]


def test_grassroots_has_no_admin_module(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    assert "/admin" not in nav_paths(client.get("/").text)
    for path in ("/admin", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 403 and "您的角色无权打开此页面" in response.text


def test_audit_page_says_ok_on_a_clean_chain_and_names_a_tampered_entry(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    for n in range(3):
        make_org(session, kind=OrgKind.MEMBER_UNIT, name=f"单位{n}", region_code="420502")
    session.commit()
    logged_in(role=Role.COMMANDER, region_code="420500")
    html = client.get("/admin/audit").text
    assert 'data-chain="ok"' in html and "审计链完好" in html
    assert html.count('<tr data-seq="') >= 3 and "organisation.created" in html
    session.execute(text("UPDATE audit_log SET entity_id = 'forged' WHERE seq = 2"))
    session.commit()
    broken = client.get("/admin/audit").text
    assert 'data-chain="broken"' in broken and 'data-broken-seq="2"' in broken
    assert "第 2 条记录处断裂" in broken
    assert '<tr data-seq="2" class="broken-entry">' in broken


def test_audit_page_in_english_says_ok(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    user = logged_in(role=Role.ADMIN, region_code="420500")
    user.language = "en"  # the saved preference decides the page language
    session.commit()
    make_org(session, kind=OrgKind.MEMBER_UNIT, name="单位", region_code="420502")
    session.commit()
    html = client.get("/admin/audit").text
    assert re.search(r"Audit chain OK: all \d+ entries are intact\.", html)


def test_audit_page_lists_only_the_entries_of_the_readers_region(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    xiling = make_person(session, name="西陵区的人", region_code="420502")
    wujiagang = make_person(session, name="伍家岗区的人", region_code="420503")
    session.commit()
    logged_in(role=Role.COMMANDER, region_code="420503")

    html = client.get("/admin/audit").text

    assert 'data-chain="ok"' in html  # the chain is still checked as a whole
    assert f"person {wujiagang.id}" in html and "伍家岗区的人" in html
    assert f"person {xiling.id}" not in html and "西陵区的人" not in html
