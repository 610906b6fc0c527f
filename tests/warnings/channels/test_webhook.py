"""Signed webhooks against a real local receiver."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from tests.warnings.channels.conftest import Gateway
from tests.warnings.channels.factories import ZH_TEXT, delivery
from yingji.warnings.channels import (
    NOT_CONFIGURED,
    ChannelName,
    ReceiptStatus,
    WebhookChannel,
    WebhookConfig,
    verify_webhook_signature,
)

HOOK = ChannelName.WEBHOOK
CONFIG = WebhookConfig(secret=SecretStr("whsec-test"), timeout=2.0)


def test_payload_is_posted_signed_and_verifiable(gateway: Gateway) -> None:
    gateway.answer = (204, b"")
    hook = delivery(1, channel=HOOK, recipient=f"{gateway.url}/hooks/county")
    with WebhookChannel(CONFIG) as channel:
        [receipt] = channel.send_many([hook])

    assert (receipt.delivery_id, receipt.status) == ("d-1", ReceiptStatus.DELIVERED)
    [request] = gateway.requests
    assert request.path == "/hooks/county"
    payload = request.json()
    assert {k: payload[k] for k in ("type", "delivery_id", "warning_id", "level", "text")} == {
        "type": "warning.delivery",
        "delivery_id": "d-1",
        "warning_id": "w-1",
        "level": "red",
        "text": ZH_TEXT,
    }
    assert payload["ack_url"] == "https://yj.example.cn/a/X1"
    assert request.headers["x-yingji-delivery"] == "d-1"
    assert abs(int(request.headers["x-yingji-timestamp"]) - time.time()) < 60
    assert request.headers["x-yingji-signature"].startswith("sha256=")
    assert verify_webhook_signature("whsec-test", body=request.body, headers=request.headers)
    assert not verify_webhook_signature("other", body=request.body, headers=request.headers)
    tampered = request.body.replace(b"red", b"blue")
    assert not verify_webhook_signature("whsec-test", body=tampered, headers=request.headers)
    later = time.time() + 3600
    assert not verify_webhook_signature(
        "whsec-test", body=request.body, headers=request.headers, now=later
    )
    assert not verify_webhook_signature("whsec-test", body=request.body, headers={})


@pytest.mark.parametrize(
    ("status", "retryable"), [(503, True), (429, True), (404, False), (302, False)]
)
def test_error_statuses(gateway: Gateway, status: int, retryable: bool) -> None:
    gateway.answer = (status, b"nope")
    hook = delivery(1, channel=HOOK, recipient=f"{gateway.url}/hook")
    with WebhookChannel(CONFIG) as channel:
        [receipt] = channel.send_many([hook])

    assert (receipt.status, receipt.reason, receipt.retryable) == (
        ReceiptStatus.FAILED,
        f"HTTP {status}: nope",
        retryable,
    )
    assert len(gateway.requests) == 1  # redirects are not followed


def test_slow_subscriber_times_out(gateway: Gateway) -> None:
    gateway.delay = 1.0
    config = WebhookConfig(secret=SecretStr("s"), timeout=0.2)
    with WebhookChannel(config) as channel:
        [receipt] = channel.send_many([delivery(1, channel=HOOK, recipient=f"{gateway.url}/h")])
    assert receipt.failed and receipt.retryable and "timeout" in (receipt.reason or "")


def test_invalid_url_and_missing_secret() -> None:
    with WebhookChannel(CONFIG) as channel:
        [bad] = channel.send_many([delivery(1, channel=HOOK, recipient="ftp://example.cn/x")])
    with WebhookChannel(WebhookConfig()) as channel:
        [unsigned] = channel.send_many([delivery(2, channel=HOOK)])

    assert (bad.reason, bad.retryable) == ("invalid webhook URL: 'ftp://example.cn/x'", False)
    assert (unsigned.status, unsigned.reason) == (ReceiptStatus.FAILED, NOT_CONFIGURED)
