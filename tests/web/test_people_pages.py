"""The people pages: the person list and the responsible persons (包保责任人)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person, make_responsibility
from tests.web.conftest import LoggedIn
from yingji.core.auth.roles import Role
from yingji.orgs.schemas import DutyType, OrgKind

MOBILE = "13812345678"


def _people(session: Session) -> None:
    unit = make_org(session, kind=OrgKind.MEMBER_UNIT, name="西陵区水利局", region_code="420502")
    make_person(
        session,
        name="张三",
        organisation_id=unit.id,
        position="局长",
        mobile=MOBILE,
        region_code="420502",
    )
    make_person(session, name="李四", region_code="420503", position="网格员")
    make_person(session, name="王五", region_code="420102")  # Wuhan
    session.commit()


def test_people_list_shows_people_of_the_subtree_with_their_numbers(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    _people(session)
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    html = client.get("/persons").text
    assert "张三" in html and "李四" in html and "王五" not in html
    row = html[html.index("张三") : html.index("</tr>", html.index("张三"))]
    assert "西陵区水利局" in row and "局长" in row and "西陵区" in row
    assert f"+86{MOBILE}" in row  # the duty officer must be able to phone them


def test_people_list_shows_full_mobiles_to_those_who_edit_people(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    _people(session)
    logged_in(role=Role.SPECIALIST, region_code="420500")
    assert f"+86{MOBILE}" in client.get("/persons").text


def test_people_search_and_region_filter(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    _people(session)
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    found = client.get("/persons", params={"q": "网格"}).text
    assert "李四" in found and "张三" not in found
    xiling = client.get("/persons", params={"region": "420502"}).text
    assert "张三" in xiling and "李四" not in xiling
    assert 'option value="420502" selected' in xiling
    # Another region's filter finds nothing (lists never include what the user may not see).
    wuhan = client.get("/persons", params={"region": "420102"})
    assert wuhan.status_code == 200 and "王五" not in wuhan.text and "共 0 条" in wuhan.text
    unknown = client.get("/persons", params={"region": "999999"})
    assert unknown.status_code == 422 and "unknown region code" in unknown.text
    assert client.get("/persons", params={"region": "a\x00b"}).status_code == 200


def test_enterprise_user_sees_only_its_own_people(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    own = make_org(session, name="本企业", region_code="420502")
    other = make_org(session, name="别家企业", region_code="420502")
    make_person(session, name="本企业员工", organisation_id=own.id)
    make_person(session, name="别家员工", organisation_id=other.id)
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=own.id)
    html = client.get("/persons").text
    assert "本企业员工" in html and "别家员工" not in html


def test_responsible_persons_by_region_and_duty(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    zhang = make_person(session, name="张三", region_code="420502")
    li = make_person(session, name="李四", region_code="420503")
    wang = make_person(session, name="王五", region_code="420102")
    make_responsibility(session, person_id=zhang.id, region_code="420502", title="区防汛责任人")
    make_responsibility(
        session, person_id=li.id, region_code="420503", duty_type=DutyType.GEOLOGICAL
    )
    make_responsibility(session, person_id=wang.id, region_code="420102")
    session.commit()
    logged_in(role=Role.DUTY_OFFICER, region_code="420500")
    html = client.get("/responsibilities").text
    assert "张三" in html and "李四" in html and "王五" not in html
    row = html[html.index("区防汛责任人") - 400 : html.index("</tr>", html.index("区防汛责任人"))]
    assert "西陵区" in row and "防汛" in row and "张三" in row and "主责" in row
    flood = client.get("/responsibilities", params={"duty": "flood"}).text
    assert "张三" in flood and "李四" not in flood
    wujiagang = client.get("/responsibilities", params={"region": "420503"}).text
    assert "李四" in wujiagang and "张三" not in wujiagang


def test_grassroots_reads_assignments_of_its_region_without_the_module_link(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    zhang = make_person(session, name="张三", region_code="420502")
    make_responsibility(session, person_id=zhang.id, region_code="420502", title="区防汛责任人")
    make_responsibility(session, person_id=zhang.id, region_code="420503", title="别区责任")
    session.commit()
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    html = client.get("/responsibilities").text
    # ASSIGNMENT_READ reaches the region; PERSON_READ (own organisation only) hides the name.
    assert "区防汛责任人" in html and "别区责任" not in html and "张三" not in html
    assert 'href="/orgs"' not in html


def test_roles_without_assignment_read_get_403(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    own = make_org(session, name="本企业", region_code="420502")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=own.id)
    response = client.get("/responsibilities")
    assert response.status_code == 403 and "您的角色无权打开此页面" in response.text
