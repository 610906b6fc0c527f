"""Writing, approving, updating, lifting and cancelling warnings, and their CAP messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.regions import make_tree, region_actor
from yingji.core.audit import AuditEntry
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from yingji.core.events import OutboxEvent
from yingji.warnings import service
from yingji.warnings.cap import (
    MsgType,
    ResponseType,
    SignatureStatus,
    check,
    load_certificates,
    parse_alert,
    parse_identifier,
)
from yingji.warnings.schemas import WarningDraft, WarningUpdate
from yingji.warnings.states import WarningStatus

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 7, 20, 8, 30, tzinfo=BEIJING)


def draft_data(**fields: Any) -> WarningDraft:
    base: dict[str, Any] = {
        "hazard_type": "rainstorm", "level": 2, "onset": NOW,
        "expires": NOW + dt.timedelta(hours=12), "area_desc": "西陵区全境",
        "region_codes": ["420502"],
    }  # fmt: skip
    return WarningDraft(**{**base, **fields})


@pytest.fixture
def tree(session: Session) -> None:
    make_tree(session)


def _issue(session: Session, settings: Settings, **fields: Any) -> Any:
    specialist = region_actor(session, role=Role.SPECIALIST, code="420500")
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    warning = service.create_draft(session, actor=specialist, data=draft_data(**fields),
                                   settings=settings)  # fmt: skip
    service.submit(session, actor=specialist, warning_id=warning.id)
    return service.approve(session, actor=commander, warning_id=warning.id, settings=settings,
                           now=NOW)  # fmt: skip


def test_a_draft_starts_from_its_template_and_is_audited(
    session: Session, settings: Settings, tree: None
) -> None:
    actor = region_actor(session, role=Role.DUTY_OFFICER, code="420500")
    warning = service.create_draft(session, actor=actor, data=draft_data(), settings=settings)
    assert warning.status == "draft" and warning.event == "暴雨" and warning.duty_type == "flood"
    assert "强降雨" in warning.description and "转移" in warning.instruction
    assert warning.sender_name == settings.cap_sender_name
    assert warning.identifier.startswith("draft:")
    assert warning.id.version == 7  # time-ordered: its targets append to their indexes
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_id == str(warning.id)))
    assert entry is not None and entry.action == "warning.created"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hazard_type": "volcano"}, "hazard_type"),
        ({"region_codes": ["999999"]}, "region_codes"),
        ({"region_codes": [], "shapes": [{"type": "circle", "center": [121.5, 31.2],
                                          "radius_km": 3}]}, "shapes"),  # Shanghai
    ],
)  # fmt: skip
def test_bad_drafts_name_the_field(
    session: Session, settings: Settings, tree: None, fields: dict[str, Any], field: str
) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420500")
    with pytest.raises(InvalidInput) as caught:
        service.create_draft(session, actor=actor, data=draft_data(**fields), settings=settings)
    assert caught.value.field == field


def test_a_draft_needs_an_area_and_times_in_order() -> None:
    with pytest.raises(ValueError, match="area"):
        draft_data(region_codes=[])
    with pytest.raises(ValueError, match="after onset"):
        draft_data(expires=NOW - dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="time zone"):
        draft_data(onset=NOW.replace(tzinfo=None))


def test_roles_and_regions_are_enforced(session: Session, settings: Settings, tree: None) -> None:
    grassroots = region_actor(session, role=Role.GRASSROOTS, code="420502")
    with pytest.raises(Forbidden):
        service.create_draft(session, actor=grassroots, data=draft_data(), settings=settings)
    wuhan = region_actor(session, role=Role.SPECIALIST, code="420100")
    with pytest.raises(Forbidden):  # another city's area
        service.create_draft(session, actor=wuhan, data=draft_data(), settings=settings)
    duty = region_actor(session, role=Role.DUTY_OFFICER, code="420500")
    warning = service.create_draft(session, actor=duty, data=draft_data(), settings=settings)
    service.submit(session, actor=duty, warning_id=warning.id)
    with pytest.raises(Forbidden):  # the duty officer drafts; a commander issues
        service.approve(session, actor=duty, warning_id=warning.id, settings=settings)
    other_commander = region_actor(session, role=Role.COMMANDER, code="420100")
    with pytest.raises(Forbidden):
        service.approve(session, actor=other_commander, warning_id=warning.id, settings=settings)
    with pytest.raises(NotFound):  # Wuhan cannot even see Yichang's draft
        service.get_warning(session, actor=other_commander, warning_id=warning.id)


def test_the_lifecycle_follows_the_table(session: Session, settings: Settings, tree: None) -> None:
    specialist = region_actor(session, role=Role.SPECIALIST, code="420500")
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    warning = service.create_draft(session, actor=specialist, data=draft_data(),
                                   settings=settings)  # fmt: skip
    with pytest.raises(IllegalTransition) as caught:
        service.approve(session, actor=commander, warning_id=warning.id, settings=settings)
    assert caught.value.details["allowed"] == ["submit", "cancel"]
    service.submit(session, actor=specialist, warning_id=warning.id)
    service.reject(session, actor=commander, warning_id=warning.id, note="范围再核实")
    assert warning.status == "draft"
    service.edit_draft(session, actor=specialist, warning_id=warning.id,
                       data=draft_data(level=1, area_desc="西陵区、伍家岗区",
                                       region_codes=["420502", "420503"]))  # fmt: skip
    service.submit(session, actor=specialist, warning_id=warning.id)
    service.approve(session, actor=commander, warning_id=warning.id, settings=settings, now=NOW)
    assert warning.status == "issued" and warning.issued_at == NOW
    with pytest.raises(InvalidInput):  # an issued warning is updated, not edited
        service.edit_draft(session, actor=specialist, warning_id=warning.id, data=draft_data())
    service.lift(session, actor=commander, warning_id=warning.id, settings=settings,
                 now=NOW + dt.timedelta(hours=3))  # fmt: skip
    assert warning.status == WarningStatus.LIFTED and warning.ended_at is not None
    with pytest.raises(IllegalTransition):
        service.cancel(session, actor=commander, warning_id=warning.id, settings=settings)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == str(warning.id)).order_by(
            AuditEntry.seq)
    ).all()  # fmt: skip
    assert [a for a in actions if a.startswith("warning.")] == [
        "warning.created", "warning.submit", "warning.reject", "warning.edited",
        "warning.submit", "warning.approve", "warning.lift",
    ]  # fmt: skip
    events = session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.event_type == "warnings.warning_changed")
    ).all()
    assert [e["action"] for e in events][-2:] == ["approve", "lift"]


def test_issue_update_lift_publish_valid_cap_in_a_chain(
    session: Session, settings: Settings, tree: None
) -> None:
    warning = _issue(session, settings)
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    ident = parse_identifier(warning.identifier, require_sequence=True)
    assert ident.region == "420500" and ident.org == settings.cap_org_code
    later = NOW + dt.timedelta(hours=1)
    service.update_issued(session, actor=commander, warning_id=warning.id, settings=settings,
                          data=WarningUpdate(level=1, note="升级为红色"), now=later)  # fmt: skip
    service.lift(session, actor=commander, warning_id=warning.id, settings=settings,
                 now=later + dt.timedelta(hours=1))  # fmt: skip
    sent = service.messages(session, warning_id=warning.id)
    assert [m.msg_type for m in sent] == ["Alert", "Update", "Cancel"]
    alerts = []
    for message in sent:
        report = check(message.xml.encode(), profile="cn")
        assert report.ok, report.errors
        alerts.append(parse_alert(message.xml.encode()))
    alert, update, lifted = alerts
    assert alert.identifier == warning.identifier and alert.msg_type is MsgType.ALERT
    assert [i.language for i in alert.infos] == ["zh-CN", "en"]
    assert alert.infos[0].severity.value == "Severe"  # 二级 橙色
    assert update.infos[0].severity.value == "Extreme"  # 一级 红色
    assert [r.identifier for r in update.references] == [alert.identifier]
    assert [r.identifier for r in lifted.references] == [alert.identifier, update.identifier]
    assert ResponseType.ALL_CLEAR in lifted.infos[0].response_type
    assert len({alert.identifier, update.identifier, lifted.identifier}) == 3


def _key_and_cert(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yingji test bureau")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def test_messages_are_signed_with_the_configured_key(
    session: Session, settings: Settings, tree: None, tmp_path: Path
) -> None:
    key_file, cert_file = _key_and_cert(tmp_path)
    signing = settings.model_copy(
        update={"cap_signing_key_file": key_file, "cap_signing_cert_file": cert_file}
    )
    warning = _issue(session, signing)
    (message,) = service.messages(session, warning_id=warning.id)
    assert message.signed
    trusted = load_certificates([cert_file.read_bytes()])
    report = check(message.xml.encode(), trusted=trusted, require_trusted=True)
    assert report.ok and report.signature.status is SignatureStatus.VALID_TRUSTED
    tampered = message.xml.replace("西陵区全境", "伍家岗区全境").encode()
    assert not check(tampered, trusted=trusted).ok


def test_public_list_feed_and_cap_need_no_login(
    session: Session, settings: Settings, tree: None, client: Any
) -> None:
    warning = _issue(session, settings)
    session.commit()
    listed = client.get("/api/public/warnings")
    assert listed.status_code == 200
    (item,) = listed.json()
    assert item["identifier"] == warning.identifier and item["level"] == 2
    cap = client.get(item["cap_url"])
    assert cap.status_code == 200 and cap.headers["content-type"].startswith("application/cap+xml")
    assert check(cap.content).ok
    feed = client.get("/api/public/warnings/feed")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml")  # fmt: skip
    assert item["cap_url"] in feed.text and "<feed" in feed.text and "暴雨" in feed.text
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    service.lift(session, actor=commander, warning_id=warning.id, settings=settings)
    session.commit()
    assert client.get("/api/public/warnings").json() == []
    assert item["cap_url"] not in client.get("/api/public/warnings/feed").text


def test_english_follows_the_chinese_or_is_left_out(
    session: Session, settings: Settings, tree: None
) -> None:
    # The template's English only goes with the template's Chinese.
    own = _issue(session, settings, instruction="沿江低洼处人员立即转移。")
    assert own.instruction_en is None and own.description_en is not None
    [message] = service.messages(session, warning_id=own.id)
    alert = parse_alert(message.xml.encode())
    assert [i.language for i in alert.infos] == ["zh-CN"]  # no English that says otherwise
    both = _issue(session, settings, instruction="沿江低洼处人员立即转移。",
                  instruction_en="Leave low ground by the river now.")  # fmt: skip
    assert both.instruction_en == "Leave low ground by the river now."

    # An update of the Chinese without the English drops the stale English from the Update.
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    later = NOW + dt.timedelta(hours=1)
    service.update_issued(session, actor=commander, warning_id=both.id, settings=settings,
                          data=WarningUpdate(instruction="全体人员转移。"), now=later)  # fmt: skip
    assert both.instruction_en is None
    update = parse_alert(service.messages(session, warning_id=both.id)[-1].xml.encode())
    assert [i.language for i in update.infos] == ["zh-CN"]
    service.update_issued(
        session, actor=commander, warning_id=both.id, settings=settings,
        data=WarningUpdate(instruction="全体人员立即转移。", instruction_en="Everyone leave now."),
        now=later + dt.timedelta(minutes=5),
    )  # fmt: skip
    update = parse_alert(service.messages(session, warning_id=both.id)[-1].xml.encode())
    assert [i.language for i in update.infos] == ["zh-CN", "en"]
    assert update.infos[1].instruction == "Everyone leave now."
