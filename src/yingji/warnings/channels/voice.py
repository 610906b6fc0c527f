"""Voice calls (语音外呼) through a configured HTTP gateway; key presses (按1确认) back in.

The gateway reads the delivery's text aloud (text-to-speech); an answered call is reported as
delivered, which is not an acknowledgement: only a key press of an ``ack_digits`` key is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar, Final

from yingji.warnings.channels._gateway import HttpGatewayChannel
from yingji.warnings.channels._template import lookup_text
from yingji.warnings.channels.base import ChannelName, DeliveryReport, KeyPress, utcnow
from yingji.warnings.channels.callbacks import (
    items_of,
    load_body,
    parse_delivery_reports,
    time_of,
    verify_signature,
)
from yingji.warnings.channels.config import VoiceConfig

log = logging.getLogger(__name__)
_KEYS: Final = re.compile(r"[^0-9*#]")


class VoiceChannel(HttpGatewayChannel):
    """Place warning calls through the configured gateway."""

    name: ClassVar[ChannelName] = ChannelName.VOICE
    config: VoiceConfig

    def __init__(self, config: VoiceConfig) -> None:
        super().__init__(config)


def parse_reports(
    config: VoiceConfig,
    *,
    body: bytes,
    headers: Mapping[str, str],
    received_at: datetime | None = None,
) -> list[DeliveryReport]:
    """Verify and parse the gateway's call-result callback (answered, busy, no answer …)."""
    return parse_delivery_reports(
        config, ChannelName.VOICE, body=body, headers=headers, received_at=received_at
    )


def parse_key_presses(
    config: VoiceConfig,
    *,
    body: bytes,
    headers: Mapping[str, str],
    received_at: datetime | None = None,
) -> list[KeyPress]:
    """Verify and parse the gateway's key-press callback."""
    verify_signature(config.signature, body=body, headers=headers)
    fields = config.key_presses
    ack = set(config.ack_digits)
    now = received_at or utcnow()
    presses: list[KeyPress] = []
    for item in items_of(load_body(body, config.callback_format), fields.items):
        call_id = lookup_text(item, fields.call_id)
        reference = lookup_text(item, fields.reference)
        digits = _KEYS.sub("", lookup_text(item, fields.digits) or "")
        if not (call_id or reference):
            log.warning("key press without call or delivery id skipped: %.200r", item)
            continue
        at = time_of(item, fields.time, config.callback_timezone)
        presses.append(
            KeyPress(
                call_id=call_id or None,
                delivery_id=reference or None,
                digits=digits,
                acknowledges=any(key in ack for key in digits),
                pressed_at=at or now,
            )
        )
    return presses
