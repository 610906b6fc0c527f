"""Warning pages: the list, the author form and its errors, the steps, the 叫应 board, the
recipient's page behind the signed link, and the public page of warnings in force."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.warnings.dispatch.helpers import SUBREGIONS, add_region, recorders, responsible
from tests.web.conftest import LoggedIn, csrf_of, log_in, nav_paths
from tests.web.test_i18n import _latin_words
from tests.web.test_monitoring_pages import page_json
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.warnings import _feedback
from yingji.warnings._tokens import key_of, make_token
from yingji.warnings.jobs import Dispatcher
from yingji.warnings.models import EarlyWarning, WarningMessage, WarningTarget

CHINA = dt.timezone(dt.timedelta(hours=8))
VILLAGE = "420502001001"
_LOCATION_ID = re.compile(r"^/warnings/([0-9a-f-]{36})\?done=")


@pytest.fixture
def world(session: Session, tree: None) -> None:
    """The small tree with towns and villages, and two flood duty persons in village A."""
    for code, name, level, parent in SUBREGIONS:
        add_region(session, code, name, level, parent)
    responsible(session, VILLAGE, name="王村长", title="村防汛责任人")
    responsible(session, VILLAGE, name="李网格员", title="网格员")
    session.commit()


def local(moment: dt.datetime) -> str:
    """Return a time as a datetime-local input sends it (Beijing time, to the minute)."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")


def draft_form(csrf: str, **fields: Any) -> dict[str, Any]:
    """Return a complete author form for a rainstorm warning over 西陵区."""
    now = dt.datetime.now(dt.UTC)
    base: dict[str, Any] = {
        "csrf_token": csrf, "hazard_type": "rainstorm", "level": "2",
        "onset": local(now), "expires": local(now + dt.timedelta(hours=12)),
        "area_desc": "西陵区全境", "region_codes": ["420502"], "shapes": "",
        "description": "预计未来6小时强降雨。", "instruction": "危险区域人员立即转移。",
        "sender_name": "宜昌市应急管理局",
    }  # fmt: skip
    return {**base, **fields}


def create_draft(client: TestClient, **fields: Any) -> uuid.UUID:
    """Write a draft through the author form; return its id."""
    form = client.get("/warnings/new")
    assert form.status_code == 200, form.text
    response = client.post(
        "/warnings/new", data=draft_form(csrf_of(form.text), **fields), follow_redirects=False
    )
    assert response.status_code == 303, response.text
    match = _LOCATION_ID.match(response.headers["location"])
    assert match is not None
    return uuid.UUID(match.group(1))


def step(client: TestClient, warning_id: uuid.UUID, action: str, **data: str) -> Any:
    """Press one of a warning page's buttons (with the page's CSRF token)."""
    page = client.get(f"/warnings/{warning_id}")
    assert f'id="action-{action}"' in page.text, action
    return client.post(
        f"/warnings/{warning_id}/{action}",
        data={"csrf_token": csrf_of(page.text), **data},
        follow_redirects=False,
    )


def stored(session: Session, warning_id: uuid.UUID) -> EarlyWarning:
    """Return the warning as the database holds it now."""
    session.expire_all()
    warning = session.get(EarlyWarning, warning_id)
    assert warning is not None
    return warning


def issue(client: TestClient, logged_in: LoggedIn, **fields: Any) -> uuid.UUID:
    """Write, submit and approve a warning through the pages; stay logged in as the approver."""
    client.cookies.clear()
    logged_in(role=Role.DUTY_OFFICER)
    warning_id = create_draft(client, **fields)
    assert step(client, warning_id, "submit").status_code == 303
    client.cookies.clear()
    logged_in(role=Role.COMMANDER)
    assert step(client, warning_id, "approve").status_code == 303
    return warning_id


class _FormReader(HTMLParser):
    """Collect what a browser would send for a form: inputs, selected options, text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("checkbox", "submit"):
            self.values.append((name, a.get("value") or ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, "".join(self._text)))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_of(html: str, **changes: str) -> dict[str, Any]:
    """Return the fields of the page's warning form as a browser sends them, with changes."""
    start = html.index('id="warning-form"')
    reader = _FormReader()
    reader.feed(html[html.rindex("<form", 0, start) : html.index("</form>", start)])
    fields: dict[str, Any] = {}
    for name, value in reader.values:
        if name == "region_codes":
            fields.setdefault(name, []).append(value)
        else:
            fields[name] = value
    return {**fields, **changes}


