"""The in-app notification of a delivery (站内消息): the payload; storing it is the caller's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from yingji.warnings.channels.base import ChannelName, Delivery, Language, WarningLevel
from yingji.warnings.channels.templates import level_colour, level_name


class InAppNotification(BaseModel):
    """What the in-app inbox shows for a warning delivery, with its acknowledgement link."""

    model_config = ConfigDict(frozen=True)

    delivery_id: str
    warning_id: str
    user_id: str
    level: WarningLevel
    level_name: str
    colour: str  # #RRGGBB of the level
    title: str
    body: str
    ack_url: str | None
    language: Language
    requires_ack: bool = True  # 叫应: the person must confirm


def build_inapp_notification(delivery: Delivery) -> InAppNotification:
    """Return the in-app notification of a delivery (title = subject, body = text)."""
    if delivery.channel is not ChannelName.INAPP:
        raise ValueError(f"not an in-app delivery: {delivery.channel}")
    return InAppNotification(
        delivery_id=delivery.delivery_id,
        warning_id=delivery.warning_id,
        user_id=delivery.recipient,
        level=delivery.level,
        level_name=level_name(delivery.level, delivery.language),
        colour=level_colour(delivery.level),
        title=delivery.subject or level_name(delivery.level, delivery.language),
        body=delivery.text,
        ack_url=delivery.ack_url,
        language=delivery.language,
    )
