"""Bytes → Alert, safely: the message is loaded hardened and fully validated before it is read.

Loading refuses DTDs, entities, network and file access and XInclude (``_xml.load``) and
limits the size; validation is ``validate.check_tree``. Anything wrong raises ``CapInvalid``
with every element-named error, so an import can store or show them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography import x509

from yingji.warnings.cap._time import parse_time
from yingji.warnings.cap._xml import MAX_BYTES, load, q, text_of
from yingji.warnings.cap.errors import CapInvalid
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
    Parameter,
    Point,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from yingji.warnings.cap.rules import parse_circle, parse_polygon, parse_references
from yingji.warnings.cap.validate import CapReport, Profile, check_tree

__all__ = ["parse_alert", "read_alert"]


def parse_alert(
    data: bytes,
    *,
    trusted: Sequence[x509.Certificate] = (),
    require_signature: bool = False,
    require_trusted: bool = False,
    profile: Profile | None = None,
    max_bytes: int = MAX_BYTES,
) -> Alert:
    """Return the Alert of valid CAP 1.2 bytes.

    Raises:
        CapInvalid: the message is refused; ``errors`` names each element and why.
    """
    alert, _ = read_alert(
        data,
        trusted=trusted,
        require_signature=require_signature,
        require_trusted=require_trusted,
        profile=profile,
        max_bytes=max_bytes,
    )
    return alert


def read_alert(
    data: bytes,
    *,
    trusted: Sequence[x509.Certificate] = (),
    require_signature: bool = False,
    require_trusted: bool = False,
    profile: Profile | None = None,
    max_bytes: int = MAX_BYTES,
) -> tuple[Alert, CapReport]:
    """Return the Alert and the validation report (signature status, notes) of valid bytes.

    Raises:
        CapInvalid: the message is refused; ``errors`` names each element and why.
    """
    tree = load(data, max_bytes=max_bytes)
    report = check_tree(
        tree,
        trusted=trusted,
        require_signature=require_signature,
        require_trusted=require_trusted,
        profile=profile,
    )
    if report.errors:
        raise CapInvalid(report.errors)
    return _alert(tree.getroot()), report


def _alert(el: Any) -> Alert:
    """Read a validated ``alert`` element."""
    references = _opt(el, "references")
    return Alert(
        identifier=_req(el, "identifier"),
        sender=_req(el, "sender"),
        sent=parse_time(_req(el, "sent")),
        status=Status(_req(el, "status")),
        msg_type=MsgType(_req(el, "msgType")),
        scope=Scope(_req(el, "scope")),
        source=_opt(el, "source"),
        restriction=_opt(el, "restriction"),
        addresses=_opt(el, "addresses"),
        code=_all(el, "code"),
        note=_opt(el, "note"),
        references=tuple(
            Reference(sender, identifier, sent)
            for sender, identifier, sent in (parse_references(references) if references else ())
        ),
        incidents=_opt(el, "incidents"),
        infos=tuple(_info(i) for i in el.iterchildren(q("info"))),
    )


def _info(el: Any) -> Info:
    """Read a validated ``info`` element."""
    return Info(
        language=_opt(el, "language") or "en-US",
        category=tuple(Category(c) for c in _all(el, "category")),
        event=_req(el, "event"),
        response_type=tuple(ResponseType(r) for r in _all(el, "responseType")),
        urgency=Urgency(_req(el, "urgency")),
        severity=Severity(_req(el, "severity")),
        certainty=Certainty(_req(el, "certainty")),
        audience=_opt(el, "audience"),
        event_codes=tuple(EventCode(n, v) for n, v in _pairs(el, "eventCode")),
        effective=_time(el, "effective"),
        onset=_time(el, "onset"),
        expires=_time(el, "expires"),
        sender_name=_opt(el, "senderName"),
        headline=_opt(el, "headline"),
        description=_opt(el, "description"),
        instruction=_opt(el, "instruction"),
        web=_opt(el, "web"),
        contact=_opt(el, "contact"),
        parameters=tuple(Parameter(n, v) for n, v in _pairs(el, "parameter")),
        resources=tuple(_resource(r) for r in el.iterchildren(q("resource"))),
        areas=tuple(_area(a) for a in el.iterchildren(q("area"))),
    )


def _resource(el: Any) -> Resource:
    """Read a validated ``resource`` element."""
    size = _opt(el, "size")
    return Resource(
        resource_desc=_req(el, "resourceDesc"),
        mime_type=_req(el, "mimeType"),
        size=None if size is None else int(size),
        uri=_opt(el, "uri"),
        deref_uri=_opt(el, "derefUri"),
        digest=_opt(el, "digest"),
    )


def _area(el: Any) -> Area:
    """Read a validated ``area`` element."""
    altitude, ceiling = _opt(el, "altitude"), _opt(el, "ceiling")
    circles = (parse_circle(c) for c in _all(el, "circle"))
    return Area(
        area_desc=_req(el, "areaDesc"),
        polygons=tuple(
            tuple(Point(lat, lon) for lat, lon in parse_polygon(p)) for p in _all(el, "polygon")
        ),
        circles=tuple(Circle(Point(lat, lon), radius) for lat, lon, radius in circles),
        geocodes=tuple(Geocode(n, v) for n, v in _pairs(el, "geocode")),
        altitude=None if altitude is None else Decimal(altitude.strip()),
        ceiling=None if ceiling is None else Decimal(ceiling.strip()),
    )


def _req(el: Any, name: str) -> str:
    """Return a required child's text (validation guaranteed it is there)."""
    return text_of(el.find(q(name)))


def _opt(el: Any, name: str) -> str | None:
    """Return an optional child's text, None when absent."""
    child = el.find(q(name))
    return None if child is None else text_of(child)


def _all(el: Any, name: str) -> tuple[str, ...]:
    """Return the texts of every child of a name."""
    return tuple(text_of(child) for child in el.iterchildren(q(name)))


def _pairs(el: Any, name: str) -> list[tuple[str, str]]:
    """Return the (valueName, value) of every child of a name."""
    return [(_req(c, "valueName"), _req(c, "value")) for c in el.iterchildren(q(name))]


def _time(el: Any, name: str) -> datetime | None:
    """Return an optional timestamp child as an aware datetime."""
    text = _opt(el, name)
    return None if text is None else parse_time(text)