def token_of(session: Session, settings: Settings, name: str) -> str:
    """Return the signed acknowledgement token of a target."""
    session.expire_all()
    target = session.scalar(select(WarningTarget).where(WarningTarget.name == name))
    assert target is not None
    return make_token(key_of(settings), target.id, target.token_nonce)


# --- the list and the author form ---------------------------------------------------------------


def test_the_module_is_in_the_navigation_and_lists_warnings(
    client: TestClient, logged_in: LoggedIn, world: None
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    assert "/warnings" in nav_paths(client.get("/").text)
    empty = client.get("/warnings")
    assert empty.status_code == 200 and 'id="warning-empty"' in empty.text
    assert 'href="/warnings/new"' in empty.text
    warning_id = create_draft(client, level="1")
    html = client.get("/warnings").text
    assert f'data-warning="{warning_id}"' in html and "wl-chip wl-red" in html
    assert "暴雨" in html and "西陵区全境" in html and "草稿" in html
    assert f'data-warning="{warning_id}"' not in client.get("/warnings?status=issued").text
    assert f'data-warning="{warning_id}"' in client.get("/warnings?status=draft").text


def test_grassroots_read_but_cannot_write_warnings(
    client: TestClient, logged_in: LoggedIn, world: None
) -> None:
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    listing = client.get("/warnings")
    assert listing.status_code == 200 and 'href="/warnings/new"' not in listing.text
    refused = client.get("/warnings/new")
    assert refused.status_code == 403 and "预警类别" not in refused.text
    form = client.post("/warnings/new", data=draft_form(csrf_of(listing.text)))
    assert form.status_code == 403


def test_the_author_form_offers_templates_regions_and_the_map(
    client: TestClient, logged_in: LoggedIn, world: None
) -> None:
    logged_in(role=Role.SPECIALIST)
    html = client.get("/warnings/new").text
    assert 'value="rainstorm" selected' in html and 'value="typhoon"' in html
    assert "强降雨" in html  # the first template's texts are filled in
    templates = page_json(html, "warning-templates")
    assert templates["typhoon"]["instruction"].startswith("加固")
    config = page_json(html, "area-config")
    assert config["editable"] is True and config["root"] == "420500"
    assert 'value="420502"' in html and 'value="420100"' not in html  # own subtree only
    assert (
        'src="/static/js/warning_area.js"' in html and "/static/vendor/leaflet/leaflet.js" in html
    )
    assert "https://" not in html and "http://" not in html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"region_codes": [], "shapes": ""}, "region_codes"),
        ({"region_codes": [], "shapes": json.dumps(
            [{"type": "circle", "center": [121.5, 31.2], "radius_km": 3}])}, "shapes"),  # Shanghai
        ({"shapes": "[{\"type\": \"polygon\", \"coordinates\": [[111.3, 30.7]]}]"}, "shapes"),
        ({"shapes": "not json"}, "shapes"),
        ({"level": ""}, "level"),
        ({"hazard_type": "volcano"}, "hazard_type"),
        ({"onset": "yesterday"}, "onset"),
        ({"onset": ""}, "onset"),
        ({"area_desc": ""}, "area_desc"),
        ({"expires": local(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))}, "expires"),
    ],
)  # fmt: skip
def test_form_errors_are_shown_next_to_the_field_they_name(
    client: TestClient,
    logged_in: LoggedIn,
    world: None,
    session: Session,
    fields: dict[str, Any],
    field: str,
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    csrf = csrf_of(client.get("/warnings/new").text)
    response = client.post("/warnings/new", data=draft_form(csrf, **fields))
    assert response.status_code == 422, response.text
    assert f'id="error-{field}"' in response.text
    assert f'aria-describedby="error-{field}"' in response.text or field == "shapes"
    assert 'id="form-problem"' in response.text
    assert "西陵区全境" in response.text or field == "area_desc"  # the typed values are kept
    assert session.scalar(select(EarlyWarning.id)) is None


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    assert client.post("/warnings/new", data=draft_form("forged")).status_code == 403
    assert session.scalar(select(EarlyWarning.id)) is None


def test_a_drawn_polygon_is_saved_and_a_draft_can_be_edited(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    ring = [[111.25, 30.65], [111.35, 30.65], [111.35, 30.75], [111.25, 30.65]]
    shapes = json.dumps([{"type": "polygon", "coordinates": ring}])
    warning_id = create_draft(client, region_codes=[], shapes=shapes)
    warning = stored(session, warning_id)
    assert warning.area_shapes == [{"type": "polygon", "coordinates": ring}]
    assert warning.area_region_codes == []

    edit = client.get(f"/warnings/{warning_id}/edit")
    assert edit.status_code == 200 and "111.25" in edit.text  # the shapes go back into the form
    values = draft_form(csrf_of(edit.text), level="3", region_codes=["420503"], shapes=shapes)
    saved = client.post(f"/warnings/{warning_id}/edit", data=values, follow_redirects=False)
    assert saved.status_code == 303
    warning = stored(session, warning_id)
    assert warning.level == 3 and warning.area_region_codes == ["420503"]
    page = client.get(saved.headers["location"]).text
    assert "草稿已保存" in page and "伍家岗区" in page
    assert page_json(page, "area-config")["editable"] is False


# --- the workflow -------------------------------------------------------------------------------


def test_author_submit_approve_through_the_pages(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    warning_id = create_draft(client)
    draft = client.get(f"/warnings/{warning_id}").text
    assert 'id="action-submit"' in draft and 'id="action-edit"' in draft
    assert 'id="action-approve"' not in draft  # a duty officer drafts; a commander issues
    assert step(client, warning_id, "submit").status_code == 303
    assert stored(session, warning_id).status == "pending_approval"
    waiting = client.get(f"/warnings/{warning_id}").text
    assert "待审批" in waiting and 'id="action-submit"' not in waiting
    assert client.post(
        f"/warnings/{warning_id}/approve", data={"csrf_token": csrf_of(waiting)}
    ).status_code == 403  # fmt: skip
    assert stored(session, warning_id).status == "pending_approval"

    client.cookies.clear()
    logged_in(role=Role.COMMANDER)
    done = step(client, warning_id, "approve")
    assert done.status_code == 303 and done.headers["location"].endswith("?done=approve")
    warning = stored(session, warning_id)
    assert warning.status == "issued" and warning.issued_at is not None
    page = client.get(done.headers["location"]).text
    assert "预警已发布" in page and "生效中" in page
    message = session.scalar(select(WarningMessage).where(WarningMessage.warning_id == warning_id))
    assert message is not None and f'href="/api/public/warnings/cap/{message.id}"' in page
    for fact in ("预计未来6小时强降雨", "危险区域人员立即转移", "宜昌市应急管理局", "西陵区全境"):
        assert fact in page
    assert 'id="action-lift"' in page and 'id="action-update"' in page
    assert 'id="tracking"' in page  # the commander tracks 叫应
    cap = client.get(f"/api/public/warnings/cap/{message.id}")
    assert cap.status_code == 200 and b"<alert" in cap.content


def test_reject_update_response_and_lift(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    warning_id = create_draft(client, region_codes=[VILLAGE])
    step(client, warning_id, "submit")
    client.cookies.clear()
    logged_in(role=Role.COMMANDER)
    assert step(client, warning_id, "reject", note="范围再核实").status_code == 303
    assert stored(session, warning_id).status == "draft"
    step(client, warning_id, "submit")
    step(client, warning_id, "approve")

    form = client.get(f"/warnings/{warning_id}/update")
    assert form.status_code == 200 and 'name="hazard_type"' not in form.text
    as_is = client.post(f"/warnings/{warning_id}/update", data=form_of(form.text))
    assert as_is.status_code == 422 and 'id="error-level"' in as_is.text  # nothing to change
    changed = client.post(
        f"/warnings/{warning_id}/update",
        data=form_of(form.text, level="1", note="升级为红色"),
        follow_redirects=False,
    )
    assert changed.status_code == 303
    warning = stored(session, warning_id)
    assert warning.level == 1 and warning.version == 2
    assert warning.area_region_codes == [VILLAGE]  # a village the picker does not list is kept
    assert step(client, warning_id, "response").status_code == 303
    assert stored(session, warning_id).response_started_at is not None
    assert 'id="action-response"' not in client.get(f"/warnings/{warning_id}").text
    assert step(client, warning_id, "lift", note="降雨结束").status_code == 303
    warning = stored(session, warning_id)
    assert warning.status == "lifted" and warning.ended_at is not None
    types = session.scalars(
        select(WarningMessage.msg_type).where(WarningMessage.warning_id == warning_id)
    ).all()
    assert sorted(types) == ["Alert", "Cancel", "Update"]
    page = client.get(f"/warnings/{warning_id}").text
    assert "已解除" in page and 'id="action-' not in page


def test_the_change_form_keeps_the_english_in_step(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    warning_id = issue(client, logged_in, instruction_en="Leave the danger zones now.")
    form = client.get(f"/warnings/{warning_id}/update")
    assert 'name="instruction_en"' in form.text and "Leave the danger zones now." in form.text
    # The Chinese changed, the English left as it was: the old English is dropped.
    changed = client.post(f"/warnings/{warning_id}/update", follow_redirects=False,
                          data=form_of(form.text, instruction="全体人员立即转移。"))  # fmt: skip
    assert changed.status_code == 303
    assert stored(session, warning_id).instruction_en is None
    form = client.get(f"/warnings/{warning_id}/update")
    both = client.post(f"/warnings/{warning_id}/update", follow_redirects=False,
                       data=form_of(form.text, instruction="全体人员立即撤离。",
                                    instruction_en="Everyone leave now."))  # fmt: skip
    assert both.status_code == 303
    warning = stored(session, warning_id)
    assert (warning.instruction, warning.instruction_en) == (
        "全体人员立即撤离。",
        "Everyone leave now.",
    )


def test_a_stale_button_says_why_it_no_longer_works(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    warning_id = create_draft(client)
    page = client.get(f"/warnings/{warning_id}").text
    csrf = csrf_of(page)
    assert step(client, warning_id, "submit").status_code == 303
    again = client.post(f"/warnings/{warning_id}/submit", data={"csrf_token": csrf})
    assert again.status_code == 409 and 'id="form-problem"' in again.text
    unknown = client.post(f"/warnings/{warning_id}/explode", data={"csrf_token": csrf})
    assert unknown.status_code == 404


def test_another_citys_user_gets_404(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    logged_in(role=Role.DUTY_OFFICER)
    warning_id = create_draft(client)
    client.cookies.clear()
    logged_in(role=Role.COMMANDER, region_code="420100")
    listing = client.get("/warnings")
    assert str(warning_id) not in listing.text
    csrf = csrf_of(listing.text)
    for path in (f"/warnings/{warning_id}", f"/warnings/{warning_id}/edit",
                 f"/warnings/{warning_id}/update", f"/warnings/{uuid.uuid4()}",
                 "/warnings/not-an-id"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert client.get(f"/warnings/{warning_id}/tracking").status_code == 404
    for action in ("submit", "cancel"):
        response = client.post(f"/warnings/{warning_id}/{action}", data={"csrf_token": csrf})
        assert response.status_code == 404
    assert stored(session, warning_id).status == "draft"


def test_grassroots_see_an_issued_warning_without_buttons_or_board(
    client: TestClient, logged_in: LoggedIn, world: None
) -> None:
    warning_id = issue(client, logged_in)
    client.cookies.clear()
    logged_in(role=Role.GRASSROOTS, region_code="420502")
    page = client.get(f"/warnings/{warning_id}")
    assert page.status_code == 200 and "危险区域人员立即转移" in page.text
    assert 'id="warning-actions"' not in page.text and 'id="tracking"' not in page.text
    assert client.get(f"/warnings/{warning_id}/tracking").status_code == 403


# --- 叫应: the board and the recipient's page ---------------------------------------------------


def test_the_board_counts_answers_and_follows_them(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session, settings: Settings
) -> None:
    warning_id = issue(client, logged_in)
    page = client.get(f"/warnings/{warning_id}").text
    config = page_json(page, "tracking-config")
    assert config["url"] == f"/warnings/{warning_id}/tracking" and config["pollMs"] > 0
    assert "王村长" in page and "李网格员" in page and "村防汛责任人" in page
    first = client.get(config["url"]).json()
    assert (first["acknowledged"], first["pending"], first["unanswered"]) == (0, 2, 2)

    token = token_of(session, settings, "王村长")
    assert client.post(f"/w/{token}", follow_redirects=False).status_code == 303
    session.execute(
        update(WarningTarget).where(WarningTarget.name == "李网格员")
        .values(status="escalated", escalated_at=dt.datetime.now(dt.UTC))
    )  # fmt: skip
    session.commit()
    report = client.post(f"/w/{token}/evacuation", data={"evacuated": "37", "shelter": "村小学"},
                         follow_redirects=False)  # fmt: skip
    assert report.status_code == 303

    later = client.get(config["url"]).json()
    assert (later["acknowledged"], later["pending"], later["escalated"]) == (1, 0, 1)
    assert later["evacuated"] == 37 and "村小学" in later["html"]
    assert "王村长" not in later["html"] and "李网格员" in later["html"]
    assert "未叫应" in later["html"]
    client.cookies.clear()
    assert client.get(config["url"]).status_code == 401


def test_a_logged_in_responsible_person_sees_what_waits_for_an_answer(
    client: TestClient,
    logged_in: LoggedIn,
    world: None,
    session: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _person, account = responsible(session, VILLAGE, name="赵支书", user=True)
    assert account is not None
    session.commit()
    warning_id = issue(client, logged_in)
    Dispatcher(session_factory, settings, channels=recorders()).run_pass(dt.datetime.now(dt.UTC))
    client.cookies.clear()
    assert log_in(client, account.username).status_code == 303
    listing = client.get("/warnings").text
    assert 'id="warning-inbox"' in listing and f'data-warning="{warning_id}"' in listing
    answer = re.search(r'href="(/w/[A-Za-z0-9_-]{43})"', listing)
    assert answer is not None  # the link stays on this site
    assert client.post(answer.group(1), follow_redirects=False).status_code == 303
    assert 'id="warning-inbox"' not in client.get("/warnings").text
    session.expire_all()
    status = session.scalar(select(WarningTarget.status).where(WarningTarget.name == "赵支书"))
    assert status == "acknowledged"


def test_the_recipient_page_acknowledges_only_by_post(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session, settings: Settings
) -> None:
    issue(client, logged_in)
    client.cookies.clear()  # the recipient has no login
    token = token_of(session, settings, "王村长")
    page = client.get(f"/w/{token}")
    assert page.status_code == 200 and 'id="ack-button"' in page.text
    assert (
        "暴雨" in page.text
        and "危险区域人员立即转移" in page.text
        and "wr-band wl-orange" in page.text
    )
    assert "<script" not in page.text and "leaflet" not in page.text
    assert len(page.content) < 12_000
    assert page.headers["x-robots-tag"].startswith("noindex")
    for _ in range(3):
        client.get(f"/w/{token}")
    session.expire_all()
    assert session.scalar(select(WarningTarget.status).where(WarningTarget.name == "王村长")) == (
        "pending"
    )
    done = client.post(f"/w/{token}", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/w/{token}?done=acknowledged"
    answered = client.get(done.headers["location"]).text
    assert 'id="ack-done"' in answered and 'id="ack-button"' not in answered
    assert "已确认收到" in answered
    again = client.post(f"/w/{token}", follow_redirects=False)
    assert again.headers["location"].endswith("done=already_acknowledged")
    assert "您此前已确认收到" in client.get(again.headers["location"]).text
    target = session.scalar(select(WarningTarget).where(WarningTarget.name == "王村长"))
    session.refresh(target)
    assert target is not None and target.status == "acknowledged" and target.ack_channel == "link"


def test_the_recipient_reports_evacuations_repeatedly(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session, settings: Settings
) -> None:
    warning_id = issue(client, logged_in)
    client.cookies.clear()
    token = token_of(session, settings, "李网格员")
    bad = client.post(f"/w/{token}/evacuation", data={"evacuated": "很多", "shelter": ""})
    assert bad.status_code == 422 and 'id="error-evacuated"' in bad.text
    assert 'aria-invalid="true"' in bad.text
    for count, shelter in (("12", "村委会"), ("30", "村小学")):
        done = client.post(f"/w/{token}/evacuation", data={"evacuated": count, "shelter": shelter},
                           follow_redirects=False)  # fmt: skip
        assert done.status_code == 303 and done.headers["location"].endswith("done=report#report")
    assert "报告已收到" in client.get(f"/w/{token}?done=report").text
    reports = _feedback.latest_reports(session, warning_id=warning_id)
    assert [(r.evacuated, r.shelter) for r in reports] == [(30, "村小学")]  # the latest counts


@pytest.mark.parametrize("kind", ["garbage", "flipped", "wrong-key", "too-long"])
def test_a_bad_or_forged_link_is_a_clear_404(
    client: TestClient,
    logged_in: LoggedIn,
    world: None,
    session: Session,
    settings: Settings,
    kind: str,
) -> None:
    issue(client, logged_in)
    client.cookies.clear()
    good = token_of(session, settings, "王村长")
    target = session.scalar(select(WarningTarget).where(WarningTarget.name == "王村长"))
    assert target is not None
    bad = {
        "garbage": "not-a-token",
        "flipped": good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1],
        "wrong-key": make_token(b"k" * 32, target.id, target.token_nonce),
        "too-long": good * 3,
    }[kind]
    page = client.get(f"/w/{bad}")
    assert page.status_code == 404 and 'id="wr-invalid"' in page.text and "链接无效" in page.text
    assert client.post(f"/w/{bad}").status_code == 404
    assert client.post(f"/w/{bad}/evacuation", data={"evacuated": "3"}).status_code == 404
    session.expire_all()
    assert set(session.scalars(select(WarningTarget.status))) == {"pending"}


def test_the_recipient_page_after_the_warning_is_lifted(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session, settings: Settings
) -> None:
    warning_id = issue(client, logged_in)
    step(client, warning_id, "lift")
    client.cookies.clear()
    page = client.get(f"/w/{token_of(session, settings, '王村长')}").text
    assert 'id="ack-button"' not in page and 'id="wr-ended"' in page and "已解除" in page
    assert 'id="report-form"' in page  # the numbers may still come in after the all-clear


def test_english_recipient_page(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session, settings: Settings
) -> None:
    issue(client, logged_in, instruction_en="Leave the danger zones now.")
    client.cookies.clear()
    token = token_of(session, settings, "王村长")
    page = client.get(f"/w/{token}", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in page and "Received: I acknowledge" in page
    assert "Orange warning (level II)" in page
    # The warning's own English block, not only the page's chrome.
    assert "Leave the danger zones now." in page and '<h1 id="wr-event">Rainstorm</h1>' in page
    chinese = client.get(f"/w/{token}", headers={"Accept-Language": "zh-CN"}).text
    assert "Leave the danger zones" not in chinese and "危险区域人员立即转移。" in chinese


# --- the public page ----------------------------------------------------------------------------


def test_the_public_page_lists_warnings_in_force_most_severe_first(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session
) -> None:
    blue = issue(client, logged_in, level="4")
    red = issue(client, logged_in, level="1", area_desc="伍家岗区沿江", region_codes=["420503"])
    client.cookies.clear()
    logged_in(role=Role.DUTY_OFFICER)
    draft = create_draft(client, area_desc="仍是草稿")
    client.cookies.clear()
    page = client.get("/public/warnings")
    assert page.status_code == 200
    html = page.text
    assert html.index(f'data-warning="{red}"') < html.index(f'data-warning="{blue}"')
    assert str(draft) not in html and "仍是草稿" not in html
    assert 'href="/api/public/warnings/feed"' in html and "wl-chip wl-red" in html
    assert "危险区域人员立即转移" in html and "伍家岗区沿江" in html
    assert client.get("/api/public/warnings/feed").status_code == 200
    english = client.get("/public/warnings", headers={"Accept-Language": "en"}).text
    assert "Rainstorm" in english and "Warnings in force" in english


def test_chinese_warning_pages_show_no_untranslated_english(
    client: TestClient, logged_in: LoggedIn, world: None, session: Session, settings: Settings
) -> None:
    issue(client, logged_in)
    client.cookies.clear()
    user = logged_in(role=Role.ADMIN)
    pages = {path: client.get(path).text for path in ("/warnings", "/warnings?status=draft")}
    client.cookies.clear()
    pages["/public/warnings"] = client.get("/public/warnings").text.replace("Atom", "")
    pages["/w/…"] = client.get(f"/w/{token_of(session, settings, '王村长')}").text
    pages["/w/bad"] = client.get("/w/bad").text
    found = {path: _latin_words(html, user) for path, html in pages.items()}
    assert {path: words for path, words in found.items() if words} == {}
    assert _latin_words("<p>Warnings in force</p>", user)  # the check sees English
