"""Acknowledgements: the signed link (single use, GET-safe), reply codes, key presses, in-app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.auth import make_user
from tests.warnings.dispatch.helpers import (
    NOW,
    make_regions,
    make_warning,
    recorders,
    responsible,
)
from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.errors import Forbidden, NotFound
from yingji.core.events import OutboxEvent
from yingji.warnings import _dispatch
from yingji.warnings._ack import (
    AckOutcome,
    acknowledge_by_key,
    acknowledge_by_reply,
    acknowledge_by_token,
    acknowledge_in_app,
    target_for_token,
)
from yingji.warnings._d_send import apply_reports
from yingji.warnings._tokens import key_of, make_token
from yingji.warnings._tracking import inbox
from yingji.warnings.callbacks_api import router
from yingji.warnings.channels import ChannelName, DeliveryReport, ReceiptStatus
from yingji.warnings.jobs import Dispatcher
from yingji.warnings.models import DeliveryAttempt, WarningTarget

VILLAGE = "420502001001"


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    """The application with the callbacks router (mounted here until the app mounts it)."""
    if not any(getattr(r, "path", "") == "/api/warnings/ack/{token}" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as client:
        yield client


def _setup(session: Session, *names: str, user: bool = False) -> dict[str, WarningTarget]:
    make_regions(session)
    for name in names:
        responsible(session, VILLAGE, name=name, user=user)
    warning = make_warning(session, region_codes=[VILLAGE])
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    session.commit()
    return {t.name: t for t in session.scalars(select(WarningTarget))}


def _token(settings: Settings, target: WarningTarget) -> str:
    return make_token(key_of(settings), target.id, target.token_nonce)


def _acknowledged(session: Session) -> list[dict[str, object]]:
    return list(
        session.scalars(
            select(OutboxEvent.payload).where(
                OutboxEvent.event_type == "warnings.target_acknowledged"
            )
        )
    )


def test_the_link_acknowledges_once_by_post_and_never_by_get(
    session: Session, settings: Settings, api: TestClient
) -> None:
    target = _setup(session, "P")["P"]
    token = _token(settings, target)

    view = api.get(f"/api/warnings/ack/{token}")
    assert view.status_code == 200 and view.json()["status"] == "pending"
    assert view.json()["event"] == "暴雨" and view.json()["name"] == "P"
    session.expire_all()
    assert session.get(WarningTarget, target.id).status == "pending"  # type: ignore[union-attr]

    first = api.post(f"/api/warnings/ack/{token}")
    assert first.status_code == 200
    assert first.json()["outcome"] == "acknowledged" and first.json()["late"] is False
    second = api.post(f"/api/warnings/ack/{token}")
    assert second.status_code == 200 and second.json()["outcome"] == "already_acknowledged"

    session.expire_all()
    stored = session.get(WarningTarget, target.id)
    assert stored is not None and stored.status == "acknowledged" and stored.ack_channel == "link"
    assert stored.next_action_at is None
    assert len(_acknowledged(session)) == 1
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "warning_target.acknowledged")
    ).all()
    assert len(entries) == 1 and entries[0].entity_id == str(target.id)
    assert entries[0].after is not None and entries[0].after["ip"] == "testclient"


def test_forged_or_foreign_tokens_are_refused(
    session: Session, settings: Settings, api: TestClient
) -> None:
    found = _setup(session, "P", "Q")
    good = _token(settings, found["P"])
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    wrong_key = make_token(b"k" * 32, found["P"].id, found["P"].token_nonce)
    other_nonce = make_token(key_of(settings), found["P"].id, found["Q"].token_nonce)
    for bad in (flipped, wrong_key, other_nonce, "not-a-token", good + "x"):
        assert api.post(f"/api/warnings/ack/{bad}").status_code == 404, bad
        assert api.get(f"/api/warnings/ack/{bad}").status_code == 404, bad
    with pytest.raises(NotFound):
        target_for_token(session, token=flipped, settings=settings)
    session.expire_all()
    assert {t.status for t in session.scalars(select(WarningTarget))} == {"pending"}


def test_an_answer_after_escalation_is_late(
    session: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    target = _setup(session, "P")["P"]
    Dispatcher(session_factory, settings, channels=recorders()).run_pass(
        NOW + dt.timedelta(seconds=300)
    )
    result = acknowledge_by_token(session, token=_token(settings, target),
                                  now=NOW + dt.timedelta(seconds=400), ip=None,
                                  settings=settings)  # fmt: skip
    assert result.outcome is AckOutcome.ACKNOWLEDGED and result.late
    session.flush()
    (event,) = _acknowledged(session)
    assert event["late"] is True


def test_reply_codes_answer_only_from_the_right_phone(session: Session) -> None:
    found = _setup(session, "P", "Q")
    p, q = found["P"], found["Q"]
    assert acknowledge_by_reply(session, phone=q.mobile or "", code=p.reply_code, now=NOW) == []
    assert acknowledge_by_reply(session, phone="+8613999999999", code=p.reply_code, now=NOW) == []
    (result,) = acknowledge_by_reply(session, phone=p.mobile or "", code=p.reply_code, now=NOW)
    assert result.outcome is AckOutcome.ACKNOWLEDGED and result.channel == "sms"
    (again,) = acknowledge_by_reply(session, phone=p.mobile or "", code=p.reply_code, now=NOW)
    assert again.outcome is AckOutcome.ALREADY
    assert session.get(WarningTarget, q.id).status == "pending"  # type: ignore[union-attr]


def test_a_key_press_on_the_warning_call_answers_it(
    session: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    target = _setup(session, "P")["P"]
    dispatcher = Dispatcher(session_factory, settings, channels=recorders())
    dispatcher.run_pass(NOW)
    dispatcher.run_pass(NOW + dt.timedelta(seconds=120))
    session.expire_all()
    rows = {a.channel: a for a in session.scalars(select(DeliveryAttempt))}
    call, sms = rows["voice"], rows["sms"]
    assert acknowledge_by_key(session, delivery_id=str(call.id), digits="2", now=NOW) is None
    with pytest.raises(NotFound):  # an SMS is no call
        acknowledge_by_key(session, delivery_id=str(sms.id), digits="1", now=NOW)
    with pytest.raises(NotFound):
        acknowledge_by_key(session, delivery_id="nonsense", digits="1", now=NOW)
    by_provider = acknowledge_by_key(
        session, delivery_id=None, call_id=call.provider_message_id, digits="1", now=NOW
    )
    assert by_provider is not None and by_provider.outcome is AckOutcome.ACKNOWLEDGED
    assert session.get(WarningTarget, target.id).ack_channel == "voice"  # type: ignore[union-attr]


def test_in_app_only_by_the_recipient_and_listed_until_answered(
    session: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    found = _setup(session, "P", user=True)
    target = found["P"]
    Dispatcher(session_factory, settings, channels=recorders()).run_pass(NOW)
    me = Actor(role=Role.GRASSROOTS, user_id=target.user_id, username="p",
               region_code=VILLAGE, region_path=target.region_path)  # fmt: skip
    other_user, _ = make_user(session, role=Role.GRASSROOTS, region_code=VILLAGE)
    other = Actor(role=Role.GRASSROOTS, user_id=other_user.id, username="o",
                  region_code=VILLAGE, region_path=target.region_path)  # fmt: skip

    (item,) = inbox(session, actor=me, settings=settings)
    assert item.target_id == target.id and item.notification.requires_ack
    assert item.notification.ack_url is not None and "暴雨" in item.notification.title
    assert inbox(session, actor=other, settings=settings) == []
    with pytest.raises(Forbidden):
        acknowledge_in_app(session, actor=other, target_id=target.id, now=NOW)
    result = acknowledge_in_app(session, actor=me, target_id=target.id, now=NOW)
    assert result.outcome is AckOutcome.ACKNOWLEDGED and result.channel == "inapp"
    assert inbox(session, actor=me, settings=settings) == []


def test_receipts_and_reports_never_acknowledge(
    session: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    target = _setup(session, "P")["P"]
    Dispatcher(session_factory, settings, channels=recorders()).run_pass(NOW)
    session.expire_all()
    sms = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.channel == "sms")).one()
    assert sms.status == "sent"
    report = DeliveryReport(channel=ChannelName.SMS, status=ReceiptStatus.DELIVERED, at=NOW,
                            delivery_id=str(sms.id))  # fmt: skip
    assert apply_reports(session, [report]) == (1, 0)
    late_sent = DeliveryReport(channel=ChannelName.SMS, status=ReceiptStatus.SENT, at=NOW,
                               provider_message_id=sms.provider_message_id)  # fmt: skip
    assert apply_reports(session, [late_sent]) == (0, 0)  # never back from delivered
    session.commit()
    session.expire_all()
    assert session.get(DeliveryAttempt, sms.id).status == "delivered"  # type: ignore[union-attr]
    assert session.get(WarningTarget, target.id).status == "pending"  # type: ignore[union-attr]
    assert _acknowledged(session) == []


def test_a_closed_target_cannot_answer(session: Session, settings: Settings) -> None:
    target = _setup(session, "P")["P"]
    _dispatch.close_targets(session, warning_id=target.warning_id, now=NOW)
    session.commit()
    result = acknowledge_by_token(session, token=_token(settings, target), now=NOW, ip=None,
                                  settings=settings)  # fmt: skip
    assert result.outcome is AckOutcome.CLOSED
