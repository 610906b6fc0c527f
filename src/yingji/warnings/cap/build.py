"""Alert → CAP 1.2 XML bytes, in the element order of the OASIS schema.

Times keep their own offset (Chinese warnings are made in +08:00 by ``cn``), never ``Z`` and
never fractions (CAP 1.2 §3.3.2). ``references`` is written as space-separated
``sender,identifier,sent`` triples (§3.2.1). The output is the document a signature covers, so
``sign.sign_alert`` should be given exactly these bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from yingji.warnings.cap._time import format_time
from yingji.warnings.cap._xml import CAP12_NS, q
from yingji.warnings.cap.model import Alert, Area, Circle, Info, Point, Reference, Resource

__all__ = ["format_number", "format_polygon", "format_references", "to_element", "to_xml"]


def to_xml(alert: Alert, *, pretty: bool = True) -> bytes:
    """Return the UTF-8 CAP 1.2 document of an alert, with an XML declaration."""
    return bytes(
        etree.tostring(
            to_element(alert), xml_declaration=True, encoding="UTF-8", pretty_print=pretty
        )
    )


def to_element(alert: Alert) -> Any:
    """Return the ``alert`` lxml element of an alert."""
    root = etree.Element(q("alert"), nsmap={None: CAP12_NS})
    _add(root, "identifier", alert.identifier)
    _add(root, "sender", alert.sender)
    _add(root, "sent", format_time(alert.sent))
    _add(root, "status", alert.status.value)
    _add(root, "msgType", alert.msg_type.value)
    _add(root, "source", alert.source)
    _add(root, "scope", alert.scope.value)
    _add(root, "restriction", alert.restriction)
    _add(root, "addresses", alert.addresses)
    _add_all(root, "code", alert.code)
    _add(root, "note", alert.note)
    if alert.references:
        _add(root, "references", format_references(alert.references))
    _add(root, "incidents", alert.incidents)
    for info in alert.infos:
        _add_info(root, info)
    return root


def format_references(references: Iterable[Reference]) -> str:
    """Write references as CAP wants them: ``sender,identifier,sent`` separated by spaces."""
    return " ".join(f"{r.sender},{r.identifier},{format_time(r.sent)}" for r in references)


def format_number(value: float | Decimal) -> str:
    """Write a coordinate or radius in plain decimal notation (never ``1e-05``)."""
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_polygon(points: Iterable[Point]) -> str:
    """Write a polygon as space-separated ``lat,lon`` pairs."""
    return " ".join(f"{format_number(p.lat)},{format_number(p.lon)}" for p in points)


def _format_circle(circle: Circle) -> str:
    """Write a circle as ``lat,lon radius`` (radius in km)."""
    center = circle.center
    return (
        f"{format_number(center.lat)},{format_number(center.lon)} {format_number(circle.radius_km)}"
    )


def _add_info(root: Any, info: Info) -> None:
    """Append one ``info`` block in schema order."""
    el = etree.SubElement(root, q("info"))
    _add(el, "language", info.language)
    _add_all(el, "category", (c.value for c in info.category))
    _add(el, "event", info.event)
    _add_all(el, "responseType", (r.value for r in info.response_type))
    _add(el, "urgency", info.urgency.value)
    _add(el, "severity", info.severity.value)
    _add(el, "certainty", info.certainty.value)
    _add(el, "audience", info.audience)
    for code in info.event_codes:
        _add_pair(el, "eventCode", code.value_name, code.value)
    for name in ("effective", "onset", "expires"):
        moment = getattr(info, name)
        _add(el, name, None if moment is None else format_time(moment))
    for name, tag in (
        ("sender_name", "senderName"),
        ("headline", "headline"),
        ("description", "description"),
        ("instruction", "instruction"),
        ("web", "web"),
        ("contact", "contact"),
    ):
        _add(el, tag, getattr(info, name))
    for parameter in info.parameters:
        _add_pair(el, "parameter", parameter.value_name, parameter.value)
    for resource in info.resources:
        _add_resource(el, resource)
    for area in info.areas:
        _add_area(el, area)


def _add_resource(parent: Any, resource: Resource) -> None:
    """Append one ``resource`` block."""
    el = etree.SubElement(parent, q("resource"))
    _add(el, "resourceDesc", resource.resource_desc)
    _add(el, "mimeType", resource.mime_type)
    _add(el, "size", None if resource.size is None else str(resource.size))
    _add(el, "uri", resource.uri)
    _add(el, "derefUri", resource.deref_uri)
    _add(el, "digest", resource.digest)


def _add_area(parent: Any, area: Area) -> None:
    """Append one ``area`` block."""
    el = etree.SubElement(parent, q("area"))
    _add(el, "areaDesc", area.area_desc)
    _add_all(el, "polygon", (format_polygon(p) for p in area.polygons))
    _add_all(el, "circle", (_format_circle(c) for c in area.circles))
    for geocode in area.geocodes:
        _add_pair(el, "geocode", geocode.value_name, geocode.value)
    _add(el, "altitude", None if area.altitude is None else format_number(area.altitude))
    _add(el, "ceiling", None if area.ceiling is None else format_number(area.ceiling))


def _add(parent: Any, tag: str, value: str | None) -> None:
    """Append ``<tag>value</tag>`` unless the value is None."""
    if value is not None:
        etree.SubElement(parent, q(tag)).text = value


def _add_all(parent: Any, tag: str, values: Iterable[str]) -> None:
    """Append one element per value."""
    for value in values:
        _add(parent, tag, value)


def _add_pair(parent: Any, tag: str, value_name: str, value: str) -> None:
    """Append a ``valueName``/``value`` pair element (eventCode, parameter, geocode)."""
    el = etree.SubElement(parent, q(tag))
    _add(el, "valueName", value_name)
    _add(el, "value", value)
