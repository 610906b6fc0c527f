"""CAP timestamps: an explicit offset, whole seconds, UTC written ``-00:00`` (CAP 1.2 §3.3.2)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["BEIJING", "format_time", "parse_time"]

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact; it avoids
# depending on the host's tz database on an isolated network.
BEIJING = timezone(timedelta(hours=8))

_CAP_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def format_time(moment: datetime) -> str:
    """Write an aware datetime as CAP wants it: its own offset, no fraction, UTC as ``-00:00``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: CAP times need an explicit offset")
    text = moment.replace(microsecond=0).isoformat()
    # CAP 1.2 §3.3.2: "the time zone … UTC … represented as -00:00".
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def parse_time(text: str) -> datetime:
    """Read a CAP timestamp; ValueError says what is wrong (``Z``, fractions, no offset…)."""
    value = text.strip()
    if not _CAP_TIME.fullmatch(value):
        raise ValueError(_why_not(value))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date and time") from None
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > timedelta(hours=14):
        raise ValueError(f"{value!r} has an offset beyond ±14:00")
    return moment


def _why_not(value: str) -> str:
    """Explain why a timestamp does not have the CAP form."""
    form = "CAP 1.2 §3.3.2 wants YYYY-MM-DDThh:mm:ss+hh:mm"
    if value.endswith(("Z", "z")):
        return f"{value!r} ends in 'Z': {form} (UTC is written -00:00)"
    if re.search(r"T\d\d:\d\d:\d\d[.,]\d", value):
        return f"{value!r} has fractional seconds: {form}"
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", value):
        return f"{value!r} has no offset from UTC: {form}"
    return f"{value!r} is not a CAP timestamp: {form}"
