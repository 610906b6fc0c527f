"""The configured HTTP messaging gateway shared by the SMS and voice channels.

Each delivery becomes the configured JSON (or form) body; with ``batch_size`` > 1 up to that
many bodies go in one request through the provider's batch API. Our delivery id travels as
the reference placeholder and, if configured, as an idempotency header (a batch's id is derived
from its delivery ids, so resending the same batch presents the same key). Nothing here
retries: a failure becomes a receipt, and the warning ladder decides what next.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any, Final
from urllib.parse import urlencode

import httpx
import orjson
import phonenumbers

from yingji.warnings.channels._http import HttpPool, describe_error, excerpt, status_retryable
from yingji.warnings.channels._template import compile_template, lookup, lookup_text, placeholders
from yingji.warnings.channels.base import (
    BaseChannel,
    Delivery,
    Receipt,
    ReceiptStatus,
    failed_receipt,
    utcnow,
)
from yingji.warnings.channels.config import HttpProviderConfig, ResponseFields

E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_NOT_JSON: Final = object()
_FORM: Final = "application/x-www-form-urlencoded"

Item = tuple[Delivery, int | None]  # a delivery and its SMS segment count


class _Outcome:
    """A provider's verdict on one message."""

    __slots__ = ("message_id", "ok", "reason", "retryable")

    def __init__(
        self,
        *,
        ok: bool,
        message_id: str | None = None,
        reason: str | None = None,
        retryable: bool = False,
    ) -> None:
        self.ok, self.message_id, self.reason, self.retryable = ok, message_id, reason, retryable


def _judge(document: object, fields: ResponseFields, *, need_id: bool) -> _Outcome:
    """Read the outcome of one message from a provider's (parsed) answer."""
    if fields.status:
        code = lookup_text(document, fields.status)
        if code not in fields.success_values:
            error = lookup_text(document, fields.error)
            return _Outcome(
                ok=False,
                reason=f"provider error {code}: {error or ''}".rstrip(": "),
                retryable=code in fields.retryable_errors,
            )
    message_id = lookup_text(document, fields.message_id)
    if need_id and fields.message_id and message_id is None:
        error = lookup_text(document, fields.error)
        return _Outcome(ok=False, reason=f"no message id in the answer: {error or document!r}")
    return _Outcome(ok=True, message_id=message_id)


def _unreadable(response: httpx.Response) -> _Outcome:
    return _Outcome(ok=False, reason=f"unreadable answer: {excerpt(response.content)}")


def national_number(phone: str) -> str:
    """Return the national significant number of an E.164 phone (its digits if unparsable)."""
    try:
        return str(phonenumbers.parse(phone).national_number)
    except phonenumbers.NumberParseException:
        return phone.lstrip("+")


