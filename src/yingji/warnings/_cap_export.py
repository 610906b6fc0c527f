"""A warning's CAP 1.2 messages: identified (GB/T 35965.1), built, signed and kept.

Every issue, update, lift and cancellation of an issued warning is one CAP message: Alert,
then Update or Cancel referencing every earlier message of the warning (CAP 1.2 §3.2.1
``references``). Each gets its own GB/T 35965.1 identifier (cn-rules §5.3: region, unit,
Beijing time, a sequence digit for messages of the same second) and, when a key is configured,
an enveloped XML signature. The XML stored is exactly what was published.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any, Final

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.config import Settings
from yingji.core.errors import Conflict
from yingji.warnings.cap import (
    Category,
    ChineseWarning,
    Circle,
    EnglishText,
    MsgType,
    Point,
    Reference,
    ResponseType,
    atom_feed,
    cn_alert,
    make_identifier,
    parse_alert,
    sign_alert,
    to_xml,
)
from yingji.warnings.config import rules
from yingji.warnings.models import EarlyWarning, WarningMessage

CAP_CONTENT_TYPE: Final = "application/cap+xml"
_SEQUENCES: Final = 10  # GB/T 35965.1: N is one digit


def region6(code: str) -> str:
    """Return the GB/T 2260 six-digit code of the region a warning is issued in."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return (digits + "000000")[:6]


def next_identifier(session: Session, *, warning: EarlyWarning, at: datetime, org: str) -> str:
    """Return a fresh identifier for a message sent at ``at`` (sequence N within the second)."""
    region = region6(warning.region_code)
    for sequence in range(_SEQUENCES):
        candidate = make_identifier(region=region, org=org, issued=at, sequence=sequence)
        taken = session.scalar(
            select(WarningMessage.id).where(WarningMessage.identifier == candidate).limit(1)
        )
        if taken is None:
            return candidate
    raise Conflict("ten warning messages were sent in this second; send again", field="sent")


def _shapes(warning: EarlyWarning) -> tuple[tuple[tuple[Point, ...], ...], tuple[Circle, ...]]:
    polygons: list[tuple[Point, ...]] = []
    circles: list[Circle] = []
    for shape in warning.area_shapes:
        if shape["type"] == "polygon":
            polygons.append(tuple(Point(lat=lat, lon=lon) for lon, lat in shape["coordinates"]))
        else:
            lon, lat = shape["center"]
            circles.append(Circle(center=Point(lat=lat, lon=lon), radius_km=shape["radius_km"]))
    return tuple(polygons), tuple(circles)


def chinese_warning(warning: EarlyWarning, *, sent: datetime) -> ChineseWarning:
    """Return the CAP-library view of a warning as it stands (第64条 fields, zh and en)."""
    template = rules().templates.get(warning.hazard_type)
    category = Category(template.cap_category) if template else Category.SAFETY
    polygons, circles = _shapes(warning)
    english = None
    if warning.event_en and warning.description_en and warning.instruction_en:
        english = EnglishText(
            event=warning.event_en,
            sender_name=warning.sender_name_en or warning.sender_name,
            description=warning.description_en,
            instruction=warning.instruction_en,
            area_desc=warning.area_desc,
        )
    return ChineseWarning(
        category=(category,),
        event=warning.event,
        level=warning.level,
        onset=warning.onset,
        expires=warning.expires,
        area_desc=warning.area_desc,
        description=warning.description,
        instruction=warning.instruction,
        sender_name=warning.sender_name,
        sent=sent,
        polygons=polygons,
        circles=circles,
        region_codes=tuple(warning.area_region_codes),
        en=english,
    )


