"""The SMS adapter against a real local HTTP gateway, and its callbacks."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from tests.warnings.channels.conftest import Gateway, free_port
from tests.warnings.channels.factories import ZH_TEXT, delivery
from yingji.warnings.channels import (
    NOT_CONFIGURED,
    CallbackSignature,
    ChannelName,
    DeliveryReportFields,
    ReceiptStatus,
    ReplyFields,
    ResponseFields,
    SignatureInvalid,
    SmsChannel,
    SmsConfig,
    extract_reply_codes,
    parse_replies,
    sign_callback,
)
from yingji.warnings.channels.callbacks import CallbackRejected
from yingji.warnings.channels.sms import parse_reports

PROVIDER_ANSWER = ResponseFields(
    message_id="message_id",
    status="code",
    success_values=["OK"],
    error="error",
    retryable_errors=["RATE_LIMIT"],
)


def sms_config(gateway: Gateway, **overrides: Any) -> SmsConfig:
    """Return an SMS configuration pointing at the test gateway."""
    values: dict[str, Any] = {
        "url": f"{gateway.url}/sms/send",
        "auth_token": SecretStr("Bearer t0ken"),
        "idempotency_header": "Idempotency-Key",
        "callback_url": "https://yj.example.cn/api/callbacks/sms?d={delivery_id}",
        "response": PROVIDER_ANSWER,
        "connect_timeout": 1.0,
        "timeout": 2.0,
        "concurrency": 4,
    }
    return SmsConfig(**(values | overrides))


def test_each_delivery_is_posted_once_and_receipted_as_sent(gateway: Gateway) -> None:
    deliveries = [delivery(n) for n in range(1, 6)]
    with SmsChannel(sms_config(gateway)) as channel:
        receipts = channel.send_many(deliveries)

    assert [r.delivery_id for r in receipts] == ["d-1", "d-2", "d-3", "d-4", "d-5"]
    assert {r.status for r in receipts} == {ReceiptStatus.SENT}
    assert {r.channel for r in receipts} == {ChannelName.SMS}
    assert sorted(r.provider_message_id or "" for r in receipts) == [f"m-{i}" for i in range(5)]
    assert all(r.segments == 1 and r.latency_ms and r.latency_ms > 0 for r in receipts)
    assert len(gateway.requests) == 5
    by_reference = {r.json()["reference"]: r for r in gateway.requests}
    first = by_reference["d-1"]
    assert first.method == "POST" and first.path == "/sms/send"
    assert first.json() == {
        "to": "+8613800000001",
        "text": ZH_TEXT,
        "reference": "d-1",
        "callback_url": "https://yj.example.cn/api/callbacks/sms?d=d-1",
    }
    assert ZH_TEXT.encode("utf-8") in first.body  # raw UTF-8, intact
    assert first.headers["authorization"] == "Bearer t0ken"
    assert first.headers["idempotency-key"] == "d-1"
    assert first.headers["content-type"] == "application/json"


def test_duplicate_delivery_ids_are_sent_once(gateway: Gateway) -> None:
    with SmsChannel(sms_config(gateway)) as channel:
        receipts = channel.send_many([delivery(1), delivery(1), delivery(2)])

    assert len(gateway.requests) == 2
    assert receipts[0] == receipts[1]
    assert [r.delivery_id for r in receipts] == ["d-1", "d-1", "d-2"]


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False), (401, False)]
)
def test_http_errors_become_failed_receipts(gateway: Gateway, status: int, retryable: bool) -> None:
    gateway.answer = (status, b'{"error": "gateway says no"}')
    with SmsChannel(sms_config(gateway)) as channel:
        [receipt] = channel.send_many([delivery(1)])

    assert receipt.status is ReceiptStatus.FAILED
    assert receipt.retryable is retryable
    assert receipt.reason == f'HTTP {status}: {{"error": "gateway says no"}}'


@pytest.mark.parametrize(("code", "retryable"), [("RATE_LIMIT", True), ("BAD_SIGNATURE", False)])
def test_provider_error_body_fails_with_its_message(
    gateway: Gateway, code: str, retryable: bool
) -> None:
    gateway.answer = (200, json.dumps({"code": code, "error": "签名错误"}).encode())
    with SmsChannel(sms_config(gateway)) as channel:
        [receipt] = channel.send_many([delivery(1)])

    assert receipt.status is ReceiptStatus.FAILED
    assert receipt.reason == f"provider error {code}: 签名错误"
    assert receipt.retryable is retryable


def test_answer_without_message_id_fails_permanently(gateway: Gateway) -> None:
    gateway.answer = (200, b'{"code": "OK"}')
    with SmsChannel(sms_config(gateway)) as channel:
        [receipt] = channel.send_many([delivery(1)])

    assert receipt.failed and not receipt.retryable
    assert receipt.reason is not None and receipt.reason.startswith("no message id in the answer")


def test_unreadable_answer_fails(gateway: Gateway) -> None:
    gateway.answer = (200, b"<html>maintenance</html>")
    with SmsChannel(sms_config(gateway)) as channel:
        [receipt] = channel.send_many([delivery(1)])

    assert receipt.failed and receipt.reason == "unreadable answer: <html>maintenance</html>"


def test_timeout_is_a_retryable_failure(gateway: Gateway) -> None:
    gateway.delay = 1.5
    with SmsChannel(sms_config(gateway, timeout=0.3)) as channel:
        started = time.monotonic()
        receipts = channel.send_many([delivery(1), delivery(2)])

    assert time.monotonic() - started < 1.4  # in parallel, and not waiting for the answer
    assert [r.status for r in receipts] == [ReceiptStatus.FAILED] * 2
    assert all(r.retryable for r in receipts)
    assert all("timeout" in (r.reason or "") for r in receipts)


def test_refused_connection_is_a_retryable_failure(gateway: Gateway) -> None:
    config = sms_config(gateway, url=f"http://127.0.0.1:{free_port()}/send")
    with SmsChannel(config) as channel:
        [receipt] = channel.send_many([delivery(1)])

    assert receipt.failed and receipt.retryable
    assert receipt.reason is not None and receipt.reason.startswith("connection failed")


def test_unsendable_deliveries_fail_without_a_request(gateway: Gateway) -> None:
    long_text = "暴雨" * 150  # 300 UCS-2 characters: 5 segments
    with SmsChannel(sms_config(gateway)) as channel:
        receipts = channel.send_many(
            [
                delivery(1, recipient="13800000001"),
                delivery(2, text=long_text),
                delivery(3, text="  "),
                delivery(4),
            ]
        )

    assert [r.status for r in receipts] == [ReceiptStatus.FAILED] * 3 + [ReceiptStatus.SENT]
    assert receipts[0].reason == "invalid phone number (E.164 expected): '13800000001'"
    assert receipts[1].reason == "text needs 5 SMS segments (at most 4)"
    assert receipts[1].segments == 5
    assert receipts[2].reason == "empty text"
    assert not any(r.retryable for r in receipts[:3])
    assert [r.json()["reference"] for r in gateway.requests] == ["d-4"]


def test_an_unencodable_delivery_fails_alone(gateway: Gateway) -> None:
    with SmsChannel(sms_config(gateway)) as channel:
        receipts = channel.send_many([delivery(1), delivery(2, text="收到\ud800"), delivery(3)])

    assert [r.status for r in receipts] == [
        ReceiptStatus.SENT,
        ReceiptStatus.FAILED,
        ReceiptStatus.SENT,
    ]
    assert receipts[1].reason == "text is not valid Unicode (lone surrogate)"
    assert receipts[1].retryable is False
    assert sorted(r.json()["reference"] for r in gateway.requests) == ["d-1", "d-3"]


def test_unconfigured_channel_fails_clearly() -> None:
    with SmsChannel(SmsConfig()) as channel:
        receipts = channel.send_many([delivery(1), delivery(2)])

    assert [(r.status, r.reason, r.retryable) for r in receipts] == [
        (ReceiptStatus.FAILED, NOT_CONFIGURED, False)
    ] * 2


def batch_config(gateway: Gateway, **overrides: Any) -> SmsConfig:
    """Return a configuration using the gateway's batch API (three messages a request)."""
    return sms_config(
        gateway,
        batch_size=3,
        batch_template={"messages": "{messages}", "batch": "{batch_id}", "count": "{count}"},
        batch_results="results",
        batch_item_response=ResponseFields(
            message_id="message_id", status="code", success_values=["OK"], error="error"
        ),
        **overrides,
    )


