"""Cell parsers of the ledgers: a spreadsheet cell (text, number, date, bool, None) to a value.

A parser raises :class:`CellError` with a message when a cell cannot be read as its column
requires; the formats proper are checked by the owning context's schema afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum


class CellError(ValueError):
    """A cell cannot be read as its column requires; the message says why."""


Parser = Callable[[object], object]


def text_of(value: object) -> str | None:
    """Return a cell as stripped text (None when empty); whole numbers lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError("expected text, got a true/false value")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError("expected text, got a non-finite number")
        value = int(value) if value.is_integer() else value
    if isinstance(value, datetime | date):
        raise CellError("expected text, got a date")
    text = str(value).strip()
    return text or None


def text(max_length: int) -> Parser:
    """Return a parser of free text of at most ``max_length`` characters."""

    def parse(value: object) -> object:
        result = text_of(value)
        if result is not None and len(result) > max_length:
            raise CellError(f"at most {max_length} characters")
        return result

    return parse


def upper_code(max_length: int) -> Parser:
    """Return a parser of a code typed as text or as a number, upper-cased."""

    def parse(value: object) -> object:
        result = text_of(value)
        if result is not None and len(result) > max_length:
            raise CellError(f"at most {max_length} characters")
        return result.upper() if result is not None else None

    return parse


def number(value: object) -> object:
    """Parse a decimal number (a numeric cell or numeric text)."""
    if value is None:
        return None
    if isinstance(value, bool | datetime | date):
        raise CellError("expected a number")
    if isinstance(value, int | float):
        result = float(value)
    else:
        raw = str(value).strip()
        if not raw:
            return None
        try:
            result = float(raw)
        except ValueError:
            raise CellError(f"{raw[:40]!r} is not a number") from None
    if not math.isfinite(result):
        raise CellError("expected a finite number")
    return result


def day(value: object) -> object:
    """Parse a date: a date cell or text ``YYYY-MM-DD``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text_of(value)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CellError(f"{raw[:40]!r} is not a date (YYYY-MM-DD)") from None


def choice(labels: Mapping[str, str]) -> Parser:
    """Return a parser of an enumeration given as its Chinese label or its English value."""
    by_text = {label: value for value, label in labels.items()}
    by_text.update({value: value for value in labels})

    def parse(value: object) -> object:
        raw = text_of(value)
        if raw is None:
            return None
        found = by_text.get(raw) or by_text.get(raw.lower())
        if found is None:
            shown = "、".join(labels.values())
            raise CellError(f"{raw[:40]!r} is not one of: {shown}")
        return found

    return parse


def tags(value: object) -> object:
    """Parse a list typed in one cell, separated by 、 , ， ; ； or new lines."""
    raw = text_of(value)
    if raw is None:
        return []
    for separator in ("，", ",", "；", ";", "\n"):
        raw = raw.replace(separator, "、")
    return [part.strip() for part in raw.split("、") if part.strip()]


def enum_labels(members: Mapping[StrEnum, str]) -> dict[str, str]:
    """Return value -> Chinese label of some enumeration members."""
    return {member.value: label for member, label in members.items()}
