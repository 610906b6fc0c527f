"""The voice-call adapter against a real local HTTP gateway, and its key-press callback."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from tests.warnings.channels.conftest import Gateway
from tests.warnings.channels.factories import delivery
from yingji.warnings.channels import (
    NOT_CONFIGURED,
    CallbackSignature,
    ChannelName,
    DeliveryReportFields,
    KeyPressFields,
    ReceiptStatus,
    ResponseFields,
    SignatureInvalid,
    VoiceChannel,
    VoiceConfig,
    parse_key_presses,
    sign_callback,
)
from yingji.warnings.channels.voice import parse_reports

TTS = "这里是西陵区应急管理局。西陵区发布暴雨红色预警。确认收到请按1。"


def voice_config(gateway: Gateway) -> VoiceConfig:
    """Return a voice configuration pointing at the test gateway."""
    return VoiceConfig(
        url=f"{gateway.url}/voice/call",
        auth_header="X-Api-Key",
        auth_token=SecretStr("k-123"),
        body_template={
            "callee": "{phone_national}",
            "tts_text": "{text}",
            "out_id": "{delivery_id}",
            "play_times": 2,
            "notify_url": "{callback_url}",
        },
        callback_url="https://yj.example.cn/api/callbacks/voice",
        response=ResponseFields(
            message_id="message_id", status="code", success_values=["OK"], error="error"
        ),
        timeout=2.0,
    )


def test_calls_are_placed_with_the_tts_text(gateway: Gateway) -> None:
    with VoiceChannel(voice_config(gateway)) as channel:
        receipts = channel.send_many(
            [
                delivery(1, channel=ChannelName.VOICE, text=TTS),
                delivery(2, channel=ChannelName.VOICE),
            ]
        )

    assert [(r.delivery_id, r.status, r.channel) for r in receipts] == [
        ("d-1", ReceiptStatus.SENT, ChannelName.VOICE),
        ("d-2", ReceiptStatus.SENT, ChannelName.VOICE),
    ]
    assert receipts[0].segments is None
    body = next(r.json() for r in gateway.requests if r.json()["out_id"] == "d-1")
    assert body == {
        "callee": "13900000001",
        "tts_text": TTS,
        "out_id": "d-1",
        "play_times": 2,  # a number stays a number
        "notify_url": "https://yj.example.cn/api/callbacks/voice",
    }
    assert gateway.requests[0].headers["x-api-key"] == "k-123"


def test_failed_call_request_is_receipted(gateway: Gateway) -> None:
    gateway.bad_phones = {"13900000001"}
    with VoiceChannel(voice_config(gateway)) as channel:
        [receipt] = channel.send_many([delivery(1, channel=ChannelName.VOICE)])

    assert receipt.failed and not receipt.retryable
    assert receipt.reason == "provider error BAD_NUMBER: 号码无效 invalid number"


def test_unconfigured_voice_fails_clearly() -> None:
    with VoiceChannel(VoiceConfig()) as channel:
        [receipt] = channel.send_many([delivery(1, channel=ChannelName.VOICE)])
    assert (receipt.status, receipt.reason) == (ReceiptStatus.FAILED, NOT_CONFIGURED)


def test_sms_delivery_given_to_voice_fails() -> None:
    with VoiceChannel(VoiceConfig(url="http://127.0.0.1:9/")) as channel:
        [receipt] = channel.send_many([delivery(1)])
    assert receipt.reason == "delivery for channel sms given to voice"


SIGNED = CallbackSignature(secret=SecretStr("voice-secret"), header="X-Sign")


@pytest.mark.parametrize(
    ("pressed", "digits", "acknowledges"),
    [("1", "1", True), ("2", "2", False), ("2 1#", "21#", True), ("", "", False), (1, "1", True)],
)
def test_key_presses(pressed: object, digits: str, acknowledges: bool) -> None:
    body = json.dumps({"call_id": "c-9", "reference": "d-1", "digits": pressed}).encode()
    config = VoiceConfig(signature=SIGNED)
    [press] = parse_key_presses(config, body=body, headers=sign_callback(SIGNED, body))

    assert (press.call_id, press.delivery_id, press.digits) == ("c-9", "d-1", digits)
    assert press.acknowledges is acknowledges


def test_key_presses_with_configured_fields_and_signature() -> None:
    signature = CallbackSignature(secret=SecretStr("voice-secret"), header="X-Sign")
    config = VoiceConfig(
        ack_digits=["1", "9"],
        key_presses=KeyPressFields(
            items="events", call_id="callId", reference="outId", digits="dtmf", time="ts"
        ),
        signature=signature,
    )
    body = json.dumps(
        {
            "events": [
                {"callId": "c-1", "outId": "d-1", "dtmf": "9", "ts": 1780272300},
                {"callId": "c-2", "dtmf": "3"},
                {"dtmf": "1"},
            ]
        }
    ).encode()
    presses = parse_key_presses(config, body=body, headers=sign_callback(signature, body))

    assert [(p.call_id, p.delivery_id, p.acknowledges) for p in presses] == [
        ("c-1", "d-1", True),
        ("c-2", None, False),
    ]
    assert presses[0].pressed_at.timestamp() == 1780272300
    with pytest.raises(SignatureInvalid):
        parse_key_presses(config, body=body, headers={"X-Sign": "0" * 64})
    with pytest.raises(SignatureInvalid):
        parse_key_presses(config, body=body, headers={})


def test_call_results_are_reports_not_acknowledgements() -> None:
    config = VoiceConfig(
        reports=DeliveryReportFields(
            message_id="call_id", reference="out_id", status="result", delivered_values=["ANSWERED"]
        ),
        signature=SIGNED,
    )
    body = json.dumps(
        [
            {"call_id": "c-1", "out_id": "d-1", "result": "answered"},
            {"call_id": "c-2", "out_id": "d-2", "result": "NO_ANSWER"},
        ]
    ).encode()
    reports = parse_reports(config, body=body, headers=sign_callback(SIGNED, body))

    assert [(r.delivery_id, r.status, r.reason) for r in reports] == [
        ("d-1", ReceiptStatus.DELIVERED, None),
        ("d-2", ReceiptStatus.FAILED, "NO_ANSWER"),
    ]
    assert {r.channel for r in reports} == {ChannelName.VOICE}
