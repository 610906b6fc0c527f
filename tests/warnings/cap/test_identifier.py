"""GB/T 35965.1 identifiers: made in Beijing time, parsed part by part, bad ones explained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from yingji.warnings.cap import IdentifierError, make_identifier, parse_identifier
from yingji.warnings.cap._time import BEIJING


def test_make_writes_31_characters_in_beijing_time() -> None:
    issued = datetime(2026, 7, 12, 13, 31, 38, tzinfo=UTC)  # 21:31:38 in Beijing
    text = make_identifier(region="420500", org="416", issued=issued, sequence=3)
    assert text == "42050041600000_20260712213138_3"
    assert len(text) == 31


def test_make_and_parse_round_trip() -> None:
    issued = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    text = make_identifier(region="110101", org="123", unit="045", extension="07", issued=issued)
    parts = parse_identifier(text, require_sequence=True)
    assert (parts.region, parts.org, parts.unit, parts.extension) == ("110101", "123", "045", "07")
    assert parts.sequence == 0
    assert parts.issued == issued
    assert parts.issued.utcoffset() == timedelta(hours=8)
    assert str(parts) == text


def test_cma_form_without_sequence_is_accepted_unless_required() -> None:
    parts = parse_identifier("13060041600000_20240712213138")
    assert parts.sequence is None
    assert parts.issued == datetime(2024, 7, 12, 21, 31, 38, tzinfo=BEIJING)
    assert str(parts) == "13060041600000_20240712213138"
    with pytest.raises(IdentifierError) as caught:
        parse_identifier("13060041600000_20240712213138", require_sequence=True)
    assert "31 characters" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("4205004160000_20260712213138_0", "characters"),  # 30 characters
        ("42050041600000-20260712213138-0", "characters"),  # no '_'
        ("A2050041600000_20260712213138_0", "region code ZZZZZZ 'A20500' must be 6 digits"),
        ("00050041600000_20260712213138_0", "names no province"),
        ("4205004X600000_20260712213138_0", "organisation code DDD '4X6' must be 3 digits"),
        ("420500416A0000_20260712213138_0", "internal code UUU 'A00' must be 3 digits"),
        ("4205004160000X_20260712213138_0", "extension XX '0X' must be 2 digits"),
        ("42050041600000_20261312213138_0", "not a real date and time"),
        ("42050041600000_2026071221313X_0", "must be 14 digits YYYYMMDDhhmmss"),
        ("42050041600000_20260712213138_X", "sequence N 'X' must be one digit"),
    ],
)
def test_bad_identifiers_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_identifier(text)
    assert problem in str(caught.value)
    assert caught.value.problems


def test_every_wrong_part_is_listed() -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_identifier("A2050041600000_20261312213138_X")
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"region": "4205"}, "region code"),
        ({"org": "41"}, "organisation code DDD"),
        ({"sequence": 10}, "sequence N 10"),
        ({"issued": datetime(2026, 7, 12, 21, 31, 38)}, "timezone-aware"),
    ],
)
def test_make_refuses_bad_parts(kwargs: dict[str, object], problem: str) -> None:
    fields: dict[str, object] = {
        "region": "420500",
        "org": "416",
        "issued": datetime(2026, 7, 12, 21, 31, 38, tzinfo=BEIJING),
    }
    fields.update(kwargs)
    with pytest.raises(IdentifierError, match=problem):
        make_identifier(**fields)  # type: ignore[arg-type]