def publish_message(
    session: Session,
    *,
    warning: EarlyWarning,
    msg_type: MsgType,
    at: datetime,
    settings: Settings,
    note: str | None = None,
    all_clear: bool = False,
) -> WarningMessage:
    """Build, sign and store the CAP message of a warning's current version."""
    earlier = list(
        session.scalars(
            select(WarningMessage)
            .where(WarningMessage.warning_id == warning.id)
            .order_by(WarningMessage.sent, WarningMessage.created_at)
        )
    )
    identifier = next_identifier(session, warning=warning, at=at, org=settings.cap_org_code)
    references = tuple(Reference(m.sender, m.identifier, m.sent) for m in earlier)
    view = chinese_warning(warning, sent=at)
    if all_clear:
        view = dataclasses.replace(view, response_type=(ResponseType.ALL_CLEAR,))
    alert = cn_alert(
        view,
        identifier=identifier,
        sender=settings.cap_sender,
        msg_type=msg_type,
        references=references,
        note=note,
    )
    xml, signed = to_xml(alert), False
    if settings.cap_signing_key_file and settings.cap_signing_cert_file:
        password = settings.cap_signing_key_password
        xml = sign_alert(
            xml,
            key_pem=settings.cap_signing_key_file.read_bytes(),
            cert_pem=settings.cap_signing_cert_file.read_bytes(),
            password=password.get_secret_value().encode() if password else None,
        )
        signed = True
    message = WarningMessage(
        warning_id=warning.id, sender=settings.cap_sender, identifier=identifier,
        msg_type=msg_type.value, sent=at, xml=xml.decode("utf-8"), signed=signed,
        references=" ".join(f"{r.sender},{r.identifier}" for r in references) or None,
        version=warning.version,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message


def area_geometry(shapes: list[dict[str, Any]]) -> Any | None:
    """Return one shapely geometry of a warning's drawn shapes (circles as geodesic polygons)."""
    parts = []
    for shape in shapes:
        if shape["type"] == "polygon":
            parts.append(shapely.Polygon(shape["coordinates"]))
        else:
            lon, lat = shape["center"]
            parts.append(_circle(float(lon), float(lat), float(shape["radius_km"])))
    return shapely.union_all(parts) if parts else None


def _circle(lon: float, lat: float, radius_km: float, points: int = 72) -> Any:
    """Return a circle on the WGS-84 sphere approximated by a polygon (great-circle offsets)."""
    earth_km = 6371.0088
    angular = radius_km / earth_km
    phi1, lam1 = math.radians(lat), math.radians(lon)
    ring = []
    for k in range(points):
        bearing = 2 * math.pi * k / points
        phi2 = math.asin(
            math.sin(phi1) * math.cos(angular)
            + math.cos(phi1) * math.sin(angular) * math.cos(bearing)
        )
        lam2 = lam1 + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(phi1),
            math.cos(angular) - math.sin(phi1) * math.sin(phi2),
        )
        ring.append((math.degrees(lam2), math.degrees(phi2)))
    return shapely.Polygon(ring)


def feed_xml(session: Session, *, settings: Settings, now: datetime) -> bytes:
    """Return the Atom feed of the warnings in force, each linking its latest CAP message."""
    warnings = session.scalars(
        select(EarlyWarning).where(EarlyWarning.status == "issued").order_by(EarlyWarning.onset)
    ).all()
    latest: dict[str, WarningMessage] = {}
    for message in session.scalars(
        select(WarningMessage)
        .where(WarningMessage.warning_id.in_([w.id for w in warnings]))
        .order_by(WarningMessage.sent)
    ):
        latest[str(message.warning_id)] = message
    alerts = [parse_alert(m.xml.encode("utf-8")) for m in latest.values()]
    by_identifier = {m.identifier: m for m in latest.values()}
    base = settings.public_base_url.rstrip("/")
    return atom_feed(
        alerts,
        feed_id=f"{base}/api/public/warnings/feed",
        title=f"{settings.cap_sender_name} 预警信息 / Warnings",
        self_url=f"{base}/api/public/warnings/feed",
        alert_url=lambda alert: (
            f"{base}/api/public/warnings/cap/{by_identifier[alert.identifier].id}"
        ),
        author=settings.cap_sender_name,
        updated=now,
    )
