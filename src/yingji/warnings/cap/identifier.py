"""GB/T 35965.1-2018 warning identifiers: ``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N`` (cn-rules §5.3).

Appendix A of the standard fixes 31 characters: ZZZZZZ the GB/T 2260 region code (6 digits),
DDD the GB/T 4657 organisation code, UUU an internal code (default 000), XX an extension
(default 00), the issuing time in Beijing time, and N a sequence digit 0–9 that tells apart
warnings issued by one unit in the same second. Real China Meteorological Administration
feeds omit ``_N`` (29 characters, e.g. ``13060041600000_20240712213138``), so parsing accepts
that form unless the caller requires the full one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yingji.warnings.cap._time import BEIJING

__all__ = ["IdentifierError", "WarningIdentifier", "make_identifier", "parse_identifier"]

_FULL_LENGTH = 31
_SHORT_LENGTH = 29  # without "_N"
_STAMP = "%Y%m%d%H%M%S"


class IdentifierError(ValueError):
    """An identifier breaks GB/T 35965.1; ``problems`` lists every part that is wrong."""

    def __init__(self, text: str, problems: list[str]) -> None:
        self.text = text
        self.problems = tuple(problems)
        super().__init__(f"{text!r} is not a GB/T 35965.1 identifier: " + "; ".join(problems))


@dataclass(frozen=True)
class WarningIdentifier:
    """The parts of a GB/T 35965.1 identifier; ``str()`` writes it back."""

    region: str
    org: str
    issued: datetime  # Beijing time (+08:00)
    unit: str = "000"
    extension: str = "00"
    sequence: int | None = 0  # None: the CMA form without "_N"

    def __str__(self) -> str:
        head = f"{self.region}{self.org}{self.unit}{self.extension}_"
        text = head + self.issued.astimezone(BEIJING).strftime(_STAMP)
        return text if self.sequence is None else f"{text}_{self.sequence}"


def make_identifier(
    *,
    region: str,
    org: str,
    issued: datetime,
    unit: str = "000",
    extension: str = "00",
    sequence: int = 0,
) -> str:
    """Return the 31-character identifier of a warning issued at ``issued`` (any offset).

    Raises:
        IdentifierError: a part has the wrong form; all wrong parts are listed.
    """
    problems = _code_problems(region, org, unit, extension)
    if not 0 <= sequence <= 9:
        problems.append(f"sequence N {sequence} must be one digit 0–9")
    if issued.tzinfo is None or issued.utcoffset() is None:
        problems.append("the issuing time must be timezone-aware (it is written in Beijing time)")
    wid = WarningIdentifier(region, org, issued, unit, extension, sequence)
    if problems:
        raise IdentifierError(f"{region}{org}{unit}{extension}", problems)
    return str(wid)


def parse_identifier(text: str, *, require_sequence: bool = False) -> WarningIdentifier:
    """Read an identifier; ``require_sequence`` refuses the CMA form without ``_N``.

    Raises:
        IdentifierError: what is wrong, part by part.
    """
    allowed = (_FULL_LENGTH,) if require_sequence else (_FULL_LENGTH, _SHORT_LENGTH)
    parts = text.split("_")
    if len(text) not in allowed or len(parts) not in (2, 3):
        shape = "ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N (31 characters)"
        if not require_sequence:
            shape += " or, without _N, 29 characters"
        raise IdentifierError(
            text, [f"it has {len(text)} characters and {len(parts) - 1} '_': expected {shape}"]
        )
    codes, stamp = parts[0], parts[1]
    problems: list[str] = []
    if len(codes) != 14:
        problems.append(f"the code part {codes!r} must be 14 digits ZZZZZZDDDUUUXX")
        region = org = unit = extension = ""
    else:
        region, org, unit, extension = codes[:6], codes[6:9], codes[9:12], codes[12:]
        problems += _code_problems(region, org, unit, extension)
    issued = _parse_stamp(stamp, problems)
    sequence: int | None = None
    if len(parts) == 3:
        if len(parts[2]) == 1 and parts[2].isdigit():
            sequence = int(parts[2])
        else:
            problems.append(f"sequence N {parts[2]!r} must be one digit 0–9")
    elif require_sequence:
        problems.append("the sequence _N is missing")
    if problems or issued is None:
        raise IdentifierError(text, problems)
    return WarningIdentifier(region, org, issued, unit, extension, sequence)


def _code_problems(region: str, org: str, unit: str, extension: str) -> list[str]:
    """Check the four code fields; return what is wrong with each."""
    problems: list[str] = []
    if not (len(region) == 6 and region.isascii() and region.isdigit()):
        problems.append(f"region code ZZZZZZ {region!r} must be 6 digits (GB/T 2260)")
    elif region.startswith("00"):
        problems.append(f"region code ZZZZZZ {region!r} names no province (GB/T 2260)")
    for label, value, width, code in (
        ("organisation code DDD", org, 3, "GB/T 4657"),
        ("internal code UUU", unit, 3, "default 000"),
        ("extension XX", extension, 2, "default 00"),
    ):
        if not (len(value) == width and value.isascii() and value.isdigit()):
            problems.append(f"{label} {value!r} must be {width} digits ({code})")
    return problems


def _parse_stamp(stamp: str, problems: list[str]) -> datetime | None:
    """Read YYYYMMDDhhmmss as Beijing time, or note why it cannot be read."""
    if not (len(stamp) == 14 and stamp.isascii() and stamp.isdigit()):
        problems.append(f"time {stamp!r} must be 14 digits YYYYMMDDhhmmss (Beijing time)")
        return None
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=BEIJING)
    except ValueError:
        problems.append(f"time {stamp!r} is not a real date and time")
        return None
