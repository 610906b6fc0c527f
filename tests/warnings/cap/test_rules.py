"""Each CAP 1.2 §3 rule the schema cannot enforce is refused, naming the element."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from tests.warnings.cap.factories import alert, sample
from yingji.warnings.cap import CapInvalid, check, parse_alert, to_xml

CAP = "urn:oasis:names:tc:emergency:cap:1.2"


def _q(name: str) -> str:
    return f"{{{CAP}}}{name}"


def _mutated(change: Callable[[Any], None]) -> bytes:
    """Return a valid bilingual warning changed by ``change(root)``."""
    root = etree.fromstring(to_xml(alert()))
    change(root)
    return bytes(etree.tostring(root))


def _set(path: str, value: str) -> Callable[[Any], None]:
    """Return a change that sets the text of the element at a (CAP-prefixed) path."""

    def change(root: Any) -> None:
        found = root.find(path, namespaces={"c": CAP})
        assert found is not None, path
        found.text = value

    return change


def _add(
    parent_path: str, name: str, value: str, before: str | None = None
) -> Callable[[Any], None]:
    """Return a change that inserts ``<name>value</name>`` in a parent (before a sibling)."""

    def change(root: Any) -> None:
        parent = root if parent_path == "." else root.find(parent_path, namespaces={"c": CAP})
        element = etree.Element(_q(name))
        element.text = value
        anchor = parent.find(_q(before)) if before else None
        if anchor is None:
            parent.append(element)
        else:
            anchor.addprevious(element)

    return change


def _remove(path: str) -> Callable[[Any], None]:
    def change(root: Any) -> None:
        found = root.find(path, namespaces={"c": CAP})
        found.getparent().remove(found)

    return change


POLYGON_1 = "c:info[2]/c:area/c:polygon"  # the second (en) info block's first polygon


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (
            _set(POLYGON_1, "30.7,111.2 30.7,111.4 30.7,111.2"),
            "alert/info[1]/area[0]/polygon[0]",
            "at least 4 'lat,lon' pairs",
        ),
        (
            _set(POLYGON_1, "30.7,111.2 30.7,111.4 30.9,111.4 30.8,111.2"),
            "alert/info[1]/area[0]/polygon[0]",
            "not closed",
        ),
        (
            _set("c:info/c:area/c:polygon", "91,111.2 30.7,111.4 30.9,111.4 91,111.2"),
            "alert/info[0]/area[0]/polygon[0]",
            "latitude 91",
        ),
        (
            _set("c:info/c:area/c:polygon", "30.7,181 30.7,111.4 30.9,111.4 30.7,181"),
            "alert/info[0]/area[0]/polygon[0]",
            "longitude 181",
        ),
        (
            _set("c:info/c:area/c:polygon", "30.7;111.2 30.7;111.4 30.9;111.4 30.7;111.2"),
            "alert/info[0]/area[0]/polygon[0]",
            "not a 'lat,lon' pair",
        ),
        (
            _set("c:info/c:area/c:circle", "30.7,111.3"),
            "alert/info[0]/area[0]/circle[0]",
            "not 'lat,lon radius'",
        ),
        (
            _set("c:info/c:area/c:circle", "30.7,111.3 -2"),
            "alert/info[0]/area[0]/circle[0]",
            "radius '-2'",
        ),
        (
            _set("c:info/c:area/c:circle", "-95,111.3 2"),
            "alert/info[0]/area[0]/circle[0]",
            "latitude -95",
        ),
        (_set("c:scope", "Private"), "alert/addresses", "required when scope is Private"),
        (
            _add(".", "references", "yichang-yjj@gov.cn,42050041600000_20260712213138_0", "info"),
            "alert/references",
            "is not 'sender,identifier,sent'",
        ),
        (
            _add(".", "references", "a,b,2026-07-12T21:31:38Z", "info"),
            "alert/references",
            "ends in 'Z'",
        ),
        (_set("c:msgType", "Update"), "alert/references", "required when msgType is Update"),
        (_set("c:msgType", "Cancel"), "alert/references", "required when msgType is Cancel"),
        (_set("c:sent", "2026-07-12T13:31:38Z"), "alert/sent", "ends in 'Z'"),
        (_set("c:sent", "2026-07-12T21:31:38.5+08:00"), "alert/sent", "fractional seconds"),
        (_set("c:info/c:onset", "2026-07-12T22:31:38"), "alert/info[0]/onset", "no offset"),
        (_set("c:info/c:onset", "2026-02-30T22:31:38+08:00"), "alert/info[0]/onset", "not a real"),
        (
            _set("c:info[2]/c:expires", "2026-07-12T22:00:00+08:00"),
            "alert/info[1]/expires",
            "is not after onset",
        ),
        (
            _set("c:info/c:expires", "2026-07-12T20:00:00+08:00"),
            "alert/info[0]/expires",
            "is not after effective",
        ),
        (_set("c:identifier", "id with space"), "alert/identifier", "must not contain spaces"),
        (_set("c:sender", "a,b"), "alert/sender", "commas"),
        (
            _add("c:info/c:area", "ceiling", "300"),
            "alert/info[0]/area[0]/ceiling",
            "together with altitude",
        ),
        # What the schema itself finds is named the same way.
        (
            _set("c:info[2]/c:urgency", "Now"),
            "alert/info[1]/urgency",
            "schema: [facet 'enumeration'] The value 'Now' is not an element of the set {'Imm",
        ),
        (_remove("c:info/c:event"), "alert/info[0]/event", "required element is missing"),
        (_remove("c:info[2]/c:area/c:areaDesc"), "alert/info[1]/area[0]/areaDesc", "missing"),
    ],
)
def test_rule_is_refused_naming_the_element(
    change: Callable[[Any], None], path: str, reason: str
) -> None:
    errors = check(_mutated(change)).errors
    matching = [e for e in errors if e.path == path and reason in e.reason]
    assert matching, f"no error at {path} with {reason!r}: {[str(e) for e in errors]}"
    with pytest.raises(CapInvalid) as caught:
        parse_alert(_mutated(change))
    assert any(e.path == path for e in caught.value.errors)


def test_private_with_addresses_is_valid() -> None:
    change = _set("c:scope", "Private")

    def both(root: Any) -> None:
        change(root)
        _add(".", "addresses", "duty@yichang.gov.cn", "info")(root)

    assert check(_mutated(both)).errors == ()


def test_unmodified_warning_has_no_rule_errors() -> None:
    assert check(_mutated(lambda root: None)).errors == ()


def test_earthquake_circle_with_zero_radius_is_valid() -> None:
    # Spec A.3: a point as "lat,lon 0".
    assert check(sample("oasiscap__v1dot2_appendix_adot3.xml")).ok


def test_cn_profile_requires_article_64_fields() -> None:
    xml = sample("oasiscap__v1dot2_appendix_adot1.xml")
    errors = check(xml, profile="cn").errors
    assert [e.path for e in errors] == ["alert/identifier", "alert/info"]
    bare = _mutated(_remove("c:info/c:instruction"))
    errors = check(bare, profile="cn").errors
    assert [(e.path, "应当采取的措施" in e.reason) for e in errors] == [
        ("alert/info[0]/instruction", True)
    ]
