"""Delivery texts from data/channel_templates.toml, and the in-app payload."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

import pytest

from yingji.warnings.channels import (
    ChannelName,
    Delivery,
    Language,
    MessageContext,
    WarningLevel,
    build_inapp_notification,
    level_colour,
    level_name,
    render_message,
)
from yingji.warnings.channels.templates import MessageKind

URL = "https://yj.example.cn/a/Ab12Cd34Ef"
RAIN = MessageContext(
    level=WarningLevel.RED,
    event="暴雨",
    area="西陵区",
    issuer="西陵区应急管理局",
    ack_url=URL,
    reply_code="1234",
    summary="请立即转移低洼地带人员",
    issued_at=datetime(2026, 6, 1, 8, 5),
)


def test_chinese_sms_with_code_and_link_fits_one_segment() -> None:
    sms = render_message("sms", "zh", RAIN)

    assert sms.text == f"【西陵区应急管理局】西陵区发布暴雨红色预警。回复1234确认收到，详情 {URL}"
    assert len(sms.text) == 70 and sms.segments == 1


@pytest.mark.parametrize(
    ("code", "url", "ending"),
    [
        ("1234", None, "。回复1234确认收到"),
        (None, URL, f"。请打开 {URL} 确认收到"),
        (None, None, "红色预警。"),
    ],
)
def test_sms_acknowledgement_sentence(code: str | None, url: str | None, ending: str) -> None:
    context = MessageContext(
        level=WarningLevel.RED, event="暴雨", area="西陵区", issuer="县应急局",
        reply_code=code, ack_url=url,
    )  # fmt: skip
    assert render_message("sms", "zh", context).text.endswith(ending)


def test_english_sms_and_voice() -> None:
    context = MessageContext(
        level=WarningLevel.ORANGE,
        event="flash flood",
        area="Xiling",
        issuer="Xiling EMB",
        reply_code="77",
        ack_url=URL,
    )
    sms = render_message("sms", "en", context)
    voice = render_message("voice", "en", context)

    assert sms.text == (
        f"[Xiling EMB] Orange warning for flash flood in Xiling. "
        f"Reply 77 to acknowledge, details {URL}"
    )
    assert sms.segments == 1  # GSM 7-bit
    assert voice.text == (
        "This is Xiling EMB. Orange warning for flash flood issued in Xiling. "
        "Press 1 to acknowledge."
    )


def test_voice_reads_the_summary_and_asks_for_key_1() -> None:
    voice = render_message("voice", "zh", RAIN)
    assert voice.text == (
        "这里是西陵区应急管理局。西陵区发布暴雨红色预警。请立即转移低洼地带人员。确认收到请按1。"
    )


def test_email_lists_issuer_time_and_both_ways_to_acknowledge() -> None:
    email = render_message("email", "zh", RAIN)

    assert email.subject == "【红色预警】西陵区暴雨"
    assert email.text.splitlines() == [
        "西陵区发布暴雨红色预警。",
        "发布单位：西陵区应急管理局",
        "发布时间：2026年6月1日 08:05",
        "",
        "请立即转移低洼地带人员。",
        "",
        "请打开以下链接确认收到（叫应）：",
        URL,
        "也可回复短信 1234 确认。",
        "",
        "本邮件由系统自动发送，请勿直接回复。",
    ]


def test_email_leaves_out_what_the_warning_lacks() -> None:
    context = MessageContext(
        level=WarningLevel.BLUE, event="大风", area="夷陵区", issuer="区应急局"
    )
    email = render_message("email", "zh", context)

    assert (
        email.text
        == "夷陵区发布大风蓝色预警。\n发布单位：区应急局\n\n本邮件由系统自动发送，请勿直接回复。"
    )


@pytest.mark.parametrize("kind", get_args(MessageKind))
@pytest.mark.parametrize("language", get_args(Language))
@pytest.mark.parametrize("level", list(WarningLevel))
def test_every_template_renders(kind: MessageKind, language: Language, level: WarningLevel) -> None:
    context = MessageContext(
        level=level, event="E", area="A", issuer="I", ack_url=URL, reply_code="9", summary="S"
    )
    message = render_message(kind, language, context)

    assert level_name(level, language) in message.subject + message.text
    assert "{" not in message.text and "}" not in message.subject
    assert message.segments >= 1


def test_level_names_and_colours() -> None:
    assert [level_name(level, "zh") for level in WarningLevel] == [
        "红色预警",
        "橙色预警",
        "黄色预警",
        "蓝色预警",
    ]
    assert level_name(WarningLevel.YELLOW, "en") == "Yellow warning"
    assert all(level_colour(level).startswith("#") for level in WarningLevel)


def test_inapp_notification_payload() -> None:
    rendered = render_message("inapp", "zh", RAIN)
    note = build_inapp_notification(
        Delivery(
            delivery_id="d-7",
            channel=ChannelName.INAPP,
            recipient="user-42",
            subject=rendered.subject,
            text=rendered.text,
            warning_id="w-1",
            level=WarningLevel.RED,
            ack_url=URL,
        )
    )

    assert note.model_dump() == {
        "delivery_id": "d-7",
        "warning_id": "w-1",
        "user_id": "user-42",
        "level": WarningLevel.RED,
        "level_name": "红色预警",
        "colour": level_colour(WarningLevel.RED),
        "title": "西陵区暴雨红色预警",
        "body": "西陵区应急管理局发布。请立即转移低洼地带人员。",
        "ack_url": URL,
        "language": "zh",
        "requires_ack": True,
    }
    with pytest.raises(ValueError):
        build_inapp_notification(
            Delivery(
                delivery_id="d-8",
                channel=ChannelName.SMS,
                recipient="+8613800000001",
                text="x",
                warning_id="w-1",
                level=WarningLevel.RED,
            )
        )
