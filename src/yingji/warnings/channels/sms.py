"""SMS through a configured HTTP gateway; delivery reports and replies (回复码叫应) back in.

A delivery report (DELIVRD …) says the handset got the message; only a reply carrying the
delivery's reply code acknowledges it. Replies are matched by the caller: ``Reply.codes`` holds
every short number in the text ("1", "收到 1234", full-width "１２３４" alike).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, Final

import phonenumbers

from yingji.warnings.channels._gateway import HttpGatewayChannel
from yingji.warnings.channels._template import lookup_text
from yingji.warnings.channels.base import (
    ChannelName,
    Delivery,
    DeliveryReport,
    Reply,
    sms_segments,
    utcnow,
)
from yingji.warnings.channels.callbacks import (
    items_of,
    load_body,
    parse_delivery_reports,
    time_of,
    verify_signature,
)
from yingji.warnings.channels.config import SmsConfig

log = logging.getLogger(__name__)
# Up to 8 digits standing alone: longer runs are phone numbers, not reply codes.
_CODE: Final = re.compile(r"(?<![0-9])[0-9]{1,8}(?![0-9])")


class SmsChannel(HttpGatewayChannel):
    """Send SMS through the configured gateway; receipts carry the segment count."""

    name: ClassVar[ChannelName] = ChannelName.SMS
    config: SmsConfig

    def __init__(self, config: SmsConfig) -> None:
        super().__init__(config)

    def _segments(self, delivery: Delivery) -> int | None:
        return sms_segments(delivery.text)

    def _problem(self, delivery: Delivery) -> str | None:
        problem = super()._problem(delivery)
        segments = sms_segments(delivery.text)
        if problem is None and segments > self.config.max_segments:
            return f"text needs {segments} SMS segments (at most {self.config.max_segments})"
        return problem


def extract_reply_codes(text: str) -> tuple[str, ...]:
    """Return the reply codes in an SMS reply, in order ("收到 1234" -> ("1234",))."""
    return tuple(_CODE.findall(unicodedata.normalize("NFKC", text)))


def normalise_phone(raw: str, region: str) -> str:
    """Return a phone number as E.164 ("13800138000", "8613800138000" -> "+8613800138000")."""
    text = raw.strip()
    candidates = [text] if text.startswith("+") else [text, "+" + text.lstrip("0")]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text


def parse_reports(
    config: SmsConfig,
    *,
    body: bytes,
    headers: Mapping[str, str],
    received_at: datetime | None = None,
) -> list[DeliveryReport]:
    """Verify and parse the gateway's SMS delivery-report callback."""
    return parse_delivery_reports(
        config, ChannelName.SMS, body=body, headers=headers, received_at=received_at
    )


def parse_replies(
    config: SmsConfig,
    *,
    body: bytes,
    headers: Mapping[str, str],
    received_at: datetime | None = None,
) -> list[Reply]:
    """Verify and parse the gateway's inbound-SMS callback into replies."""
    verify_signature(config.signature, body=body, headers=headers)
    fields = config.replies
    now = received_at or utcnow()
    replies: list[Reply] = []
    for item in items_of(load_body(body, config.callback_format), fields.items):
        phone = lookup_text(item, fields.phone)
        text = lookup_text(item, fields.text)
        if not phone or text is None:
            log.warning("SMS reply without phone or text skipped: %.200r", item)
            continue
        at = time_of(item, fields.time, config.callback_timezone)
        replies.append(
            Reply(
                phone=normalise_phone(phone, config.default_region),
                text=text,
                received_at=at or now,
                codes=extract_reply_codes(text),
            )
        )
    return replies
