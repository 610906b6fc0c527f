"""Deliveries for the channel tests."""

from __future__ import annotations

from typing import Any

from yingji.warnings.channels import ChannelName, Delivery, WarningLevel

ZH_TEXT = (
    "【西陵区应急管理局】西陵区发布暴雨红色预警。回复1234确认收到，详情 https://yj.example.cn/a/X1"
)


def delivery(n: int = 1, *, channel: ChannelName = ChannelName.SMS, **fields: Any) -> Delivery:
    """Return a delivery numbered n (its own id, phone and reply code)."""
    recipient = {
        ChannelName.SMS: f"+86138{n:08d}",
        ChannelName.VOICE: f"+86139{n:08d}",
        ChannelName.EMAIL: f"duty{n}@example.cn",
        ChannelName.WEBHOOK: "http://127.0.0.1:9/hook",
        ChannelName.INAPP: f"user-{n}",
    }[channel]
    values: dict[str, Any] = {
        "delivery_id": f"d-{n}",
        "channel": channel,
        "recipient": recipient,
        "text": ZH_TEXT,
        "subject": "【红色预警】西陵区暴雨",
        "warning_id": "w-1",
        "level": WarningLevel.RED,
        "language": "zh",
        "ack_url": f"https://yj.example.cn/a/X{n}",
        "reply_code": f"{1000 + n}",
    }
    values.update(fields)
    return Delivery(**values)
