"""What each delivery says: the warning's text with the means to answer, or the end notice.

A delivery asking for an answer (``ask``) carries the target's reply code (SMS) and signed link
(SMS, email, in-app); a member of the public's carries neither. The notice of a lift (解除) or
cancellation (撤销) asks nothing. Texts come from ``channels.render_message`` (the shipped
zh/en templates); the notice's few words are here, as the templates have no such kind.
Rendering is deterministic: a delivery re-sent after a crash says the same, under the same id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

from yingji.warnings._tokens import ack_url, make_token
from yingji.warnings.channels import (
    ChannelName,
    Delivery,
    Language,
    MessageContext,
    MessageKind,
    WarningLevel,
    level_name,
    render_message,
)

Purpose = Literal["ask", "tell", "notice"]
LEVELS: Final = {1: WarningLevel.RED, 2: WarningLevel.ORANGE, 3: WarningLevel.YELLOW,
                 4: WarningLevel.BLUE}  # fmt: skip
SHORT_AREA: Final = 24  # characters of 可能影响的范围 in an SMS or a call
VOICE_SUMMARY: Final = 120  # characters of 应当采取的措施 read aloud
CHINA: Final = ZoneInfo("Asia/Shanghai")
CODE_MARK: Final = "\ue000"  # private-use characters: never in a template or a warning's text
LINK_MARK: Final = "\ue001"
_KINDS: Final[dict[ChannelName, MessageKind]] = {
    ChannelName.SMS: "sms",
    ChannelName.VOICE: "voice",
    ChannelName.EMAIL: "email",
    ChannelName.INAPP: "inapp",
}
_NOTICE: Final = {
    ("zh", "lifted"): "【{issuer}】{area}{event}{level}已解除。",
    ("zh", "cancelled"): "【{issuer}】{area}{event}{level}已撤销。",
    ("en", "lifted"): "[{issuer}] The {level} for {event} in {area} has been lifted.",
    ("en", "cancelled"): "[{issuer}] The {level} for {event} in {area} has been cancelled.",
}


@dataclass(frozen=True, slots=True)
class WarningFacts:
    """What a delivery needs to know of its warning."""

    id: uuid.UUID
    status: str
    level: int
    event: str
    event_en: str | None
    area_desc: str
    sender_name: str
    sender_name_en: str | None
    instruction: str
    instruction_en: str | None
    issued_at: datetime | None


@dataclass(frozen=True, slots=True)
class Recipient:
    """What a delivery needs to know of its target."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    mobile: str | None
    email: str | None
    language: str
    must_acknowledge: bool
    token_nonce: str
    reply_code: str
    # A superior called because someone did not answer (未叫应): who that was.
    on_behalf_of: str | None = None


# The lead of a superior's delivery: why they are asked (the silent person's title and name).
_ESCALATED: Final = {
    "zh": "【未叫应】{who}未在时限内确认此预警，请您督促落实并确认。",
    "en": "[No answer] {who} has not acknowledged this warning in time: please follow up and "
    "acknowledge.",
}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(channel: ChannelName, instruction: str) -> str:
    """Return the measures to take as a delivery states them: none in an SMS, briefly aloud."""
    if channel is ChannelName.SMS:
        return ""
    return _short(instruction, VOICE_SUMMARY) if channel is ChannelName.VOICE else instruction


def address(channel: ChannelName, recipient: Recipient) -> str:
    """Return where a channel delivers to a recipient (phone, address, user id)."""
    if channel is ChannelName.INAPP:
        return str(recipient.user_id)
    if channel is ChannelName.EMAIL:
        return recipient.email or ""
    return recipient.mobile or ""


@lru_cache(maxsize=1024)
def _texts(
    warning: WarningFacts,
    channel: ChannelName,
    language: Language,
    purpose: Purpose,
    with_code: bool,
    with_link: bool,
    zone: tzinfo,
) -> tuple[str, str]:
    """Return (subject, text) of a kind of delivery, with marks where the code and link go.

    Every delivery of a warning on a channel in a language says the same but for the reply
    code and the link: rendered once, filled per person.
    """
    english = language == "en"
    level = LEVELS.get(warning.level, WarningLevel.BLUE)
    event = (warning.event_en if english else None) or warning.event
    issuer = (warning.sender_name_en if english else None) or warning.sender_name
    brief = channel in (ChannelName.SMS, ChannelName.VOICE)
    area = _short(warning.area_desc, SHORT_AREA) if brief else warning.area_desc
    if purpose == "notice":
        template = _NOTICE[(language, "cancelled" if warning.status == "cancelled" else "lifted")]
        text = template.format(
            issuer=issuer, area=area, event=event, level=level_name(level, language)
        )
        return text, text
    summary = (warning.instruction_en if english else None) or warning.instruction
    rendered = render_message(
        _KINDS[channel], language,
        MessageContext(level=level, event=event, area=area, issuer=issuer,
                       ack_url=LINK_MARK if with_link else None,
                       reply_code=CODE_MARK if with_code else None,
                       summary=_summary(channel, summary),
                       issued_at=warning.issued_at.astimezone(zone)
                       if warning.issued_at else None),
    )  # fmt: skip
    return rendered.subject, rendered.text


def build_delivery(
    *,
    delivery_id: uuid.UUID,
    channel: ChannelName,
    recipient: Recipient,
    warning: WarningFacts,
    purpose: Purpose,
    key: bytes,
    base_url: str,
    zone: tzinfo = CHINA,
) -> Delivery:
    """Return the delivery of one attempt."""
    language: Language = "en" if recipient.language == "en" else "zh"
    asks = purpose == "ask" and recipient.must_acknowledge
    link = None
    if asks and channel is not ChannelName.VOICE:
        link = ack_url(base_url, make_token(key, recipient.id, recipient.token_nonce))
    code = recipient.reply_code if asks and channel is ChannelName.SMS else None
    subject, text = _texts(warning, channel, language, purpose, code is not None,
                           link is not None, zone)  # fmt: skip
    if purpose == "ask" and recipient.on_behalf_of:
        lead = _ESCALATED[language].format(who=recipient.on_behalf_of)
        text = lead + ("\n" if channel is not ChannelName.SMS else "") + text
    if code is not None:
        subject, text = subject.replace(CODE_MARK, code), text.replace(CODE_MARK, code)
    if link is not None:
        subject, text = subject.replace(LINK_MARK, link), text.replace(LINK_MARK, link)
    return Delivery(
        delivery_id=str(delivery_id),
        channel=channel,
        recipient=address(channel, recipient),
        text=text,
        subject=subject,
        warning_id=str(warning.id),
        level=LEVELS.get(warning.level, WarningLevel.BLUE),
        language=language,
        ack_url=link,
        reply_code=code,
    )
