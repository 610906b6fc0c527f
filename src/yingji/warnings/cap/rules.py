"""CAP 1.2 rules the OASIS schema cannot express (the spec's §3 data dictionary).

The XSD only says that ``polygon`` is a string and that ``sent`` matches a loose pattern (it
even allows a comma for the sign of the offset). These checks read the text of those elements
the way the spec defines it. They run on any tree, valid or not, and never assume an element
is present: a missing required element is the schema's finding, not theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from yingji.warnings.cap._time import parse_time
from yingji.warnings.cap._xml import element_path, q, text_of
from yingji.warnings.cap.errors import CapError

__all__ = ["check_rules", "parse_circle", "parse_point", "parse_polygon", "parse_references"]

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# §3.2.1: identifier and sender "MUST NOT include spaces, commas or restricted characters
# (< and &)".
_RESTRICTED = re.compile(r"[\s,<&]")
# §3.2.1 msgType: these act on "the message(s) identified in <references>".
_NEEDS_REFERENCES = frozenset({"Update", "Cancel", "Ack", "Error"})


def parse_point(text: str) -> tuple[float, float]:
    """Read ``lat,lon`` in WGS 84 decimal degrees; ValueError says what is wrong."""
    parts = text.split(",")
    if len(parts) != 2 or not all(_NUMBER.fullmatch(p) for p in parts):
        raise ValueError(f"{text!r} is not a 'lat,lon' pair of decimal degrees")
    lat, lon = float(parts[0]), float(parts[1])
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {parts[0]} in {text!r} is outside -90..90")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {parts[1]} in {text!r} is outside -180..180")
    return lat, lon


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """Read a polygon: at least 4 ``lat,lon`` pairs, the first equal to the last (§3.2.4)."""
    pairs = text.split()
    points = [parse_point(pair) for pair in pairs]
    if len(points) < 4:
        raise ValueError(
            f"a polygon needs at least 4 'lat,lon' pairs (CAP 1.2 §3.2.4), got {len(points)}"
        )
    if points[0] != points[-1]:
        raise ValueError(
            f"the polygon is not closed: its first pair {pairs[0]} differs from its last "
            f"{pairs[-1]} (CAP 1.2 §3.2.4)"
        )
    return points


def parse_circle(text: str) -> tuple[float, float, float]:
    """Read a circle ``lat,lon radius`` with the radius in km (§3.2.4)."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not 'lat,lon radius' (CAP 1.2 §3.2.4)")
    lat, lon = parse_point(parts[0])
    if not _NUMBER.fullmatch(parts[1]) or float(parts[1]) < 0:
        raise ValueError(f"radius {parts[1]!r} must be a number of km ≥ 0 (CAP 1.2 §3.2.4)")
    return lat, lon, float(parts[1])


def parse_references(text: str) -> list[tuple[str, str, datetime]]:
    """Read ``references``: space-separated ``sender,identifier,sent`` triples (§3.2.1)."""
    triples: list[tuple[str, str, datetime]] = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise ValueError(f"{item!r} is not 'sender,identifier,sent' (CAP 1.2 §3.2.1)")
        try:
            sent = parse_time(parts[2])
        except ValueError as exc:
            raise ValueError(f"in reference {item!r}: {exc}") from None
        triples.append((parts[0], parts[1], sent))
    if not triples:
        raise ValueError("references is empty (CAP 1.2 §3.2.1: sender,identifier,sent …)")
    return triples


def check_rules(root: Any) -> list[CapError]:
    """Return every §3 rule a CAP 1.2 ``alert`` element breaks."""
    return list(_alert_errors(root))


def _alert_errors(root: Any) -> Iterator[CapError]:
    """Check the envelope, then each info block."""
    for name in ("identifier", "sender"):
        for el in root.iterchildren(q(name)):
            if _RESTRICTED.search(text_of(el)):
                yield CapError(
                    element_path(el),
                    f"{text_of(el)!r} must not contain spaces, commas, '<' or '&' (CAP 1.2 §3.2.1)",
                )
    yield from _time_errors(root, "sent")
    msg_type = _child_text(root, "msgType")
    references = root.find(q("references"))
    if references is not None:
        try:
            parse_references(text_of(references))
        except ValueError as exc:
            yield CapError(element_path(references), str(exc))
    elif msg_type in _NEEDS_REFERENCES:
        yield CapError(
            "alert/references",
            f"required when msgType is {msg_type}: it names the message(s) the "
            f"{msg_type} acts on (CAP 1.2 §3.2.1)",
        )
    if _child_text(root, "scope") == "Private" and not _child_text(root, "addresses").strip():
        yield CapError("alert/addresses", "required when scope is Private (CAP 1.2 §3.2.1)")
    for info in root.iterchildren(q("info")):
        yield from _info_errors(info)


def _info_errors(info: Any) -> Iterator[CapError]:
    """Check an info block's times, their order, and its areas."""
    times: dict[str, datetime] = {}
    for name in ("effective", "onset", "expires"):
        yield from _time_errors(info, name, times)
    expires = times.get("expires")
    if expires is not None:
        for name in ("effective", "onset"):
            start = times.get(name)
            if start is not None and expires <= start:
                yield CapError(
                    element_path(info.find(q("expires"))),
                    f"expires {_child_text(info, 'expires')} is not after {name} "
                    f"{_child_text(info, name)}",
                )
    for area in info.iterchildren(q("area")):
        yield from _area_errors(area)


def _area_errors(area: Any) -> Iterator[CapError]:
    """Check the polygons, circles and altitude/ceiling of an area."""
    for polygon in area.iterchildren(q("polygon")):
        try:
            parse_polygon(text_of(polygon))
        except ValueError as exc:
            yield CapError(element_path(polygon), str(exc))
    for circle in area.iterchildren(q("circle")):
        try:
            parse_circle(text_of(circle))
        except ValueError as exc:
            yield CapError(element_path(circle), str(exc))
    if area.find(q("ceiling")) is not None and area.find(q("altitude")) is None:
        yield CapError(
            element_path(area.find(q("ceiling"))),
            "ceiling may only be used together with altitude (CAP 1.2 §3.2.4)",
        )


def _time_errors(
    parent: Any, name: str, found: dict[str, datetime] | None = None
) -> Iterator[CapError]:
    """Check one timestamp child; store its value in ``found`` when it is good."""
    for el in parent.iterchildren(q(name)):
        try:
            moment = parse_time(text_of(el))
        except ValueError as exc:
            yield CapError(element_path(el), str(exc))
        else:
            if found is not None:
                found[name] = moment


def _child_text(parent: Any, name: str) -> str:
    """Return the text of a child element, '' when absent."""
    el = parent.find(q(name))
    return "" if el is None else text_of(el).strip()
