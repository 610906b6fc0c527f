"""Chinese warnings (预警) as CAP: from the plain fields the law requires to Alert and Info.

突发事件应对法（2024修订）第64条第二款 lists what a 警报 must carry: 预警类别、级别、起始时间、
可能影响的范围、警示事项、应当采取的措施、发布单位、发布时间. They map onto CAP as category/event,
severity (+ headline), onset, area, description, instruction, senderName and sent. The level
tables (第63条: 一–四级 = 红/橙/黄/蓝) and defaults live in ``warnings/data/cap.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from importlib import resources
from typing import Any

from yingji.warnings.cap._xml import element_path, q
from yingji.warnings.cap.errors import CapError
from yingji.warnings.cap.identifier import IdentifierError, parse_identifier
from yingji.warnings.cap.model import (
    Alert,
    Area,
    Category,
    Certainty,
    Circle,
    EventCode,
    Geocode,
    Info,
    MsgType,
    Point,
    Reference,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)

__all__ = [
    "ChineseWarning",
    "EnglishText",
    "LevelInfo",
    "article64_errors",
    "cn_alert",
    "cn_infos",
    "level_info",
    "level_of_severity",
]


# ChineseWarning field -> the CAP element named in data/cap.toml [article64] (第64条第二款).
_REQUIRED_FIELDS = {
    "category": "event",  # 预警类别 is CAP's category + event
    "event": "event",
    "area_desc": "area",
    "description": "description",
    "instruction": "instruction",
    "sender_name": "senderName",
}
# The per-info elements a received 警报 must carry; 级别 and the area are checked apart.
_INFO_TEXTS = ("event", "onset", "description", "instruction", "senderName")


@dataclass(frozen=True)
class LevelInfo:
    """One 预警级别 (第63条) and how it is written in CAP."""

    level: int
    name_zh: str
    color_zh: str
    color_en: str
    grade_zh: str
    degree_zh: str
    grade_en: str
    degree_en: str
    severity: Severity


@dataclass(frozen=True)
class EnglishText:
    """The English info block's texts; without them only the zh-CN block is written."""

    event: str
    sender_name: str
    description: str
    instruction: str
    area_desc: str

    def __post_init__(self) -> None:
        """Refuse an empty text: the English block carries the same fields as the Chinese."""
        for name in ("event", "sender_name", "description", "instruction", "area_desc"):
            if not getattr(self, name).strip():
                raise ValueError(f"the English {name} is empty")


