"""Pure format checks: unified social credit codes, GB/T 4754 industry codes, phones, e-mail."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import phonenumbers


class FormatError(ValueError):
    """A value does not have the required format; the message says what is wrong."""


# --- Unified social credit code (统一社会信用代码), GB 32100-2015 -----------------------------

CREDIT_CODE_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_CHAR_VALUE: Final = {ch: value for value, ch in enumerate(CREDIT_CODE_CHARS)}
# W_i = 3^(i-1) mod 31 for positions 1..17 (GB 32100-2015 §4.2.5, after GB/T 17710).
CREDIT_CODE_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))

# Position 1 (登记管理部门) -> allowed position 2 (机构类别). GB 32100-2015 itself defines
# 1 机构编制 (1 机关, 2 事业单位, 3 编办直接管理机构编制的群众团体, 9 其他),
# 5 民政 (1 社会团体, 2 民办非企业单位, 3 基金会, 9 其他),
# 9 工商 (1 企业, 2 个体工商户, 3 农民专业合作社) and Y 其他 (1).
# The other authorities were assigned later by the standardisation administration; the table below
# is the one that several independent public validators agree on [S2]: e.g. the Go package
# wenerme/go-gb (gb32100) and published explanations (osuse.cn/post/10002590.html).
CREDIT_CODE_AUTHORITIES: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "编办直管群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台旅游部门常驻代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}


def credit_code_check_char(body: str) -> str:
    """Return the check character (position 18) for the first 17 characters of a credit code."""
    if len(body) != 17 or any(ch not in _CHAR_VALUE for ch in body):
        raise FormatError("a credit code body is 17 characters from the allowed set")
    total = sum(_CHAR_VALUE[ch] * w for ch, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True))
    value = 31 - total % 31
    return CREDIT_CODE_CHARS[0 if value == 31 else value]


def normalise_credit_code(raw: str) -> str:
    """Return a unified social credit code stripped and upper-cased, or raise FormatError."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise FormatError(f"credit code must have 18 characters, not {len(code)}")
    for position, ch in enumerate(code, start=1):
        if ch not in _CHAR_VALUE:
            raise FormatError(
                f"character {ch!r} at position {position} is not allowed "
                "(digits and capital letters except I, O, S, V, Z)"
            )
    authority = CREDIT_CODE_AUTHORITIES.get(code[0])
    if authority is None:
        known = ", ".join(CREDIT_CODE_AUTHORITIES)
        raise FormatError(f"registration authority {code[0]!r} (position 1) is not one of {known}")
    authority_name, categories = authority
    if code[1] not in categories:
        raise FormatError(
            f"organisation category {code[1]!r} (position 2) is not valid for registration "
            f"authority {code[0]} ({authority_name}): expected one of {', '.join(categories)}"
        )
    if not code[2:8].isdigit():
        raise FormatError("positions 3-8 must be the 6-digit administrative division code")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise FormatError(f"check character should be {expected}, not {code[17]}")
    return code


# --- Industry (国民经济行业分类), GB/T 4754-2017 ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Industry:
    """A section (门类, one letter) or a division (大类, two digits) of GB/T 4754-2017."""

    code: str  # "C" or "C26"
    name: str
    section: str

    @property
    def level(self) -> str:
        """Return 'section' or 'division'."""
        return "section" if len(self.code) == 1 else "division"


@dataclass(frozen=True, slots=True)
class _Catalogue:
    sections: Mapping[str, str]  # "C" -> 制造业
    divisions: Mapping[str, tuple[str, str]]  # "26" -> ("C", 化学原料和化学制品制造业)


