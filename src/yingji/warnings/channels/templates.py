"""Short zh/en texts of warning deliveries from ``data/channel_templates.toml``.

``render_message`` fills the template of a kind (sms, voice, email, inapp) with a warning's
level name, event, area, issuer (发布单位) and the means to acknowledge: the reply code, the
signed link, or both; the result carries the SMS segment count of its text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from string import Formatter
from typing import Any, Final, Literal

from yingji.warnings.channels.base import Language, WarningLevel, sms_segments

MessageKind = Literal["sms", "voice", "email", "inapp"]
_BLANK_RUNS: Final = re.compile(r"\n{3,}")
_SPACE_RUNS: Final = re.compile(r" {2,}")
_SENTENCE_END: Final = ("。", "！", "？", "；", ".", "!", "?", ";")


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageContext:
    """What a delivery text says about its warning."""

    level: WarningLevel
    event: str  # 暴雨, 山洪, 森林火险 …
    area: str  # 西陵区 …
    issuer: str  # 发布单位
    ack_url: str | None = None
    reply_code: str | None = None
    summary: str = ""  # 防御指引, used by voice, email and in-app texts
    issued_at: datetime | None = None  # shown as given: pass local time


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """A filled template: subject (email, in-app), text, and the SMS segments of the text."""

    subject: str
    text: str
    segments: int


@cache
def _templates() -> dict[str, Any]:
    text = (
        resources.files("yingji.warnings")
        .joinpath("data/channel_templates.toml")
        .read_text("utf-8")
    )
    return tomllib.loads(text)


def level_name(level: WarningLevel, language: Language) -> str:
    """Return a level's name (红色预警, Red warning)."""
    return str(_templates()["levels"][level.value][language])


def level_colour(level: WarningLevel) -> str:
    """Return a level's display colour as #RRGGBB."""
    return str(_templates()["levels"][level.value]["colour"])


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


def _fill(template: str, values: dict[str, Any]) -> str:
    """Fill a template, leaving out lines whose placeholders all come out empty."""
    lines = []
    for line in template.split("\n"):
        names = _fields(line)
        if names and all(values.get(n) in (None, "") for n in names):
            continue
        lines.append(_SPACE_RUNS.sub(" ", line.format_map(values)))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _sentence(text: str, language: Language) -> str:
    """Return a text ending as a sentence, so that the template can go on after it."""
    text = text.strip()
    if text and not text.endswith(_SENTENCE_END):
        text += "。" if language == "zh" else "."
    return text


def _time(template: str, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return template.format(
        year=moment.year, month=moment.month, day=moment.day, hour=moment.hour, minute=moment.minute
    )


def _ack_key(context: MessageContext) -> str | None:
    if context.reply_code and context.ack_url:
        return "ack_both"
    if context.reply_code:
        return "ack_code"
    return "ack_link" if context.ack_url else None


def render_message(
    kind: MessageKind, language: Language, context: MessageContext
) -> RenderedMessage:
    """Return the subject and text of a delivery of a kind in a language."""
    table = _templates()[language]
    section = table[kind]
    values: dict[str, Any] = {
        "level_name": level_name(context.level, language),
        "event": context.event,
        "area": context.area,
        "issuer": context.issuer,
        "summary": _sentence(context.summary, language),
        "reply_code": context.reply_code or "",
        "ack_url": context.ack_url or "",
        "issued_at": _time(table["time_format"], context.issued_at),
    }
    key = _ack_key(context)
    values["ack"] = _fill(section[key], values) if key and key in section else ""
    text = _fill(section["text"], values)
    subject = _fill(section.get("subject", ""), values)
    return RenderedMessage(subject=subject, text=text, segments=sms_segments(text))
