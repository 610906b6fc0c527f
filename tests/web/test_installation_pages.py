"""The page recording a major hazard installation: the form, identification, errors, denials."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person
from tests.web.conftest import LoggedIn, csrf_of
from tests.web.test_i18n import _latin_words
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.risks import service

NEW = "/risks/installations/new"
_DETAIL = re.compile(r"^/risks/installations/([0-9a-f-]{36})\?saved=1$")
# 40 t of chlorine (Table 1 序号 12: Q 5 t, β 4) and 1000 t of methanol (序号 65: Q 500 t) with
# hazard class W5.3 for its β (1): S = 8 + 2 = 10; 100 people: α = 2, R = 2 · (32 + 2) = 68, 二级.
TWO_CHEMICALS = {
    "name": "罐区一", "unit_kind": "storage", "exposed_people": "100",
    "s_label_0": "液氯储罐", "s_seq_0": "12", "s_q_0": "40",
    "s_seq_3": "65", "s_classes_3": "w5.3", "s_q_3": "1000",
}  # fmt: skip
NO_ROWS = {key: "" for key in TWO_CHEMICALS if key.startswith("s_")}


def _post(client: TestClient, data: dict[str, str], path: str = NEW) -> Response:
    fields = {**data, "csrf_token": csrf_of(client.get("/").text)}
    return client.post(path, data=fields, follow_redirects=False)


def _table_texts() -> list[tuple[str, str]]:
    tables = service.substance_tables()
    names = [(str(s.seq), s.name) for s in tables.substances]
    return names + [(c.symbol, c.description) for c in tables.categories.values()]


def _installations(session: Session, organisation_id: uuid.UUID) -> list[str]:
    session.expire_all()
    rows, _ = service.list_installations(
        session, actor=system_actor(source="tests"), organisation_id=organisation_id
    )
    return [row.name for row in rows]


def test_enterprise_records_an_installation_and_sees_its_grade(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="甲化工", region_code="420502")
    make_person(session, organisation_id=ent.id, name="王五")
    session.commit()
    user = logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=ent.id)
    listing = client.get("/risks/installations")
    assert f'href="{NEW}"' in listing.text and "新建重大危险源" in listing.text
    form = client.get(NEW)
    assert form.status_code == 200
    assert "12. 氯（7782-50-5） · Q 5 t" in form.text and 'id="f-s_q_1"' in form.text
    assert 'id="f-organisation_id"' not in form.text  # an enterprise records for itself
    assert "王五" in form.text and 'value="W5.1"' in form.text
    assert 'id="substance-row-template"' in form.text and "installation_form.js" in form.text
    # Latin letters only in the standard's own data (formulas such as CO, H₂, CH₄ in names).
    data = " ".join(text for _, text in _table_texts())
    assert [w for w in _latin_words(form.text, user) if w not in data] == []
    created = _post(client, TWO_CHEMICALS)
    assert created.status_code == 303, created.text
    found = _DETAIL.match(created.headers["location"])
    assert found is not None
    detail = client.get(created.headers["location"])
    assert detail.status_code == 200 and "已保存" in detail.text
    assert re.search(r'id="inst-s">10 ≈ 10<', detail.text)
    assert re.search(r'id="inst-r">68 ≈ 68<', detail.text)
    assert 'id="inst-grade">二级<' in detail.text and 'id="inst-major">是<' in detail.text
    # An unlabelled Table 1 pick is labelled with the substance's name.
    assert "液氯储罐" in detail.text and '<td data-label="名称">甲醇</td>' in detail.text
    row = service.get_installation(
        session, actor=system_actor(source="tests"), installation_id=uuid.UUID(found.group(1))
    )
    assert row.organisation_id == ent.id and row.exposed_people == 100


def test_bureau_picks_the_enterprise(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="乙化工", region_code="420503")
    session.commit()
    logged_in(role=Role.SPECIALIST, region_code="420500")
    form = client.get(NEW)
    assert form.status_code == 200 and 'id="f-organisation_id"' in form.text
    assert "乙化工" in form.text
    missing = _post(client, TWO_CHEMICALS)
    assert missing.status_code == 422 and 'id="error-organisation_id"' in missing.text
    created = _post(client, {**TWO_CHEMICALS, "organisation_id": str(ent.id)})
    assert created.status_code == 303, created.text
    assert _installations(session, ent.id) == ["罐区一"]
    client.post("/lang", data={"language": "en", "csrf_token": csrf_of(form.text)})
    english = client.get(NEW)
    assert "New major hazard installation" in english.text and "Add a chemical" in english.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"s_q_3": "abc"}, "s_q_1", "请填写以吨为单位的数量"),
        ({"s_q_3": "0"}, "s_q_1", "请填写以吨为单位的数量"),
        ({"s_q_0": "1.1234567"}, "s_q_0", "请填写以吨为单位的数量"),
        ({"s_classes_3": "W99"}, "s_classes_1", "unknown hazard class W99"),
        ({"s_seq_3": "", "s_classes_3": ""}, "s_row_1", "请从表1中选择物质"),
        ({"s_seq_3": "", "s_classes_3": "", "s_label_3": "储罐"}, "s_row_1", "请从表1中选择物质"),
        ({"s_seq_0": "x"}, "s_seq_0", "请从表1的列表中选择物质"),
        (NO_ROWS, "substances", "请至少填写一种危险化学品"),
        ({"exposed_people": "many"}, "exposed_people", "integer"),
        ({"name": ""}, "name", "at least 1 character"),
        ({"unit_kind": "shop"}, "unit_kind", "production"),
    ],
)
def test_bad_input_marks_the_field_and_keeps_the_values(
    session: Session,
    client: TestClient,
    logged_in: LoggedIn,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    ent = make_org(session, name="甲化工", region_code="420502")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=ent.id)
    refused = _post(client, {**TWO_CHEMICALS, **changes})
    assert refused.status_code == 422, refused.text
    assert 'role="alert"' in refused.text and "请修改标出的字段" in refused.text
    error = re.search(rf'<p class="field-error" id="error-{re.escape(field)}"[^>]*>([^<]*)</p>',
                      refused.text)  # fmt: skip
    assert error is not None, refused.text
    assert message in error.group(1)
    if "name" not in changes:
        assert 'value="罐区一"' in refused.text  # what was entered stays
    if field == "s_q_1":
        assert f'value="{changes["s_q_3"]}"' in refused.text
    assert _installations(session, ent.id) == []


def test_readers_are_refused_and_see_no_button(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="甲化工", region_code="420502")
    session.commit()
    logged_in(role=Role.COMMANDER, region_code="420500")  # reads everything, changes no risk
    assert NEW not in client.get("/risks/installations").text
    assert client.get(NEW).status_code == 403
    denied = _post(client, {**TWO_CHEMICALS, "organisation_id": str(ent.id)})
    assert denied.status_code == 403
    assert _installations(session, ent.id) == []


def test_grassroots_is_refused(session: Session, client: TestClient, logged_in: LoggedIn) -> None:
    ent = make_org(session, name="甲化工", region_code="420502")
    session.commit()
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    assert client.get(NEW).status_code == 403
    assert _post(client, {**TWO_CHEMICALS, "organisation_id": str(ent.id)}).status_code == 403
    assert _installations(session, ent.id) == []


def test_enterprise_cannot_record_for_another(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    mine = make_org(session, name="甲化工", region_code="420502")
    other = make_org(session, name="乙化工", region_code="420502")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=mine.id)
    denied = _post(client, {**TWO_CHEMICALS, "organisation_id": str(other.id)})
    assert denied.status_code == 403 and 'role="alert"' in denied.text
    assert _installations(session, other.id) == [] and _installations(session, mine.id) == []


def test_a_post_without_the_csrf_token_is_refused(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="甲化工", region_code="420502")
    session.commit()
    logged_in(role=Role.ENTERPRISE, region_code="420502", organisation_id=ent.id)
    refused = client.post(NEW, data=TWO_CHEMICALS, follow_redirects=False)
    assert refused.status_code == 403
    assert _installations(session, ent.id) == []