@dataclass(frozen=True)
class ChineseWarning:
    """The fields of a 警报 (第64条第二款), in plain form.

    ``category``/``event`` are the 预警类别, ``level`` 1–4 the 级别, ``onset`` the 起始时间,
    ``area_desc`` (with optional shapes and GB/T 2260 ``region_codes``) the 可能影响的范围,
    ``description`` the 警示事项, ``instruction`` the 应当采取的措施, ``sender_name`` the
    发布单位 and ``sent`` the 发布时间.
    """

    category: tuple[Category, ...]
    event: str
    level: int
    onset: datetime
    area_desc: str
    description: str
    instruction: str
    sender_name: str
    sent: datetime
    expires: datetime | None = None
    polygons: tuple[tuple[Point, ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    region_codes: tuple[str, ...] = ()
    response_type: tuple[ResponseType, ...] = ()
    urgency: Urgency | None = None  # None: derived from onset vs sent (data/cap.toml)
    certainty: Certainty | None = None  # None: the default of data/cap.toml
    event_codes: tuple[EventCode, ...] = ()
    web: str | None = None
    contact: str | None = None
    en: EnglishText | None = None

    def __post_init__(self) -> None:
        """Refuse a warning missing what 第64条第二款 requires, or with an unknown level."""
        if self.level not in _config()["levels"]:
            raise ValueError(f"level {self.level} is not a 预警级别 1–4 (突发事件应对法 第63条)")
        labels = _config()["article64"]
        for name, element in _REQUIRED_FIELDS.items():
            value = getattr(self, name)
            if not (value.strip() if isinstance(value, str) else value):
                label = labels[element]
                raise ValueError(f"{name} ({label}) is required by 突发事件应对法 第64条第二款")
        for name in ("onset", "sent", "expires"):
            moment = getattr(self, name)
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise ValueError(f"{name} must be timezone-aware")
        if self.expires is not None and self.expires <= self.onset:
            raise ValueError("expires must be after onset (起始时间)")


@cache
def _config() -> dict[str, Any]:
    """Load data/cap.toml once; level keys become ints."""
    text = resources.files("yingji.warnings").joinpath("data/cap.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    raw["levels"] = {int(k): v for k, v in raw["levels"].items()}
    return raw


def level_info(level: int) -> LevelInfo:
    """Return how a 预警级别 1–4 is named and which CAP severity it has."""
    row = _config()["levels"].get(level)
    if row is None:
        raise ValueError(f"level {level} is not a 预警级别 1–4 (突发事件应对法 第63条)")
    return LevelInfo(level=level, **{**row, "severity": Severity(row["severity"])})


def level_of_severity(severity: Severity) -> int | None:
    """Return the 预警级别 a CAP severity stands for, or None (Unknown)."""
    levels: dict[int, Any] = _config()["levels"]
    return next((n for n in levels if level_info(n).severity is severity), None)


def _beijing(moment: datetime) -> datetime:
    """Express a time in Beijing time, as GB/T 35965.1 wants, without fractions."""
    hours = _config()["defaults"]["utc_offset_hours"]
    return moment.astimezone(timezone(timedelta(hours=hours))).replace(microsecond=0)


def cn_infos(warning: ChineseWarning, *, msg_type: MsgType = MsgType.ALERT) -> tuple[Info, ...]:
    """Return the zh-CN info block (and the English one when ``warning.en`` is set)."""
    if msg_type not in (MsgType.ALERT, MsgType.UPDATE, MsgType.CANCEL):
        raise ValueError(f"a warning is issued, updated or cancelled, not {msg_type.value}")
    defaults = _config()["defaults"]
    level = level_info(warning.level)
    sent, onset = _beijing(warning.sent), _beijing(warning.onset)
    expires = None if warning.expires is None else _beijing(warning.expires)
    urgency, response = warning.urgency, warning.response_type
    if msg_type is MsgType.CANCEL:
        # 第70条: 解除 once the danger has passed. The warning's own urgency and response
        # describe the danger, so a Cancel replaces them: urgency Past, responseType AllClear.
        urgency = Urgency(defaults["urgency_cancel"])
        response = (ResponseType.ALL_CLEAR,)
    elif urgency is None:
        key = "urgency_onset_reached" if onset <= sent else "urgency_onset_later"
        urgency = Urgency(defaults[key])
    certainty = warning.certainty or Certainty(defaults["certainty"])
    geocodes = tuple(Geocode(defaults["geocode_name"], code) for code in warning.region_codes)
    common: dict[str, Any] = {
        "category": warning.category,
        "response_type": response,
        "urgency": urgency,
        "severity": level.severity,
        "certainty": certainty,
        "event_codes": warning.event_codes,
        "effective": sent,
        "onset": onset,
        "expires": expires,
        "web": warning.web,
        "contact": warning.contact,
    }
    zh_area = Area(warning.area_desc, warning.polygons, warning.circles, geocodes)
    zh = Info(
        language=defaults["language_zh"],
        event=warning.event,
        sender_name=warning.sender_name,
        headline=_headline("zh", msg_type, level, warning.sender_name, warning.event),
        description=warning.description,
        instruction=warning.instruction,
        areas=(zh_area,),
        **common,
    )
    if warning.en is None:
        return (zh,)
    en_text = warning.en
    en = Info(
        language=defaults["language_en"],
        event=en_text.event,
        sender_name=en_text.sender_name,
        headline=_headline("en", msg_type, level, en_text.sender_name, en_text.event),
        description=en_text.description,
        instruction=en_text.instruction,
        areas=(Area(en_text.area_desc, warning.polygons, warning.circles, geocodes),),
        **common,
    )
    return (zh, en)


def cn_alert(
    warning: ChineseWarning,
    *,
    identifier: str,
    sender: str,
    msg_type: MsgType = MsgType.ALERT,
    references: tuple[Reference, ...] = (),
    status: Status | None = None,
    note: str | None = None,
) -> Alert:
    """Return the CAP alert of a Chinese warning.

    ``identifier`` must be a full GB/T 35965.1 identifier (``identifier.make_identifier``);
    ``sender`` is the CAP sender id of the issuing unit (no spaces or commas, §3.2.1). An
    Update (第70条 调整) or Cancel (第70条 解除) names the messages it supersedes in
    ``references``.

    Raises:
        ValueError: the identifier or the references do not fit.
    """
    parse_identifier(identifier, require_sequence=True)
    if msg_type in (MsgType.UPDATE, MsgType.CANCEL) and not references:
        raise ValueError(f"a {msg_type.value} must reference the messages it supersedes")
    if msg_type is MsgType.ALERT and references:
        raise ValueError("a first Alert has no references; use Update to supersede one")
    defaults = _config()["defaults"]
    return Alert(
        identifier=identifier,
        sender=sender,
        sent=_beijing(warning.sent),
        status=status or Status(defaults["status"]),
        msg_type=msg_type,
        scope=Scope(defaults["scope"]),
        note=note,
        references=references,
        infos=cn_infos(warning, msg_type=msg_type),
    )


def _headline(lang: str, msg_type: MsgType, level: LevelInfo, sender_name: str, event: str) -> str:
    """Fill the headline template of data/cap.toml for a language and msgType."""
    template = _config()["headline"][lang][msg_type.value]
    zh = lang == "zh"
    return str(
        template.format(
            sender_name=sender_name,
            event=event,
            color=level.color_zh if zh else level.color_en,
            grade=level.grade_zh if zh else level.grade_en,
            degree=level.degree_zh if zh else level.degree_en,
        )
    )


def article64_errors(root: Any) -> list[CapError]:
    """Return what a received CAP alert lacks of a 警报 (第64条第二款), per Chinese info block.

    Also checks that the identifier is GB/T 35965.1 (the CMA form without ``_N`` is accepted).
    """
    labels = _config()["article64"]
    errors: list[CapError] = []
    try:
        parse_identifier(root.findtext(q("identifier")) or "")
    except IdentifierError as exc:
        errors.append(CapError("alert/identifier", "; ".join(exc.problems) + " (GB/T 35965.1)"))
    chinese = [
        info
        for info in root.iterchildren(q("info"))
        if (info.findtext(q("language")) or "").lower().startswith("zh")
    ]
    if not chinese:
        errors.append(CapError("alert/info", "no zh-CN info block: a 警报 is issued in Chinese"))
    law = "(突发事件应对法 第64条第二款)"
    for info in chinese:
        path = element_path(info)
        for name in _INFO_TEXTS:
            if not (info.findtext(q(name)) or "").strip():
                errors.append(CapError(f"{path}/{name}", f"{labels[name]} is required {law}"))
        if (info.findtext(q("severity")) or "Unknown") == "Unknown":
            reason = (
                f"{labels['severity']} is required: 红/橙/黄/蓝 = Extreme/Severe/Moderate/Minor"
            )
            errors.append(CapError(f"{path}/severity", f"{reason} (第63条)"))
        if info.find(q("area")) is None:
            errors.append(CapError(f"{path}/area[0]", f"{labels['area']} is required {law}"))
    return errors
