"""The organisation pages: list, detail, edit and register; who sees what and who may change it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.factories.orgs import credit_code, make_org, make_person
from tests.web.conftest import LoggedIn, csrf_of, nav_paths
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrgKind

_ROW_LINK = re.compile(r'<a href="/orgs/([0-9a-f-]{36})">')


def _listed(html: str) -> set[str]:
    """Return the ids of the organisations a list page links to."""
    return set(_ROW_LINK.findall(html))


def _post(client: TestClient, path: str, data: dict[str, str], *, csrf: bool = True) -> Response:
    """Post a form like the browser does: with the CSRF token of the session's pages."""
    fields = dict(data)
    if csrf:
        fields["csrf_token"] = csrf_of(client.get("/").text)
    return client.post(path, data=fields, follow_redirects=False)


def _org(session: Session, org_id: uuid.UUID) -> Any:
    session.expire_all()
    return orgs_service.get_organisation(
        session, actor=system_actor(source="tests"), organisation_id=org_id
    )


def _count(session: Session) -> int:
    session.expire_all()
    _, total = orgs_service.list_organisations(
        session, actor=system_actor(source="tests"), active=None, limit=1
    )
    return total


def test_list_shows_kind_region_credit_code_industry_and_demo_badge(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    code = credit_code(division="420502")
    make_org(session, name="西陵演示化工", credit_code=code, industry_code="C2614", is_demo=True)
    make_org(session, kind=OrgKind.MEMBER_UNIT, name="伍家岗区水利局", region_code="420503")
    session.commit()
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    html = client.get("/orgs").text
    row = html[html.index("西陵演示化工") : html.index("</tr>", html.index("西陵演示化工"))]
    assert "企业" in row and "西陵区" in row and code in row
    assert "化学原料和化学制品制造业" in row and "演示" in row
    other = html[html.index("伍家岗区水利局") : html.index("</tr>", html.index("伍家岗区水利局"))]
    assert "成员单位" in other and "伍家岗区" in other and "演示" not in other
    assert "共 2 条" in html


def test_kind_tabs_search_and_pages(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    code = credit_code(division="420502")
    enterprise = make_org(session, name="宜昌甲企业", credit_code=code)
    team = make_org(session, kind=OrgKind.RESCUE_TEAM, name="宜昌救援队")
    for n in range(51):
        make_org(session, kind=OrgKind.MEMBER_UNIT, name=f"成员单位{n:02d}")
    session.commit()
    logged_in()
    teams = client.get("/orgs", params={"kind": "rescue_team"}).text
    assert _listed(teams) == {str(team.id)}
    assert 'href="/orgs?kind=rescue_team&amp;q=" aria-current="page"' in teams
    assert _listed(client.get("/orgs", params={"q": "甲企业"}).text) == {str(enterprise.id)}
    assert _listed(client.get("/orgs", params={"q": code.lower()}).text) == {str(enterprise.id)}
    members = client.get("/orgs", params={"kind": "member_unit"}).text
    assert len(_listed(members)) == 50 and "第 1 页，共 2 页" in members
    assert 'href="/orgs?kind=member_unit&amp;page=2"' in members
    second = client.get("/orgs", params={"kind": "member_unit", "page": "2"}).text
    assert len(_listed(second)) == 1 and "成员单位50" in second
    # Nonsense in the query string is ignored, not a server error.
    odd = client.get("/orgs", params={"kind": "spaceship", "page": "x", "q": "a\x00b"})
    assert odd.status_code == 200


def test_enterprise_user_sees_only_its_own_organisation(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    own = make_org(session, name="本企业", region_code="420502")
    other = make_org(session, name="别家企业", region_code="420502")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=own.id)
    listing = client.get("/orgs").text
    assert _listed(listing) == {str(own.id)} and "别家企业" not in listing
    assert client.get(f"/orgs/{own.id}").status_code == 200
    denied = client.get(f"/orgs/{other.id}")
    assert denied.status_code == 403
    assert "您的角色无权打开此页面" in denied.text and "别家企业" not in denied.text
    assert client.get("/orgs/new").status_code == 403
    assert client.get("/responsibilities").status_code == 403
    assert 'href="/responsibilities"' not in listing  # no tab for what the role cannot read


def test_district_user_never_sees_another_districts_organisation(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    xiling = make_org(session, kind=OrgKind.MEMBER_UNIT, name="西陵区某局", region_code="420502")
    wujiagang = make_org(
        session, kind=OrgKind.MEMBER_UNIT, name="伍家岗区某局", region_code="420503"
    )
    session.commit()
    logged_in(role=Role.DUTY_OFFICER, region_code="420503")
    listing = client.get("/orgs").text
    assert _listed(listing) == {str(wujiagang.id)} and "西陵区某局" not in listing
    assert "西陵区某局" not in client.get("/orgs", params={"q": "西陵"}).text
    response = client.get(f"/orgs/{xiling.id}")
    assert response.status_code == 403 and "西陵区某局" not in response.text


def test_missing_or_malformed_ids_are_a_404_page(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in()
    for path in ("/orgs/not-an-id", f"/orgs/{uuid.uuid4()}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "该记录不存在" in response.text


def test_duty_officer_sees_no_edit_form_and_may_not_post_one(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    org = make_org(session, kind=OrgKind.MEMBER_UNIT, name="原名称", region_code="420502")
    session.commit()
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    page = client.get(f"/orgs/{org.id}").text
    assert "原名称" in page and f'action="/orgs/{org.id}"' not in page
    assert "登记组织机构" not in client.get("/orgs").text
    response = _post(client, f"/orgs/{org.id}", {"name": "新名称"})
    assert response.status_code == 403
    assert _org(session, org.id).name == "原名称"


def test_specialist_edits_with_patch_semantics(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    org = make_org(
        session,
        kind=OrgKind.MEMBER_UNIT,
        name="西陵区水利局",
        region_code="420502",
        address="西陵路1号",
        phone="0717-6222333",
    )
    session.commit()
    logged_in(role=Role.SPECIALIST, region_code="420500")
    form = client.get(f"/orgs/{org.id}").text
    assert f'action="/orgs/{org.id}"' in form and 'name="team_type"' not in form
    # The name changes, the emptied address is cleared, the phone (not posted) stays.
    data = {"name": "西陵区水利和湖泊局", "region_code": "420502", "address": ""}
    response = _post(client, f"/orgs/{org.id}", data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/orgs/{org.id}?saved=1"
    saved = _org(session, org.id)
    assert (saved.name, saved.address, saved.phone) == ("西陵区水利和湖泊局", None, "+867176222333")
    assert "已保存" in client.get(response.headers["location"]).text


@pytest.mark.parametrize(
    ("data", "status", "field", "words"),
    [
        ({"phone": "12345"}, 422, "phone", "not a valid phone number"),
        ({"lon": "east"}, 422, "lon", "valid number"),
        ({"lon": "111.3", "lat": ""}, 422, "lat", "give both lon and lat"),
        ({"region_code": "420102"}, 403, None, "outside your region"),  # said above the form
        ({"name": ""}, 422, "name", "name is required"),
    ],
)
def test_edit_errors_are_shown_in_the_form_and_change_nothing(
    session: Session,
    client: TestClient,
    logged_in: LoggedIn,
    data: dict[str, str],
    status: int,
    field: str | None,
    words: str,
) -> None:
    org = make_org(session, kind=OrgKind.MEMBER_UNIT, name="西陵区水利局", region_code="420502")
    session.commit()
    logged_in(role=Role.SPECIALIST, region_code="420500")
    response = _post(client, f"/orgs/{org.id}", data)
    assert response.status_code == status
    assert words in response.text and 'id="form-problem"' in response.text
    if field is not None:
        assert f'id="error-{field}"' in response.text and 'aria-invalid="true"' in response.text
    saved = _org(session, org.id)
    assert (saved.name, saved.region_code, saved.phone, saved.lon) == (
        "西陵区水利局",
        "420502",
        None,
        None,
    )


def test_a_taken_credit_code_is_a_409_in_the_form(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    taken = credit_code(division="420502")
    make_org(session, name="甲企业", credit_code=taken)
    org = make_org(session, name="乙企业")
    session.commit()
    logged_in(role=Role.SPECIALIST, region_code="420500")
    response = _post(client, f"/orgs/{org.id}", {"credit_code": taken})
    assert response.status_code == 409
    assert "is already registered" in response.text and 'id="error-credit_code"' in response.text
    assert _org(session, org.id).credit_code != taken


def test_enterprise_user_edits_its_own_organisation_only(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    own = make_org(session, name="本企业", region_code="420502")
    other = make_org(session, name="别家企业", region_code="420502")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=own.id)
    assert f'action="/orgs/{own.id}"' in client.get(f"/orgs/{own.id}").text
    assert _post(client, f"/orgs/{own.id}", {"address": "新地址"}).status_code == 303
    assert _org(session, own.id).address == "新地址"
    assert _post(client, f"/orgs/{other.id}", {"address": "新地址"}).status_code == 403
    assert _org(session, other.id).address is None


def _new_form(**overrides: str) -> dict[str, str]:
    form = {
        "kind": "enterprise",
        "name": "宜昌新企业",
        "region_code": "420502",
        "credit_code": credit_code(division="420502"),
        "industry_code": "C2614",
        "address": "",
        "phone": "",
        "lon": "",
        "lat": "",
        "team_type": "",
        "headcount": "",
        "parent_id": "",
    }
    form.update(overrides)
    return form


def test_register_form_offers_only_the_users_regions(
    client: TestClient, logged_in: LoggedIn
) -> None:
    logged_in(role=Role.SPECIALIST, region_code="420500")
    html = client.get("/orgs/new").text
    select = html[
        html.index('name="region_code"') : html.index("</select>", html.index('name="region_code"'))
    ]
    offered = set(re.findall(r'<option value="(\d+)"', select))
    assert offered == {"420500", "420502", "420503"}  # not the province above, not Wuhan
    assert '<option value="C26">化学原料和化学制品制造业</option>' in html  # industry list


def test_register_an_organisation(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    logged_in(role=Role.SPECIALIST, region_code="420500")
    response = _post(client, "/orgs/new", _new_form(lon="111.3", lat="30.7"))
    assert response.status_code == 303
    org_id = uuid.UUID(response.headers["location"].split("/")[2].split("?")[0])
    org = _org(session, org_id)
    assert (org.name, org.kind, org.lon, org.address) == ("宜昌新企业", "enterprise", 111.3, None)
    page = client.get(response.headers["location"]).text
    assert "宜昌新企业" in page and "已保存" in page


def test_a_bad_credit_code_is_a_422_and_nothing_is_created(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    logged_in(role=Role.SPECIALIST, region_code="420500")
    good = credit_code(division="420502")
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    response = _post(client, "/orgs/new", _new_form(credit_code=wrong_check, name="坏代码企业"))
    assert response.status_code == 422
    assert "check character should be" in response.text
    assert 'id="error-credit_code"' in response.text and "请修改标出的字段" in response.text
    assert 'value="坏代码企业"' in response.text  # what was typed stays in the form
    assert _count(session) == 0


@pytest.mark.parametrize(
    ("overrides", "status", "marked"),
    [
        ({"kind": ""}, 422, "error-kind"),
        ({"industry_code": ""}, 422, "error-industry_code"),
        ({"region_code": "420102"}, 403, "form-problem"),
        ({"region_code": "999999"}, 422, "error-region_code"),
        ({"kind": "member_unit", "headcount": "5"}, 422, "error-headcount"),
        ({"kind": "department"}, 422, "error-parent_id"),
    ],
)
def test_register_errors_name_the_field(
    session: Session,
    client: TestClient,
    logged_in: LoggedIn,
    overrides: dict[str, str],
    status: int,
    marked: str,
) -> None:
    logged_in(role=Role.SPECIALIST, region_code="420500")
    response = _post(client, "/orgs/new", _new_form(**overrides))
    assert response.status_code == status
    assert f'id="{marked}"' in response.text
    assert _count(session) == 0


def test_register_a_department_under_its_bureau(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    bureau = make_org(session, kind=OrgKind.BUREAU, name="宜昌市应急管理局", region_code="420500")
    session.commit()
    logged_in(role=Role.SPECIALIST, region_code="420500")
    assert f'<option value="{bureau.id}">' in client.get("/orgs/new").text
    form = _new_form(kind="department", name="防汛抗旱科", region_code="420500", credit_code="")
    form.update(industry_code="", parent_id=str(bureau.id))
    response = _post(client, "/orgs/new", form)
    assert response.status_code == 303
    assert "宜昌市应急管理局" in client.get(response.headers["location"]).text


@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.ENTERPRISE, Role.GRASSROOTS])
def test_roles_without_region_wide_writes_may_not_register(
    session: Session, client: TestClient, logged_in: LoggedIn, role: Role
) -> None:
    own = make_org(session, name="本企业", region_code="420502")
    session.commit()
    logged_in(role=role, region_code="420502", organisation_id=own.id)
    assert client.get("/orgs/new").status_code == 403
    assert _post(client, "/orgs/new", _new_form()).status_code == 403
    assert _count(session) == 1


def test_forms_without_the_csrf_token_change_nothing(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    org = make_org(session, kind=OrgKind.MEMBER_UNIT, name="原名称", region_code="420502")
    session.commit()
    logged_in(role=Role.ADMIN, region_code="420500")
    for token in (None, "forged"):
        extra = {} if token is None else {"csrf_token": token}
        created = _post(client, "/orgs/new", {**_new_form(), **extra}, csrf=False)
        edited = _post(client, f"/orgs/{org.id}", {"name": "新名称", **extra}, csrf=False)
        assert created.status_code in (400, 403) and edited.status_code in (400, 403)
        assert "表单已过期" in edited.text
    assert _count(session) == 1 and _org(session, org.id).name == "原名称"


def test_grassroots_has_no_organisations_module(client: TestClient, logged_in: LoggedIn) -> None:
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    home = client.get("/").text
    assert "/orgs" not in nav_paths(home) and "/admin" not in nav_paths(home)
    assert 'href="/orgs"' not in home  # nor in the home page's module list
    response = client.get("/orgs")
    assert response.status_code == 403 and "您的角色无权打开此页面" in response.text


def test_detail_lists_the_organisations_people(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    org = make_org(session, kind=OrgKind.RESCUE_TEAM, name="西陵救援队", headcount=12)
    make_person(session, organisation_id=org.id, name="王队长", position="队长")
    make_person(session, name="无关人员")
    session.commit()
    logged_in(role=Role.INSPECTOR, region_code="420500")
    html = client.get(f"/orgs/{org.id}").text
    assert "王队长" in html and "队长" in html and "无关人员" not in html
    assert "救援队伍" in html and "专业救援队伍" in html and "12" in html
