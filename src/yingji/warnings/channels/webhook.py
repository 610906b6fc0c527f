"""Subscriber webhooks: the warning summary POSTed as JSON, signed with HMAC-SHA256.

The signature header is ``sha256=<hex>`` over ``"<timestamp>.<body>"`` (the timestamp header
holds Unix seconds), so a receiver can check both origin and freshness with
``verify_webhook_signature``; the delivery header carries the delivery id for deduplication.
A 2xx answer means the subscriber has the message (receipt "delivered": no later report comes);
408, 429 and 5xx are worth retrying, other answers are not. Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

import orjson

from yingji.warnings.channels._http import HttpPool, describe_error, excerpt, status_retryable
from yingji.warnings.channels.base import (
    BaseChannel,
    ChannelName,
    Delivery,
    Receipt,
    ReceiptStatus,
    failed_receipt,
    utcnow,
)
from yingji.warnings.channels.config import WebhookConfig

SCHEME: Final = "sha256="
EVENT_TYPE: Final = "warning.delivery"


def webhook_signature(secret: str, *, timestamp: str, body: bytes) -> str:
    """Return the signature header value of a webhook body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + digest.hexdigest()


def verify_webhook_signature(
    secret: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    config: WebhookConfig | None = None,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """Return whether a received webhook is authentic and fresh (for subscribers and tests)."""
    names = config or WebhookConfig()
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(names.timestamp_header.lower(), "")
    given = lowered.get(names.signature_header.lower(), "")
    try:
        fresh = abs((time.time() if now is None else now) - int(stamp)) <= tolerance_seconds
    except ValueError:
        return False
    expected = webhook_signature(secret, timestamp=stamp, body=body)
    return fresh and hmac.compare_digest(expected.encode(), given.encode())


def webhook_payload(delivery: Delivery) -> dict[str, Any]:
    """Return the JSON payload describing a warning delivery."""
    return {
        "type": EVENT_TYPE,
        "delivery_id": delivery.delivery_id,
        "warning_id": delivery.warning_id,
        "level": delivery.level.value,
        "language": delivery.language,
        "subject": delivery.subject,
        "text": delivery.text,
        "ack_url": delivery.ack_url,
        "sent_at": utcnow().isoformat(),
    }


class WebhookChannel(BaseChannel):
    """POST signed warning payloads to subscriber URLs."""

    name: ClassVar[ChannelName] = ChannelName.WEBHOOK

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self._pool = HttpPool(
            concurrency=config.concurrency,
            connect_timeout=config.connect_timeout,
            timeout=config.timeout,
        )

    @property
    def configured(self) -> bool:
        """Whether a signing secret is set."""
        return self.config.configured

    def close(self) -> None:
        """Close the connections and threads."""
        self._pool.close()

    def _send_unique(self, deliveries: list[Delivery]) -> list[Receipt]:
        return self._pool.map(self._send_one, deliveries, self._crashed)

    def _crashed(self, delivery: Delivery, exc: Exception) -> Receipt:
        reason, retryable = describe_error(exc)
        return failed_receipt(delivery, reason, retryable=retryable)

    def _send_one(self, delivery: Delivery) -> Receipt:
        url = urlsplit(delivery.recipient)
        if url.scheme not in ("http", "https") or not url.hostname:
            return failed_receipt(
                delivery, f"invalid webhook URL: {delivery.recipient!r}", retryable=False
            )
        secret = self.config.secret.get_secret_value() if self.config.secret else ""
        latency: float | None = None
        try:
            body = orjson.dumps(webhook_payload(delivery))
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                self.config.timestamp_header: stamp,
                self.config.signature_header: webhook_signature(secret, timestamp=stamp, body=body),
                self.config.delivery_header: delivery.delivery_id,
            }
            start = time.perf_counter()
            response = self._pool.client.post(delivery.recipient, content=body, headers=headers)
            latency = (time.perf_counter() - start) * 1000.0
        except Exception as exc:  # every failure becomes a receipt
            reason, retryable = describe_error(exc)
            return failed_receipt(delivery, reason, retryable=retryable, latency_ms=latency)
        status = response.status_code
        if not 200 <= status < 300:
            reason = f"HTTP {status}: {excerpt(response.content)}"
            return failed_receipt(
                delivery, reason, retryable=status_retryable(status), latency_ms=latency
            )
        return Receipt(
            delivery_id=delivery.delivery_id,
            channel=self.name,
            status=ReceiptStatus.DELIVERED,
            at=utcnow(),
            provider_message_id=response.headers.get("X-Request-ID"),
            latency_ms=latency,
        )
