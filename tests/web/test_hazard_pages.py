"""Hazard pages: board, my hazards, the detail page with its action forms, supervised list."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.hazards import World, advance, make_hazard, make_world
from tests.web.conftest import LoggedIn, csrf_of
from yingji.core.auth.roles import Role
from yingji.hazards.states import HazardGrade, HazardStatus

_ROW = re.compile(r'<a href="/hazards/([0-9a-f-]{36})">')
_TITLED = re.compile(r'<a href="/hazards/([0-9a-f-]{36})">([^<]+)</a>')


@pytest.fixture
def world(session: Session, tree: None) -> World:
    """Two enterprises with one hazard each, the first one major and under rectification."""
    w = make_world(session, tree=False)
    first = make_hazard(session, enterprise_id=w.ent_a, title="储罐区报警器失效")
    advance(session, first, HazardStatus.RECTIFYING, person_id=w.person_a, grade=HazardGrade.MAJOR)
    make_hazard(session, enterprise_id=w.ent_b, title="配电室积水")
    session.commit()
    return w


def test_enterprise_sees_only_its_hazards(
    client: TestClient, world: World, logged_in: LoggedIn
) -> None:
    logged_in(Role.ENTERPRISE, "420502", world.ent_a)
    page = client.get("/hazards")
    assert page.status_code == 200
    assert "储罐区报警器失效" in page.text and "配电室积水" not in page.text
    assert len(_ROW.findall(page.text)) == 1


def test_bureau_board_and_filters(client: TestClient, world: World, logged_in: LoggedIn) -> None:
    logged_in(Role.COMMANDER, "420500", world.bureau)
    page = client.get("/hazards")
    assert page.status_code == 200
    assert len(_ROW.findall(page.text)) == 2
    filtered = client.get("/hazards", params={"grade": "major", "status": "rectifying"})
    assert len(_ROW.findall(filtered.text)) == 1
    nonsense = client.get("/hazards", params={"status": "x", "region": "<b>", "page": "-3"})
    assert nonsense.status_code == 200
    assert client.get("/hazards/supervised").status_code == 200


def test_detail_actions_and_supervision(
    client: TestClient, session: Session, world: World, logged_in: LoggedIn
) -> None:
    logged_in(Role.SPECIALIST, "420500", world.department)
    by_title = {title: hid for hid, title in _TITLED.findall(client.get("/hazards").text)}
    ids = [by_title["储罐区报警器失效"], by_title["配电室积水"]]
    detail = client.get(f"/hazards/{ids[0]}")
    assert detail.status_code == 200
    assert "act-supervise" in detail.text
    assert "已于" in detail.text and "宜昌市应急管理局" in detail.text  # reported to (Art. 41)
    assert "开始整改" in detail.text  # the timeline
    assert "hazard.reported" not in detail.text  # the timeline shows labels
    other = client.get(f"/hazards/{ids[1]}")
    assert "act-confirm" in other.text
    response = client.post(
        f"/hazards/{ids[1]}/act",
        data={"action": "confirm", "grade": "general", "csrf_token": csrf_of(other.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    refused = client.post(
        f"/hazards/{ids[1]}/act",
        data={"action": "close", "csrf_token": csrf_of(other.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    expired = client.post(f"/hazards/{ids[1]}/act", data={"action": "close"})
    assert expired.status_code == 403
    assert client.get("/hazards/00000000-0000-0000-0000-000000000000").status_code == 404


def test_enterprise_plan_form(client: TestClient, world: World, logged_in: LoggedIn) -> None:
    logged_in(Role.ENTERPRISE, "420503", world.ent_b)
    (hid,) = _ROW.findall(client.get("/hazards").text)
    page = client.get(f"/hazards/{hid}")
    assert "act-confirm" in page.text and "act-supervise" not in page.text
    csrf = csrf_of(page.text)
    client.post(f"/hazards/{hid}/act", data={"action": "confirm", "grade": "general",
                                             "csrf_token": csrf})  # fmt: skip
    page = client.get(f"/hazards/{hid}")
    assert "act-plan" in page.text
    response = client.post(
        f"/hazards/{hid}/act",
        data={"action": "start_rectification", "responsible_person_id": "", "csrf_token": csrf},
    )
    assert response.status_code == 422
    assert "form-problem" in response.text


def test_pages_are_translated(client: TestClient, world: World, logged_in: LoggedIn) -> None:
    from tests.web.test_i18n import _latin_words

    user = logged_in(Role.ADMIN, "420500")
    pages = ["/hazards", "/hazards/supervised", "/hazards?grade=major"]
    pages += [f"/hazards/{hid}" for hid in _ROW.findall(client.get("/hazards").text)]
    # Hazard numbers (YH420502-20261122-7KQ2M9XD) and the factories' names are data.
    data = re.compile(r"YH[0-9]+-[0-9]{8}-[0-9A-Z]{8}|\btests\b|人员-[0-9a-f]{6}")
    found = {path: _latin_words(data.sub("", client.get(path).text), user) for path in pages}
    assert {path: words for path, words in found.items() if words} == {}
