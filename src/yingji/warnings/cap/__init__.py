"""CAP 1.2 (OASIS Common Alerting Protocol) for yingji's warnings: pure, no database.

Build an alert (``cn_alert`` from the fields of 突发事件应对法 第64条, or the dataclasses of
``model``), export it (``to_xml``), sign it (``sign_alert``), validate any message (``check``,
``validate``), read one safely (``parse_alert``, ``read_alert``) and publish active alerts as
an Atom feed (``atom_feed``). Identifiers follow GB/T 35965.1 (``make_identifier``).
"""

from yingji.warnings.cap.build import to_xml
from yingji.warnings.cap.cn import (
    ChineseWarning,
    EnglishText,
    LevelInfo,
    cn_alert,
    cn_infos,
    level_info,
    level_of_severity,
)
from yingji.warnings.cap.errors import CapError, CapInvalid
from yingji.warnings.cap.feed import atom_feed
from yingji.warnings.cap.identifier import (
    IdentifierError,
    WarningIdentifier,
    make_identifier,
    parse_identifier,
)
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
from yingji.warnings.cap.parse import parse_alert, read_alert
from yingji.warnings.cap.sign import (
    SignatureReport,
    SignatureStatus,
    fingerprint,
    load_certificates,
    sign_alert,
    verify_signature,
)
from yingji.warnings.cap.validate import CapReport, check, validate

__all__ = [
    "Alert",
    "Area",
    "CapError",
    "CapInvalid",
    "CapReport",
    "Category",
    "Certainty",
    "ChineseWarning",
    "Circle",
    "EnglishText",
    "EventCode",
    "Geocode",
    "IdentifierError",
    "Info",
    "LevelInfo",
    "MsgType",
    "Parameter",
    "Point",
    "Reference",
    "Resource",
    "ResponseType",
    "Scope",
    "Severity",
    "SignatureReport",
    "SignatureStatus",
    "Status",
    "Urgency",
    "WarningIdentifier",
    "atom_feed",
    "check",
    "cn_alert",
    "cn_infos",
    "fingerprint",
    "level_info",
    "level_of_severity",
    "load_certificates",
    "make_identifier",
    "parse_alert",
    "parse_identifier",
    "read_alert",
    "sign_alert",
    "to_xml",
    "validate",
    "verify_signature",
]