def test_batch_api_sends_several_messages_per_request(gateway: Gateway) -> None:
    deliveries = [delivery(n) for n in range(1, 8)]
    gateway.bad_phones = {deliveries[4].recipient}
    with SmsChannel(batch_config(gateway)) as channel:
        receipts = channel.send_many(deliveries)

    assert len(gateway.requests) == 3
    sizes = sorted(len(r.json()["messages"]) for r in gateway.requests)
    assert sizes == [1, 3, 3]
    assert all(r.json()["count"] == len(r.json()["messages"]) for r in gateway.requests)
    assert all(len(r.headers["idempotency-key"]) == 32 for r in gateway.requests)
    assert [r.status for r in receipts] == [ReceiptStatus.SENT] * 4 + [ReceiptStatus.FAILED] + [
        ReceiptStatus.SENT
    ] * 2
    assert receipts[4].reason == "provider error BAD_NUMBER: 号码无效 invalid number"
    assert len({r.provider_message_id for r in receipts if not r.failed}) == 6
    sent_refs = [m["reference"] for r in gateway.requests for m in r.json()["messages"]]
    assert sorted(sent_refs) == sorted(d.delivery_id for d in deliveries)


def test_batch_answer_with_wrong_result_count_fails_the_batch(gateway: Gateway) -> None:
    gateway.answer = (200, b'{"code": "OK", "results": [{"code": "OK", "message_id": "x"}]}')
    with SmsChannel(batch_config(gateway)) as channel:
        receipts = channel.send_many([delivery(1), delivery(2)])

    assert [r.reason for r in receipts] == ["batch answer without 2 results at results"] * 2
    assert not any(r.retryable for r in receipts)  # it may have gone out: never twice


