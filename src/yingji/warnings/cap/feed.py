"""An Atom 1.0 feed (RFC 4287) of active alerts, the way CAP alerts are usually published.

Each entry links to the alert's CAP XML (``type="application/cap+xml"``), so aggregators
(WMO's alert hub, the national 预警发布平台, other bureaus) fetch and verify the signed message
itself; the entry only summarises it in one language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from yingji.warnings.cap._time import format_time
from yingji.warnings.cap.model import Alert

__all__ = ["ATOM_NS", "CAP_MIME", "atom_feed"]

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MIME = "application/cap+xml"


def atom_feed(
    alerts: Sequence[Alert],
    *,
    feed_id: str,
    title: str,
    self_url: str,
    alert_url: Callable[[Alert], str],
    author: str,
    updated: datetime | None = None,
    language: str = "zh-CN",
) -> bytes:
    """Return the UTF-8 Atom feed of the given (active) alerts, newest first.

    ``alert_url`` gives the URL of an alert's CAP XML; it is also the entry's id, which stays
    stable as long as the URL does. ``updated`` defaults to the newest alert's ``sent`` (an
    empty feed needs it). ``language`` picks the info block summarised in each entry.

    Raises:
        ValueError: the feed is empty and has no ``updated`` time.
    """
    ordered = sorted(alerts, key=lambda a: a.sent, reverse=True)
    if updated is None:
        if not ordered:
            raise ValueError("an empty feed needs an explicit updated time")
        updated = ordered[0].sent
    feed = etree.Element(_a("feed"), nsmap={None: ATOM_NS})
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    _text(feed, "updated", format_time(updated))
    etree.SubElement(feed, _a("link"), rel="self", href=self_url, type="application/atom+xml")
    _text(etree.SubElement(feed, _a("author")), "name", author)
    for alert in ordered:
        _entry(feed, alert, alert_url(alert), language)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _entry(feed: Any, alert: Alert, url: str, language: str) -> None:
    """Append the entry of one alert."""
    info = alert.info_for(language)
    entry = etree.SubElement(feed, _a("entry"))
    _text(entry, "id", url)
    headline = (info.headline or info.event) if info is not None else None
    _text(entry, "title", headline or f"{alert.msg_type.value} {alert.identifier}")
    _text(entry, "updated", format_time(alert.sent))
    _text(entry, "published", format_time(alert.sent))
    author = etree.SubElement(entry, _a("author"))
    _text(author, "name", (info.sender_name if info is not None else None) or alert.sender)
    etree.SubElement(entry, _a("link"), rel="alternate", href=url, type=CAP_MIME)
    if info is not None:
        summary = info.description or info.headline or info.event
        _text(entry, "summary", summary)
        for category in info.category:
            etree.SubElement(entry, _a("category"), term=category.value)


def _a(name: str) -> str:
    """Return the Clark name of an Atom element."""
    return f"{{{ATOM_NS}}}{name}"


def _text(parent: Any, name: str, value: str) -> None:
    """Append ``<name>value</name>`` in the Atom namespace."""
    etree.SubElement(parent, _a(name)).text = value
