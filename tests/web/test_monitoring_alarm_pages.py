"""The alarm list: who sees which alarms, the actions as plain forms, the feed, the board counts."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from tests.web.conftest import LoggedIn, csrf_of
from tests.web.test_i18n import _latin_words
from tests.web.test_monitoring_pages import World, page_json, register_world
from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import GRANTS, Permission, Role
from yingji.monitoring import service
from yingji.monitoring.states import AlarmStatus

SYSTEM = system_actor(source="tests")
_ROW = re.compile(r'<tr id="alarm-([0-9a-f-]{36})"')


def raise_alarm(session: Session, sensor_id: int, value: float) -> uuid.UUID:
    """Hold a value for 15 s through the rule engine (as the rules worker does) and commit.

    Two readings, so that a rule's minimum duration (pressure: 10 s) is met.
    """
    now = time.time()
    runtime = service.RuleRuntime.load(session)
    moments = [int((now - ago) * 1000) for ago in (16.0, 1.0)]
    runtime.evaluate(session, [sensor_id, sensor_id], moments, [value, value])
    session.commit()
    alarms, _total = service.list_alarms(
        session, actor=SYSTEM, sensor_id=sensor_id, handled=False, limit=1
    )
    return alarms[0].id


@pytest.fixture
def world(session: Session, tree: None) -> World:
    """The two sites of the monitoring page tests, without readings."""
    w = register_world(session)
    session.commit()
    return w


@pytest.fixture
def alarms(session: Session, world: World) -> dict[str, uuid.UUID]:
    """An orange gas alarm at A (60 %LEL) and a red pressure alarm at B (0.5 MPa)."""
    return {
        "A": raise_alarm(session, world.sensors["CH4-01"], 60.0),
        "B": raise_alarm(session, world.sensors["PT-B1"], 0.5),
    }


def _rows(html: str) -> list[str]:
    return _ROW.findall(html)


def _row(html: str, alarm_id: uuid.UUID) -> str:
    return html.split(f'<tr id="alarm-{alarm_id}"')[1].split("</tr>")[0]


@pytest.mark.parametrize(
    "role", [Role.DUTY_OFFICER, Role.COMMANDER, Role.SPECIALIST, Role.INSPECTOR, Role.MEMBER_UNIT]
)
def test_the_list_shows_the_alarms_to_every_reading_role(
    client: TestClient, alarms: dict[str, uuid.UUID], logged_in: LoggedIn, role: Role
) -> None:
    user = logged_in(role, "420500")
    page = client.get("/monitoring/alarms")
    assert page.status_code == 200, page.text
    assert _rows(page.text) == [str(alarms["B"]), str(alarms["A"])]  # newest first
    a = _row(page.text, alarms["A"])
    for shown in ("橙色", "液氨储罐区", "可燃气体探测器 1", "超限", "60", "%LEL", "报警中·未确认"):
        assert shown in a, shown
    assert 'class="alarm-row band-orange"' in page.text
    assert "/monitoring/sensors/" in a and "2 条报警未确认" in page.text
    handles = GRANTS[role].get(Permission.ALARM_HANDLE) is not None
    assert ("/acknowledge" in a) is handles and ("指派" in a) is handles
    assert '<a href="/monitoring/alarms" aria-current="page">报警列表</a>' in page.text
    assert set(_latin_words(page.text, user)) == {"LEL", "MPa"}  # units only


def test_an_enterprise_sees_only_its_own_alarms(
    client: TestClient, world: World, alarms: dict[str, uuid.UUID], logged_in: LoggedIn
) -> None:
    logged_in(Role.ENTERPRISE, "420503", world.ent_b)
    page = client.get("/monitoring/alarms")
    assert _rows(page.text) == [str(alarms["B"])]
    assert "液氨储罐区" not in page.text and "1 条报警未确认" in page.text
    feed = client.get("/monitoring/alarms/feed").json()
    assert [r["id"] for r in feed["rows"]] == [str(alarms["B"])]
    # It may assign only to itself: it may not read other users.
    assign = _row(page.text, alarms["B"]).split("alarm-assign")[1]
    assert assign.count("<option value=") == 2  # "Choose…" and itself


def test_filters(
    client: TestClient, world: World, alarms: dict[str, uuid.UUID], logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    red = client.get("/monitoring/alarms", params={"severity": "red"})
    assert _rows(red.text) == [str(alarms["B"])]
    assert _rows(client.get("/monitoring/alarms", params={"state": "handled"}).text) == []
    assert "没有符合条件的报警" in client.get("/monitoring/alarms?state=handled").text
    acked = client.get("/monitoring/alarms", params={"status": "active_ack"})
    assert _rows(acked.text) == []
    unacked = client.get("/monitoring/alarms", params={"status": "active_unack"})
    assert _rows(unacked.text) == [str(alarms["B"]), str(alarms["A"])]
    objects = dict(re.findall(r'<option value="([0-9a-f-]{36})">([^<]+)</option>', red.text))
    by_name = {name: object_id for object_id, name in objects.items()}
    tank = client.get("/monitoring/alarms", params={"object": by_name["液氨储罐区"]})
    assert _rows(tank.text) == [str(alarms["A"])]
    nonsense = client.get("/monitoring/alarms", params={"severity": "x", "object": "y"})
    assert nonsense.status_code == 200 and len(_rows(nonsense.text)) == 2


def test_acknowledge_dispose_assign_through_the_forms(
    client: TestClient, session: Session, alarms: dict[str, uuid.UUID], logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    page = client.get("/monitoring/alarms?severity=orange")
    token, alarm_id = csrf_of(page.text), alarms["A"]
    back = "/monitoring/alarms?severity=orange"
    done = client.post(
        f"/monitoring/alarms/{alarm_id}/acknowledge",
        data={"csrf_token": token, "next": back},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"{back}&done=acknowledge")
    shown = client.get(done.headers["location"])
    assert "报警已确认" in shown.text and "报警中·已确认" in _row(shown.text, alarm_id)
    # A second acknowledgement is an illegal transition: 409 with the reason, nothing changes.
    again = client.post(
        f"/monitoring/alarms/{alarm_id}/acknowledge", data={"csrf_token": token, "next": back}
    )
    assert again.status_code == 409
    assert "与现有数据冲突" in again.text and "该报警现为“报警中·已确认”" in again.text
    # A disposition that is none of the four: 422 naming the field, the note kept.
    bad = client.post(
        f"/monitoring/alarms/{alarm_id}/dispose",
        data={"csrf_token": token, "next": back, "disposition": "arson", "note": "查看现场"},
    )
    assert bad.status_code == 422
    row = _row(bad.text, alarm_id)
    assert "请选择报警的处置结论" in row and 'aria-invalid="true"' in row and "查看现场" in row
    assert '<details class="alarm-form alarm-dispose" open>' in row
    empty = client.post(
        f"/monitoring/alarms/{alarm_id}/dispose",
        data={"csrf_token": token, "next": back, "disposition": "real", "note": " "},
    )
    assert empty.status_code == 422 and "请填写发现的情况" in _row(empty.text, alarm_id)
    disposed = client.post(
        f"/monitoring/alarms/{alarm_id}/dispose",
        data={"csrf_token": token, "next": back, "disposition": "false_alarm", "note": "探头受潮"},
        follow_redirects=False,
    )
    assert disposed.status_code == 303
    # Assign: to a duty officer of the city, picked from the list the row offers.
    colleague, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    elsewhere, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420100")
    session.commit()
    listed = client.get("/monitoring/alarms").text
    assign = _row(listed, alarm_id).split("alarm-assign")[1]
    assert str(colleague.id) in assign and str(elsewhere.id) not in assign
    assert "误报" in _row(listed, alarm_id) and "探头受潮" in _row(listed, alarm_id)
    refused = client.post(
        f"/monitoring/alarms/{alarm_id}/assign",
        data={"csrf_token": token, "next": back, "user_id": str(elsewhere.id)},
    )
    assert refused.status_code == 422 and "请选择有权处理该报警的用户" in refused.text
    assigned = client.post(
        f"/monitoring/alarms/{alarm_id}/assign",
        data={"csrf_token": token, "next": back, "user_id": str(colleague.id)},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    alarm = service.get_alarm(session, actor=SYSTEM, alarm_id=alarm_id)
    session.refresh(alarm)
    assert alarm.status == AlarmStatus.ACTIVE_ACK and alarm.disposition == "false_alarm"
    assert alarm.assigned_to == colleague.id
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == str(alarm_id))
    ).all()
    assert {"alarm.acknowledge", "alarm.disposed", "alarm.assigned"} <= set(actions)
    assert "Test duty_officer" in _row(client.get("/monitoring/alarms").text, alarm_id)


def test_forms_need_the_csrf_token(
    client: TestClient, alarms: dict[str, uuid.UUID], logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    response = client.post(f"/monitoring/alarms/{alarms['A']}/acknowledge", data={"next": "/"})
    assert response.status_code == 403
    unknown = client.post(
        f"/monitoring/alarms/{uuid.uuid4()}/acknowledge",
        data={"csrf_token": csrf_of(client.get("/monitoring/alarms").text)},
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.MEMBER_UNIT])
def test_readers_see_no_actions_and_may_not_post(
    client: TestClient, alarms: dict[str, uuid.UUID], logged_in: LoggedIn, role: Role
) -> None:
    logged_in(role, "420500")
    page = client.get("/monitoring/alarms")
    assert page.status_code == 200 and 'action="/monitoring/alarms/' not in page.text
    assert "alarm-assign" not in page.text
    token = csrf_of(page.text)  # the language switch carries the session's token too
    for action, data in (
        ("acknowledge", {}),
        ("dispose", {"disposition": "real", "note": "x"}),
        ("assign", {"user_id": str(uuid.uuid4())}),
    ):
        response = client.post(
            f"/monitoring/alarms/{alarms['A']}/{action}", data={"csrf_token": token, **data}
        )
        assert response.status_code == 403, action


def test_roles_without_monitor_read_are_refused(
    client: TestClient, alarms: dict[str, uuid.UUID], logged_in: LoggedIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    anonymous = client.get("/monitoring/alarms", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert client.get("/monitoring/alarms/feed").status_code == 401
    monkeypatch.delitem(GRANTS[Role.GRASSROOTS], Permission.MONITOR_READ)
    logged_in(Role.GRASSROOTS, "420502")
    assert client.get("/monitoring/alarms").status_code == 403
    assert client.get("/monitoring/alarms/feed").status_code == 403


def test_the_feed_renders_the_rows_the_page_shows(
    client: TestClient, session: Session, world: World, alarms: dict[str, uuid.UUID],
    logged_in: LoggedIn,
) -> None:  # fmt: skip
    logged_in(Role.DUTY_OFFICER, "420500")
    page = client.get("/monitoring/alarms")
    config = page_json(page.text, "alarms-config")
    assert config["feedUrl"] == "/monitoring/alarms/feed" and config["pollMs"] <= 10_000
    feed = client.get(config["feedUrl"], params=config["query"]).json()
    assert [r["id"] for r in feed["rows"]] == _rows(page.text)
    assert feed["unacknowledged"] == 2 and feed["total"] == 2
    assert feed["rows"][1]["html"].strip() == _row_html(page.text, alarms["A"]).strip()
    newer = raise_alarm(session, world.sensors["P-R"], 0.5)
    assert client.get(config["feedUrl"]).json()["rows"][0]["id"] == str(newer)


def _row_html(html: str, alarm_id: uuid.UUID) -> str:
    start = html.index(f'<tr id="alarm-{alarm_id}"')
    return html[start : html.index("</tr>", start) + len("</tr>")]


def test_the_board_counts_open_alarms(
    client: TestClient, world: World, alarms: dict[str, uuid.UUID], logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    board = client.get("/api/monitoring/board").json()
    assert board["unacknowledged"] == 2
    objects = {o["code"]: o for o in board["objects"]}
    assert objects["OBJ-A"]["alarms"] == 1 and objects["OBJ-B"]["alarms"] == 1
    sensors = {s["code"]: s for o in board["objects"] for s in o["sensors"]}
    assert sensors["CH4-01"]["alarms"] == 1 and sensors["P-N"]["alarms"] == 0
    page = client.get("/monitoring")
    assert 'id="board-alarms"' in page.text and "2 条报警未确认" in page.text
    assert page_json(page.text, "board-config")["alarmsUrl"] == "/monitoring/alarms"
    tabs = page.text.split('class="tabs"')[1].split("</nav>")[0]
    assert tabs.index('/monitoring"') < tabs.index("/monitoring/alarms") < tabs.index("gateways")


def test_english_labels(
    client: TestClient, alarms: dict[str, uuid.UUID], logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    token = csrf_of(client.get("/monitoring/alarms").text)
    client.post("/lang", data={"language": "en", "csrf_token": token, "next": "/"})
    page = client.get("/monitoring/alarms")
    a = _row(page.text, alarms["A"])
    for shown in ("Orange", "Threshold exceeded", "Active, unacknowledged", "Acknowledge"):
        assert shown in a, shown
