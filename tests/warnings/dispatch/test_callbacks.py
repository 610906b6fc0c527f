"""Provider callbacks over HTTP, with the adapters sending to a real local gateway."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.warnings.dispatch.conftest import Gateway
from tests.warnings.dispatch.helpers import NOW, make_regions, make_warning, responsible
from yingji.app import create_app
from yingji.core.config import Settings
from yingji.warnings import _dispatch
from yingji.warnings.callbacks_api import router
from yingji.warnings.channels import CallbackSignature, sign_callback
from yingji.warnings.jobs import Dispatcher
from yingji.warnings.models import DeliveryAttempt, WarningTarget

VILLAGE = "420502001001"
SECRET = "callback-s3cret"
SIGNATURE = CallbackSignature(
    secret=SecretStr(SECRET), header="X-Sign", timestamp_header="X-Timestamp"
)
ANSWER = {"status": "code", "success_values": ["OK"], "message_id": "message_id"}


def _channels(gateway: Gateway) -> dict[str, Any]:
    signature = {"secret": SECRET, "header": "X-Sign", "timestamp_header": "X-Timestamp"}
    return {
        "sms": {"url": f"{gateway.url}/sms", "response": ANSWER, "signature": signature},
        "voice": {"url": f"{gateway.url}/voice", "response": ANSWER, "signature": signature},
    }


@pytest.fixture
def wired(settings: Settings, gateway: Gateway) -> Settings:
    """The test settings with SMS and voice pointed at the local gateway, callbacks signed."""
    return settings.model_copy(update={"channels": _channels(gateway)})


@pytest.fixture
def api(wired: Settings) -> Iterator[TestClient]:
    app = create_app(wired, start_worker=False)
    if not any(getattr(r, "path", "") == "/api/warnings/ack/{token}" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


@pytest.fixture
def sent(
    session: Session, session_factory: sessionmaker[Session], wired: Settings, gateway: Gateway
) -> dict[str, DeliveryAttempt]:
    """One target, its SMS and its call sent through the real adapters to the gateway."""
    make_regions(session)
    responsible(session, VILLAGE, name="P")
    warning = make_warning(session, region_codes=[VILLAGE])
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    session.commit()
    dispatcher = Dispatcher(session_factory, wired)
    try:
        assert dispatcher.run_pass(NOW).sent == 1
        assert dispatcher.run_pass(NOW + dt.timedelta(seconds=120)).sent == 1
    finally:
        dispatcher.close()
    session.expire_all()
    return {a.channel: a for a in session.scalars(select(DeliveryAttempt))}


def _post(api: TestClient, path: str, payload: object, *, sign: bool = True) -> Any:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers = sign_callback(SIGNATURE, body) if sign else {}
    return api.post(f"/api/warnings/callbacks/{path}", content=body, headers=headers)


def _target(session: Session) -> WarningTarget:
    session.expire_all()
    return session.scalars(select(WarningTarget)).one()


def test_the_gateway_got_each_message_under_its_delivery_id(
    sent: dict[str, DeliveryAttempt], gateway: Gateway, session: Session
) -> None:
    target = _target(session)
    by_reference = {b["reference"]: b for b in gateway.bodies}
    assert set(by_reference) == {str(sent["sms"].id), str(sent["voice"].id)}
    assert by_reference[str(sent["sms"].id)]["to"] == target.mobile
    assert target.reply_code in by_reference[str(sent["sms"].id)]["text"]
    assert sent["sms"].status == "sent" and sent["sms"].provider_message_id is not None


def test_signed_delivery_reports_settle_attempts_but_never_answer(
    api: TestClient, sent: dict[str, DeliveryAttempt], session: Session
) -> None:
    sms, call = sent["sms"], sent["voice"]
    nobody = "00000000-0000-0000-0000-000000000000"
    report = [
        {"message_id": sms.provider_message_id, "status": "delivered"},
        {"reference": nobody, "status": "delivered"},
    ]
    answer = _post(api, "sms/reports", report)
    assert answer.status_code == 200
    assert answer.json() == {"received": 2, "updated": 1, "acknowledged": 0, "unmatched": 1}
    answered = _post(api, "voice/reports", {"reference": str(call.id), "status": "delivered"})
    assert answered.status_code == 200 and answered.json()["updated"] == 1
    session.expire_all()
    assert session.get(DeliveryAttempt, sms.id).status == "delivered"  # type: ignore[union-attr]
    assert _target(session).status == "pending"


def test_bad_signatures_are_401_and_bad_bodies_400_never_500(
    api: TestClient, sent: dict[str, DeliveryAttempt], session: Session
) -> None:
    body = orjson.dumps({"message_id": sent["sms"].provider_message_id, "status": "delivered"})
    guess = SIGNATURE.model_copy(update={"secret": SecretStr("guess")})
    forged = sign_callback(guess, body)
    for path in ("sms/reports", "sms/replies", "voice/reports", "voice/keys"):
        assert api.post(f"/api/warnings/callbacks/{path}", content=body).status_code == 401
        bad = api.post(f"/api/warnings/callbacks/{path}", content=body, headers=forged)
        assert bad.status_code == 401, path
        for garbage in (b"{not json", b"\xff\xfe\x00", b""):
            answer = _post(api, path, garbage)
            assert answer.status_code in (200, 400), (path, garbage, answer.text)
        assert _post(api, path, b"{not json").status_code == 400
        assert _post(api, path, [1, "x", None, {"odd": True}]).status_code == 200
    session.expire_all()
    assert session.get(DeliveryAttempt, sent["sms"].id).status == "sent"  # type: ignore[union-attr]


def test_an_sms_reply_with_the_code_answers_the_warning(
    api: TestClient, sent: dict[str, DeliveryAttempt], session: Session
) -> None:
    target = _target(session)
    wrong = _post(api, "sms/replies", {"from": target.mobile, "text": "收到 0000"})
    assert wrong.status_code == 200 and wrong.json()["acknowledged"] == 0
    national = (target.mobile or "").removeprefix("+86")
    right = _post(api, "sms/replies", {"from": national, "text": f"收到{target.reply_code}"})
    assert right.status_code == 200 and right.json()["acknowledged"] == 1
    stored = _target(session)
    assert stored.status == "acknowledged" and stored.ack_channel == "sms"


def test_a_key_press_callback_answers_the_warning(
    api: TestClient, sent: dict[str, DeliveryAttempt], session: Session
) -> None:
    call = sent["voice"]
    miss = _post(api, "voice/keys", {"call_id": "unknown", "digits": "1"})
    assert miss.status_code == 200 and miss.json()["unmatched"] == 1
    other_key = _post(api, "voice/keys", {"reference": str(call.id), "digits": "9"})
    assert other_key.json()["acknowledged"] == 0 and _target(session).status == "pending"
    press = _post(api, "voice/keys", {"call_id": call.provider_message_id, "digits": "1"})
    assert press.status_code == 200 and press.json()["acknowledged"] == 1
    assert _target(session).ack_channel == "voice"