def test_form_body_with_national_number_and_credentials(gateway: Gateway) -> None:
    config = sms_config(
        gateway,
        body_format="form",
        body_template={
            "mobile": "{phone_national}",
            "content": "{text}",
            "extno": "{delivery_id}",
            "account": "yjj",
            "pwd": "{credentials.password}",
        },
        credentials={"password": SecretStr("p@ss 1")},
    )
    with SmsChannel(config) as channel:
        [receipt] = channel.send_many([delivery(1)])

    assert receipt.status is ReceiptStatus.SENT
    [request] = gateway.requests
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode()) == {
        "mobile": ["13800000001"],
        "content": [ZH_TEXT],
        "extno": ["d-1"],
        "account": ["yjj"],
        "pwd": ["p@ss 1"],
    }


# Callbacks --------------------------------------------------------------------------------

SIGNED = CallbackSignature(
    secret=SecretStr("cb-secret"), header="X-Sign", timestamp_header="X-Timestamp"
)


def test_delivery_reports_are_parsed() -> None:
    config = SmsConfig(
        reports=DeliveryReportFields(
            items="data",
            message_id="msgid",
            reference="extno",
            recipient="mobile",
            status="stat",
            delivered_values=["DELIVRD"],
            pending_values=["ACCEPTD"],
            error="desc",
            time="done_time",
        ),
        signature=SIGNED,
    )
    body = json.dumps(
        {
            "data": [
                {"msgid": "m-1", "extno": "d-1", "mobile": "13800000001", "stat": "DELIVRD",
                 "done_time": "2026-06-01 08:05:00"},
                {"msgid": "m-2", "extno": "d-2", "stat": "UNDELIV", "desc": "空号",
                 "done_time": "20260601080600"},
                {"msgid": "m-3", "stat": "ACCEPTD"},
                {"stat": "DELIVRD"},
            ]
        }
    ).encode()  # fmt: skip
    received = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    reports = parse_reports(
        config, body=body, headers=sign_callback(SIGNED, body), received_at=received
    )

    assert [(r.provider_message_id, r.delivery_id, r.status) for r in reports] == [
        ("m-1", "d-1", ReceiptStatus.DELIVERED),
        ("m-2", "d-2", ReceiptStatus.FAILED),
        ("m-3", None, ReceiptStatus.SENT),
    ]  # the item without any id is skipped
    assert reports[0].at == datetime(2026, 6, 1, 0, 5, tzinfo=UTC)  # Beijing time given
    assert reports[1].at == datetime(2026, 6, 1, 0, 6, tzinfo=UTC)
    assert reports[2].at == received
    assert reports[0].recipient == "13800000001"
    assert reports[1].reason == "UNDELIV: 空号"
    receipt = reports[1].receipt()
    assert (receipt.delivery_id, receipt.status, receipt.channel) == (
        "d-2",
        ReceiptStatus.FAILED,
        ChannelName.SMS,
    )
    assert reports[2].receipt("d-3").delivery_id == "d-3"
    with pytest.raises(ValueError):
        reports[2].receipt()


