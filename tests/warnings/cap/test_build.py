"""Building CAP 1.2: Chinese warnings from plain fields, schema-valid XML, exact round trips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from tests.warnings.cap.factories import SENT, SQUARE, alert, identifier, update_of, warning
from yingji.warnings.cap import (
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
    check,
    cn_alert,
    level_info,
    parse_alert,
    to_xml,
)

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def test_chinese_warning_is_valid_and_round_trips() -> None:
    built = alert()
    xml = to_xml(built)
    report = check(xml, profile="cn")
    assert report.errors == ()
    assert parse_alert(xml) == built


def test_chinese_warning_carries_the_article_64_fields() -> None:
    built = alert()
    zh, en = built.infos
    assert (zh.language, en.language) == ("zh-CN", "en")
    assert zh.category == (Category.MET,)
    assert zh.event == "暴雨"
    assert zh.severity is Severity.SEVERE  # 橙色 = 二级 = Severe
    assert zh.headline == "宜昌市应急管理局发布暴雨橙色预警[Ⅱ级/严重]"
    assert en.headline == (
        "Yichang Emergency Management Bureau issues Rainstorm orange warning [Level II/Serious]"
    )
    assert zh.onset == SENT + timedelta(hours=1)
    assert zh.areas[0].area_desc == "宜昌市西陵区、伍家岗区"
    assert zh.areas[0].geocodes == (Geocode("GB/T 2260", "420502"), Geocode("GB/T 2260", "420503"))
    assert zh.description is not None and zh.description.startswith("预计")
    assert zh.instruction is not None and zh.instruction.startswith("1.停止集会")
    assert zh.sender_name == "宜昌市应急管理局"
    assert built.sent == SENT
    assert built.identifier == identifier()
    # The onset is an hour away: Expected; a forecast: Likely (data/cap.toml).
    assert (zh.urgency, zh.certainty) == (Urgency.EXPECTED, Certainty.LIKELY)


@pytest.mark.parametrize(
    ("level", "severity", "color"),
    [(1, "Extreme", "红色"), (2, "Severe", "橙色"), (3, "Moderate", "黄色"), (4, "Minor", "蓝色")],
)
def test_levels_map_to_cap_severity(level: int, severity: str, color: str) -> None:
    assert level_info(level).severity.value == severity
    assert level_info(level).color_zh == color
    assert alert(level=level).infos[0].severity.value == severity


def test_onset_already_reached_is_immediate() -> None:
    assert alert(onset=SENT).infos[0].urgency is Urgency.IMMEDIATE


def test_times_are_beijing_with_offset_never_z_nor_fractions() -> None:
    utc_sent = datetime(2026, 7, 12, 13, 31, 38, 123456, tzinfo=UTC)
    xml = to_xml(alert(sent=utc_sent, onset=utc_sent))
    root = etree.fromstring(xml)
    assert root.findtext(f"{CAP}sent") == "2026-07-12T21:31:38+08:00"
    stamps = [el.text for el in root.iter(f"{CAP}effective", f"{CAP}onset", f"{CAP}expires")]
    assert stamps and all(s.endswith("+08:00") for s in stamps)
    assert b"Z<" not in xml
    assert b".123" not in xml


def test_utc_is_written_minus_zero() -> None:
    plain = _plain_alert(sent=datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    assert b"<sent>2026-01-01T00:00:00-00:00</sent>" in to_xml(plain)


def test_update_and_cancel_reference_what_they_supersede() -> None:
    first = alert()
    update = update_of(first, level=1)
    xml = to_xml(update)
    assert check(xml).errors == ()
    root = etree.fromstring(xml)
    assert root.findtext(f"{CAP}msgType") == "Update"
    assert root.findtext(f"{CAP}references") == (
        f"yichang-yjj@gov.cn,{first.identifier},2026-07-12T21:31:38+08:00"
    )
    assert update.infos[0].headline == "宜昌市应急管理局更新暴雨红色预警[Ⅰ级/特别严重]"
    cancel = cn_alert(
        warning(),
        identifier=identifier(2),
        sender=first.sender,
        msg_type=MsgType.CANCEL,
        references=(Reference(first.sender, first.identifier, first.sent),),
    )
    zh = cancel.infos[0]
    assert zh.headline == "宜昌市应急管理局解除暴雨橙色预警"
    assert (zh.urgency, zh.response_type) == (Urgency.PAST, (ResponseType.ALL_CLEAR,))
    assert parse_alert(to_xml(cancel)) == cancel


def test_update_without_references_is_refused() -> None:
    with pytest.raises(ValueError, match="must reference"):
        cn_alert(warning(), identifier=identifier(), sender="s", msg_type=MsgType.UPDATE)


def test_identifier_must_be_gbt_35965() -> None:
    with pytest.raises(ValueError, match=r"GB/T 35965\.1"):
        cn_alert(warning(), identifier="not-an-id", sender="s")


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("event", "预警类别"),
        ("area_desc", "可能影响的范围"),
        ("description", "警示事项"),
        ("instruction", "应当采取的措施"),
        ("sender_name", "发布单位"),
    ],
)
def test_article_64_fields_are_required(field: str, label: str) -> None:
    with pytest.raises(ValueError, match=label):
        warning(**{field: "  "})


def test_level_outside_one_to_four_is_refused() -> None:
    with pytest.raises(ValueError, match="第63条"):
        warning(level=5)


def test_expires_before_onset_is_refused() -> None:
    with pytest.raises(ValueError, match="expires"):
        warning(expires=SENT)


def test_chinese_only_warning_has_one_info() -> None:
    built = alert(en=None)
    assert [i.language for i in built.infos] == ["zh-CN"]
    assert check(to_xml(built), profile="cn").errors == ()


def _plain_alert(**changes: object) -> Alert:
    """An alert using every optional CAP element, to prove the model round-trips all of them."""
    info = Info(
        language="en-US",
        category=(Category.GEO, Category.SAFETY),
        event="Landslide",
        response_type=(ResponseType.EVACUATE, ResponseType.MONITOR),
        urgency=Urgency.IMMEDIATE,
        severity=Severity.EXTREME,
        certainty=Certainty.OBSERVED,
        audience="residents",
        event_codes=(EventCode("GB/T 35561", "11B03"),),
        effective=SENT,
        onset=SENT,
        expires=SENT + timedelta(days=1),
        sender_name="Bureau",
        headline="Landslide",
        description="A slope failed.",
        instruction="Leave now.",
        web="https://yjj.example.gov.cn/alerts/1",
        contact="0717-1234567",
        parameters=(Parameter("volume", "10000 m3"),),
        resources=(
            Resource("map", "image/png", 1024, "https://yjj.example.gov.cn/m.png", None, "ab12"),
        ),
        areas=(
            Area(
                "slope",
                polygons=(SQUARE,),
                circles=(Circle(Point(-0.00001, 0.5), 0.0), Circle(Point(30.8, 111.3), 1.25)),
                geocodes=(Geocode("GB/T 2260", "420502"),),
                altitude=Decimal("120.5"),
                ceiling=Decimal("300"),
            ),
        ),
    )
    fields: dict[str, object] = {
        "identifier": "YJJ-2026-0001",
        "sender": "yjj@example.gov.cn",
        "sent": SENT,
        "status": Status.EXERCISE,
        "msg_type": MsgType.ALERT,
        "scope": Scope.PRIVATE,
        "source": "duty desk",
        "addresses": 'duty@example.gov.cn "Yichang Duty Office"',
        "code": ("IPAWSv1.0", "yingji"),
        "note": "drill",
        "incidents": "INC-1 INC-2",
        "infos": (info, replace(info, language="zh-CN", event="滑坡")),
    }
    fields.update(changes)
    return Alert(**fields)  # type: ignore[arg-type]


def test_every_optional_element_round_trips() -> None:
    built = _plain_alert()
    xml = to_xml(built)
    assert check(xml).errors == ()
    assert parse_alert(xml) == built
    assert b"<circle>-0.00001,0.5 0</circle>" in xml  # plain decimals, never 1e-05


def test_naive_times_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _plain_alert(sent=datetime(2026, 1, 1))
