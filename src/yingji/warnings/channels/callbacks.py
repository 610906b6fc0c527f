"""Inbound provider callbacks: signature check, body parsing and delivery reports.

A callback endpoint passes the raw body and the headers; the configuration names the fields.
A bad or missing signature (or no secret configured) or an unreadable body raises
``CallbackRejected`` (answer 401 or 400); an item lacking the fields it needs is skipped with
a warning, so one odd item does not make the provider resend the whole batch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import orjson

from yingji.warnings.channels._template import lookup, lookup_text
from yingji.warnings.channels.base import ChannelName, DeliveryReport, ReceiptStatus, utcnow
from yingji.warnings.channels.config import CallbackSignature, HttpProviderConfig

log = logging.getLogger(__name__)
_MILLIS_FROM: Final = 100_000_000_000  # Unix times above this are in milliseconds


class CallbackRejected(Exception):
    """A callback that must not be processed; ``status_code`` is the HTTP answer to give."""

    status_code = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureInvalid(CallbackRejected):
    """The callback's signature is missing, wrong or stale."""

    status_code = 401


def _digest(signature: CallbackSignature, secret: str, message: bytes) -> str:
    raw = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    text = raw.hex() if signature.encoding == "hex" else base64.b64encode(raw).decode()
    return signature.prefix + text


def sign_callback(
    signature: CallbackSignature, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """Return the headers a provider would send with a body (for simulators and tests)."""
    if signature.secret is None:
        return {}
    headers: dict[str, str] = {}
    message = body
    if signature.timestamp_header:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers[signature.timestamp_header] = stamp
        message = stamp.encode() + b"." + body
    headers[signature.header] = _digest(signature, signature.secret.get_secret_value(), message)
    return headers


def verify_signature(
    signature: CallbackSignature,
    *,
    body: bytes,
    headers: Mapping[str, str],
    now: float | None = None,
) -> None:
    """Raise ``SignatureInvalid`` unless the body carries a valid signature.

    Without a configured secret every callback is refused: an unsigned SMS reply could
    acknowledge a warning (叫应) in someone else's name.
    """
    if signature.secret is None or not signature.secret.get_secret_value():
        raise SignatureInvalid("no callback secret is configured for this channel")
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(signature.header.lower(), "").strip()
    if not given:
        raise SignatureInvalid(f"missing signature header {signature.header}")
    message = body
    if signature.timestamp_header:
        stamp = lowered.get(signature.timestamp_header.lower(), "").strip()
        try:
            seconds = float(stamp)
        except ValueError:
            raise SignatureInvalid(f"missing or bad {signature.timestamp_header}") from None
        seconds = seconds / 1000 if seconds > _MILLIS_FROM else seconds
        if abs((time.time() if now is None else now) - seconds) > signature.max_age_seconds:
            raise SignatureInvalid("stale signature timestamp")
        message = stamp.encode() + b"." + body
    expected = _digest(signature, signature.secret.get_secret_value(), message)
    if signature.encoding == "hex":
        expected, given = expected.lower(), given.lower()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise SignatureInvalid("signature mismatch")


def load_body(body: bytes, body_format: str) -> object:
    """Parse a callback body (JSON or form-encoded)."""
    try:
        if body_format == "form":
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return orjson.loads(body)
    except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CallbackRejected(f"unreadable callback body: {exc}") from None


def items_of(document: object, path: str | None) -> list[Mapping[str, Any]]:
    """Return the callback's items: the list at ``path``, or the body (or its list)."""
    found = lookup(document, path) if path else document
    candidates = found if isinstance(found, list) else [found]
    return [item for item in candidates if isinstance(item, Mapping)]


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_time(value: object, zone: str) -> datetime | None:
    """Read a callback time: Unix seconds or milliseconds, or ISO 8601 (local if zoneless)."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    compact = len(text) == 14 and text.isdigit()  # 20240601120000, common in China
    if not compact:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            seconds = number / 1000 if number > _MILLIS_FROM else number
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                return None
    try:
        moment = (
            datetime.strptime(text, "%Y%m%d%H%M%S") if compact else datetime.fromisoformat(text)
        )
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(zone))
    return moment.astimezone(UTC)


def time_of(item: Mapping[str, Any], path: str | None, zone: str) -> datetime | None:
    """Return the time at a field of a callback item, if the field is configured and readable."""
    return parse_time(lookup(item, path), zone) if path else None


def parse_delivery_reports(
    config: HttpProviderConfig,
    channel: ChannelName,
    *,
    body: bytes,
    headers: Mapping[str, str],
    received_at: datetime | None = None,
) -> list[DeliveryReport]:
    """Verify and parse a delivery-report callback into reports (delivered, failed, sent)."""
    verify_signature(config.signature, body=body, headers=headers)
    fields = config.reports
    delivered = {v.casefold() for v in fields.delivered_values}
    pending = {v.casefold() for v in fields.pending_values}
    now = received_at or utcnow()
    reports: list[DeliveryReport] = []
    for item in items_of(load_body(body, config.callback_format), fields.items):
        state = lookup_text(item, fields.status)
        message_id = lookup_text(item, fields.message_id)
        reference = lookup_text(item, fields.reference)
        if state is None or not (message_id or reference):
            log.warning("%s report without status or id skipped: %.200r", channel, item)
            continue
        reason: str | None = None
        if state.casefold() in delivered:
            status = ReceiptStatus.DELIVERED
        elif state.casefold() in pending:
            status = ReceiptStatus.SENT
        else:
            status = ReceiptStatus.FAILED
            error = lookup_text(item, fields.error)
            reason = f"{state}: {error}" if error else state
        at = time_of(item, fields.time, config.callback_timezone)
        reports.append(
            DeliveryReport(
                channel=channel,
                status=status,
                at=at or now,
                provider_message_id=message_id or None,
                delivery_id=reference or None,
                recipient=lookup_text(item, fields.recipient),
                reason=reason,
            )
        )
    return reports