def test_unreadable_callback_is_rejected() -> None:
    body = b"{not json"
    with pytest.raises(CallbackRejected) as caught:
        parse_reports(SmsConfig(signature=SIGNED), body=body, headers=sign_callback(SIGNED, body))
    assert caught.value.status_code == 400


def test_callbacks_are_refused_without_a_configured_secret() -> None:
    # An unsigned reply could acknowledge a warning in someone else's name.
    body = json.dumps({"from": "13800000002", "text": "收到 1234"}).encode()
    for config in (SmsConfig(), SmsConfig(signature=CallbackSignature(secret=SecretStr("")))):
        with pytest.raises(SignatureInvalid, match="no callback secret"):
            parse_replies(config, body=body, headers={})


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("1", ("1",)),
        ("收到 1234", ("1234",)),
        ("收到1234，马上落实", ("1234",)),
        ("１２３４收到", ("1234",)),  # full-width digits
        ("好的，收到", ()),
        ("收到5678 有事打13800138000", ("5678",)),  # a phone number is no code
        ("回复2 确认", ("2",)),
    ],
)
def test_reply_codes_are_found_in_chinese_text(text: str, codes: tuple[str, ...]) -> None:
    assert extract_reply_codes(text) == codes


def test_replies_are_parsed_from_a_form_callback() -> None:
    config = SmsConfig(
        callback_format="form",
        replies=ReplyFields(phone="mobile", text="content", time="time"),
        signature=SIGNED,
    )
    body = b"mobile=8613800000001&content=%E6%94%B6%E5%88%B0+1234&time=20260601080500"
    [reply] = parse_replies(config, body=body, headers=sign_callback(SIGNED, body))

    assert reply.phone == "+8613800000001"
    assert reply.text == "收到 1234"
    assert reply.codes == ("1234",) and reply.code == "1234"
    assert reply.received_at == datetime(2026, 6, 1, 0, 5, tzinfo=UTC)


def test_reply_without_code_keeps_the_text() -> None:
    body = json.dumps({"from": "13800000002", "text": "收到"}).encode()
    [reply] = parse_replies(
        SmsConfig(signature=SIGNED), body=body, headers=sign_callback(SIGNED, body)
    )
    assert (reply.phone, reply.text, reply.code) == ("+8613800000002", "收到", None)


def test_signed_callback_is_accepted() -> None:
    config = SmsConfig(signature=SIGNED)
    body = json.dumps({"from": "+8613800000001", "text": "1"}).encode()
    headers = sign_callback(SIGNED, body)

    assert set(headers) == {"X-Sign", "X-Timestamp"}
    [reply] = parse_replies(config, body=body, headers=headers)
    assert reply.code == "1"
    lowered = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
    assert parse_replies(config, body=body, headers=lowered)[0].code == "1"


def test_bad_missing_or_stale_signatures_are_rejected() -> None:
    config = SmsConfig(signature=SIGNED)
    body = json.dumps({"from": "+8613800000001", "text": "1"}).encode()
    good = sign_callback(SIGNED, body)
    tampered = body.replace(b'"1"', b'"2"')
    stale = sign_callback(SIGNED, body, timestamp=int(time.time()) - 3600)
    cases = {
        "signature mismatch": (tampered, good),
        "missing signature header X-Sign": (body, {"X-Timestamp": good["X-Timestamp"]}),
        "missing or bad X-Timestamp": (body, {"X-Sign": good["X-Sign"]}),
        "stale signature timestamp": (body, stale),
    }
    for reason, (payload, headers) in cases.items():
        with pytest.raises(SignatureInvalid) as caught:
            parse_replies(config, body=payload, headers=headers)
        assert caught.value.reason == reason
        assert caught.value.status_code == 401


def test_base64_signature_without_timestamp() -> None:
    signature = CallbackSignature(
        secret=SecretStr("k"), header="Authorization", encoding="base64", prefix="HMAC "
    )
    config = SmsConfig(signature=signature)
    body = b'{"from": "+8613800000001", "text": "1"}'
    headers = sign_callback(signature, body)

    assert headers["Authorization"].startswith("HMAC ")
    assert parse_replies(config, body=body, headers=headers)[0].phone == "+8613800000001"
    with pytest.raises(SignatureInvalid):
        parse_replies(config, body=body, headers={"Authorization": "HMAC AAAA"})
