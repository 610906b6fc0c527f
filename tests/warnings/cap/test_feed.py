"""The Atom feed of active alerts: well-formed, newest first, each entry linking its CAP XML."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from tests.warnings.cap.factories import SENT, alert, update_of
from yingji.warnings.cap import Alert, atom_feed

ATOM = "{http://www.w3.org/2005/Atom}"


def _url(a: Alert) -> str:
    return f"https://yjj.yichang.gov.cn/cap/{a.identifier}.xml"


def test_feed_lists_active_alerts_newest_first() -> None:
    first = alert()
    second = update_of(first, level=3, event="大风")
    data = atom_feed(
        [first, second],
        feed_id="urn:uuid:2f0b6a4e-7f56-4d3e-9f0a-6d1f3b2c9e11",
        title="宜昌市预警信息",
        self_url="https://yjj.yichang.gov.cn/cap/feed.atom",
        alert_url=_url,
        author="宜昌市应急管理局",
    )
    root = etree.fromstring(data)  # well-formed, or this raises
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "urn:uuid:2f0b6a4e-7f56-4d3e-9f0a-6d1f3b2c9e11"
    assert root.findtext(f"{ATOM}updated") == "2026-07-12T23:31:38+08:00"
    assert root.find(f"{ATOM}link").get("rel") == "self"
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "宜昌市应急管理局"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [_url(second), _url(first)]
    newest = entries[0]
    assert newest.findtext(f"{ATOM}title") == "宜昌市应急管理局更新大风黄色预警[Ⅲ级/较重]"
    assert newest.findtext(f"{ATOM}updated") == "2026-07-12T23:31:38+08:00"
    assert newest.findtext(f"{ATOM}summary").startswith("预计未来6小时")
    assert newest.findtext(f"{ATOM}author/{ATOM}name") == "宜昌市应急管理局"
    link = newest.find(f"{ATOM}link")
    assert (link.get("rel"), link.get("type"), link.get("href")) == (
        "alternate",
        "application/cap+xml",
        _url(second),
    )
    assert [c.get("term") for c in newest.findall(f"{ATOM}category")] == ["Met"]


def test_feed_in_english_uses_the_english_block() -> None:
    data = atom_feed(
        [alert()],
        feed_id="urn:x",
        title="Yichang warnings",
        self_url="https://x/feed",
        alert_url=_url,
        author="Yichang EMB",
        language="en",
    )
    entry = etree.fromstring(data).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title").startswith("Yichang Emergency Management Bureau issues")


def test_empty_feed_needs_an_updated_time() -> None:
    with pytest.raises(ValueError, match="updated"):
        atom_feed([], feed_id="urn:x", title="t", self_url="u", alert_url=_url, author="a")
    data = atom_feed(
        [],
        feed_id="urn:x",
        title="t",
        self_url="u",
        alert_url=_url,
        author="a",
        updated=SENT + timedelta(days=1),
    )
    root = etree.fromstring(data)
    assert root.findall(f"{ATOM}entry") == []
    assert root.findtext(f"{ATOM}updated") == "2026-07-13T21:31:38+08:00"