class HttpGatewayChannel(BaseChannel):
    """Send deliveries through a configured HTTP gateway; one receipt each."""

    def __init__(self, config: HttpProviderConfig) -> None:
        self.config = config
        self._pool = HttpPool(
            concurrency=config.concurrency,
            connect_timeout=config.connect_timeout,
            timeout=config.timeout,
        )
        self._render = compile_template(config.body_template)
        self._render_batch = compile_template(config.batch_template or {})
        self._national = "phone_national" in placeholders(config.body_template)
        self._secrets = {
            f"credentials.{name}": secret.get_secret_value()
            for name, secret in config.credentials.items()
        }
        self._url = httpx.URL(str(config.url) if config.url else "http://unconfigured.invalid/")
        headers = dict(config.headers)
        if config.auth_token is not None:
            headers[config.auth_header] = config.auth_token.get_secret_value()
        json_body = config.body_format == "json"
        headers["Content-Type"] = "application/json" if json_body else _FORM
        self._headers = headers

    @property
    def configured(self) -> bool:
        """Whether the gateway's URL is set."""
        return self.config.configured

    def close(self) -> None:
        """Close the connections and threads."""
        self._pool.close()

    def _problem(self, delivery: Delivery) -> str | None:
        """Return why a delivery can never be sent, if so."""
        if not E164.fullmatch(delivery.recipient):
            return f"invalid phone number (E.164 expected): {delivery.recipient!r}"
        if not delivery.text.strip():
            return "empty text"
        if not delivery.text.isascii():
            try:
                delivery.text.encode("utf-8")
            except UnicodeEncodeError:
                return "text is not valid Unicode (lone surrogate)"
        return None

    def _segments(self, delivery: Delivery) -> int | None:
        return None

    def _callback_url(self, delivery_id: str) -> str | None:
        url = self.config.callback_url
        return url.replace("{delivery_id}", delivery_id) if url else None

    def _values(self, delivery: Delivery, segments: int | None) -> dict[str, Any]:
        phone = delivery.recipient
        values: dict[str, Any] = {
            "phone": phone,
            "phone_digits": phone[1:],
            "text": delivery.text,
            "subject": delivery.subject,
            "delivery_id": delivery.delivery_id,
            "warning_id": delivery.warning_id,
            "level": delivery.level.value,
            "language": delivery.language,
            "reply_code": delivery.reply_code,
            "ack_url": delivery.ack_url,
            "callback_url": self._callback_url(delivery.delivery_id),
            "segments": segments,
            "timestamp": int(time.time()),
        }
        if self._national:
            values["phone_national"] = national_number(phone)
        values.update(self._secrets)
        return values

    def _encode(self, body: Any) -> bytes:
        if self.config.body_format == "json":
            return orjson.dumps(body)
        return urlencode({k: "" if v is None else v for k, v in body.items()}).encode()

    def _send_unique(self, deliveries: list[Delivery]) -> list[Receipt]:
        done: dict[str, Receipt] = {}
        ready: list[Item] = []
        for delivery in deliveries:
            segments = self._segments(delivery)
            problem = self._problem(delivery)
            if problem:
                done[delivery.delivery_id] = failed_receipt(
                    delivery, problem, retryable=False, segments=segments
                )
            else:
                ready.append((delivery, segments))
        size = self.config.batch_size
        if size == 1:
            receipts = self._pool.map(self._send_one, ready, self._crashed)
        else:
            chunks = [ready[i : i + size] for i in range(0, len(ready), size)]
            sent = self._pool.map(self._send_batch, chunks, self._batch_crashed)
            receipts = [r for batch in sent for r in batch]
        done.update((r.delivery_id, r) for r in receipts)
        return [done[d.delivery_id] for d in deliveries]

    def _crashed(self, item: Item, exc: Exception) -> Receipt:
        reason, retryable = describe_error(exc)
        return failed_receipt(item[0], reason, retryable=retryable, segments=item[1])

    def _batch_crashed(self, items: list[Item], exc: Exception) -> list[Receipt]:
        return [self._crashed(item, exc) for item in items]

    def _post(self, content: bytes, key: str) -> tuple[httpx.Response, float]:
        headers = self._headers
        if self.config.idempotency_header:
            headers = {**headers, self.config.idempotency_header: key}
        start = time.perf_counter()
        response = self._pool.client.request(
            self.config.method, self._url, content=content, headers=headers
        )
        return response, (time.perf_counter() - start) * 1000.0

    def _receipt(self, item: Item, outcome: _Outcome, latency_ms: float | None) -> Receipt:
        delivery, segments = item
        if not outcome.ok:
            return failed_receipt(
                delivery,
                outcome.reason or "failed",
                retryable=outcome.retryable,
                segments=segments,
                latency_ms=latency_ms,
            )
        return Receipt(
            delivery_id=delivery.delivery_id,
            channel=self.name,
            status=ReceiptStatus.SENT,
            at=utcnow(),
            provider_message_id=outcome.message_id,
            segments=segments,
            latency_ms=latency_ms,
        )

    def _answer(self, response: httpx.Response) -> tuple[object, _Outcome | None]:
        """Return the parsed answer, or the failure every message of the request shares."""
        if not 200 <= response.status_code < 300:
            reason = f"HTTP {response.status_code}: {excerpt(response.content)}"
            return None, _Outcome(
                ok=False, reason=reason, retryable=status_retryable(response.status_code)
            )
        if not response.content.strip():
            return None, None
        try:
            return orjson.loads(response.content), None
        except orjson.JSONDecodeError:
            return _NOT_JSON, None

    def _send_one(self, item: Item) -> Receipt:
        delivery = item[0]
        latency: float | None = None
        try:
            body = self._render(self._values(delivery, item[1]))
            response, latency = self._post(self._encode(body), delivery.delivery_id)
            document, failure = self._answer(response)
            if failure is None and document is _NOT_JSON:
                failure = _unreadable(response)
            outcome = failure or _judge(document, self.config.response, need_id=True)
        except Exception as exc:  # every failure becomes a receipt
            reason, retryable = describe_error(exc)
            outcome = _Outcome(ok=False, reason=reason, retryable=retryable)
        return self._receipt(item, outcome, latency)

    def _send_batch(self, items: list[Item]) -> list[Receipt]:
        latency: float | None = None
        try:
            ids = [d.delivery_id for d, _ in items]
            batch_id = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]
            envelope = self._render_batch(
                {
                    "messages": [self._render(self._values(d, s)) for d, s in items],
                    "count": len(items),
                    "batch_id": batch_id,
                    "callback_url": self._callback_url(""),
                    "timestamp": int(time.time()),
                    **self._secrets,
                }
            )
            response, latency = self._post(orjson.dumps(envelope), batch_id)
            outcomes = self._batch_outcomes(response, len(items))
        except Exception as exc:  # every failure becomes a receipt
            reason, retryable = describe_error(exc)
            outcomes = [_Outcome(ok=False, reason=reason, retryable=retryable)] * len(items)
        return [self._receipt(i, o, latency) for i, o in zip(items, outcomes, strict=True)]

    def _batch_outcomes(self, response: httpx.Response, count: int) -> list[_Outcome]:
        document, failure = self._answer(response)
        if failure is None and document is _NOT_JSON:
            failure = _unreadable(response)
        results_path = self.config.batch_results
        failure = failure or _judge(document, self.config.response, need_id=not results_path)
        if not failure.ok:
            return [failure] * count
        if not results_path:
            return [failure] * count  # accepted, with one id for the whole batch
        results = lookup(document, results_path)
        if not isinstance(results, list) or len(results) != count:
            # The batch may have gone out: a permanent failure avoids sending it twice.
            reason = f"batch answer without {count} results at {results_path}"
            return [_Outcome(ok=False, reason=reason)] * count
        fields = self.config.batch_item_response
        return [_judge(result, fields, need_id=True) for result in results]