@cache
def _catalogue() -> _Catalogue:
    source = resources.files("yingji.orgs").joinpath("data", "gbt4754_2017.csv")
    with source.open("r", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        sections: dict[str, str] = {}
        divisions: dict[str, tuple[str, str]] = {}
        for row in rows:
            if row["level"] == "section":
                sections[row["code"]] = row["name"]
            else:
                divisions[row["code"]] = (row["section"], row["name"])
    return _Catalogue(sections=sections, divisions=divisions)


def industries() -> list[Industry]:
    """Return every section and division, each section followed by its divisions."""
    cat = _catalogue()
    result: list[Industry] = []
    for letter, name in cat.sections.items():
        result.append(Industry(letter, name, letter))
        result.extend(
            Industry(letter + code, div_name, letter)
            for code, (section, div_name) in cat.divisions.items()
            if section == letter
        )
    return result


_INDUSTRY = re.compile(r"^([A-Z]?)(\d{2,4})?$")


def normalise_industry_code(raw: str) -> str:
    """Return an industry code as letter + digits ("C2614"), or raise FormatError."""
    code = re.sub(r"[\s.\-]", "", raw).upper()
    match = _INDUSTRY.match(code)
    if not code or match is None:
        raise FormatError(
            "industry code must be a section letter A-T, optionally followed by 2-4 digits "
            "(e.g. C, C26, C2614), or 2-4 digits"
        )
    letter, digits = match.group(1), match.group(2)
    cat = _catalogue()
    if not digits:
        if letter not in cat.sections:
            raise FormatError(f"unknown industry section {letter!r} (GB/T 4754-2017 has A-T)")
        return letter
    division = cat.divisions.get(digits[:2])
    if division is None:
        raise FormatError(f"unknown industry division {digits[:2]!r} (GB/T 4754-2017 has 01-97)")
    section = division[0]
    if letter and letter != section:
        raise FormatError(f"division {digits[:2]} belongs to section {section}, not {letter}")
    return section + digits


def industry_name(code: str) -> str:
    """Return the name of the most specific known level of an industry code (section/division)."""
    normal = normalise_industry_code(code)
    cat = _catalogue()
    if len(normal) == 1:
        return cat.sections[normal]
    return cat.divisions[normal[1:3]][1]


def search_industries(query: str | None, *, limit: int = 50) -> list[Industry]:
    """Return sections and divisions whose code starts with, or name contains, the query."""
    text = (query or "").strip()
    if not text:
        return industries()[:limit]
    upper = text.upper()
    found = [
        ind
        for ind in industries()
        if ind.code.startswith(upper) or ind.code[1:].startswith(upper) or text in ind.name
    ]
    return found[:limit]


# --- Phones and e-mail ---------------------------------------------------------------------

_MOBILE_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def normalise_phone(raw: str, *, field: str = "phone", mobile: bool = False) -> str:
    """Return a mainland-China number in E.164 ("+8613812345678"), or raise FormatError.

    With ``mobile`` only mobile numbers pass; otherwise landlines (with area code, e.g.
    "0717-6222333"), mobiles and service numbers (400/800) all do.
    """
    try:
        number = phonenumbers.parse(raw.strip(), "CN")
    except phonenumbers.NumberParseException as exc:
        raise FormatError(f"{field}: {raw!r} is not a phone number") from exc
    if number.country_code != 86:
        raise FormatError(f"{field}: {raw!r} is not a mainland China (+86) number")
    if not phonenumbers.is_valid_number(number):
        raise FormatError(f"{field}: {raw!r} is not a valid phone number")
    if mobile and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise FormatError(f"{field}: {raw!r} is not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def reject_control_chars(text: str) -> str:
    """Return text unchanged, or raise FormatError if it holds control characters (NUL, ...)."""
    if _CONTROL.search(text):
        raise FormatError("must not contain control characters")
    return text


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str) -> str:
    """Return an e-mail address stripped with a lower-case domain, or raise FormatError."""
    address = raw.strip()
    if len(address) > 200 or _CONTROL.search(address) or not _EMAIL.match(address):
        raise FormatError(f"{address!r} is not an e-mail address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


# Rough bounding box of China, to catch swapped or mistyped coordinates.
LON_RANGE: Final = (73.0, 136.0)
LAT_RANGE: Final = (3.0, 54.0)
