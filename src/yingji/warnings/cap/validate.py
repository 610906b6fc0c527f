"""Validate CAP messages: the OASIS schema, the §3 rules it cannot express, the signature.

Every finding is a ``CapError`` naming the element. CAP 1.1 (and 1.0) messages are refused with
one clear error rather than half-checked against the 1.2 schema: yingji exchanges CAP 1.2 only.
The optional ``profile="cn"`` adds the fields 突发事件应对法 第64条第二款 requires of a 警报.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, Literal

from cryptography import x509
from lxml import etree  # type: ignore[import-untyped]

from yingji.warnings.cap._time import format_time, parse_time
from yingji.warnings.cap._xml import (
    CAP10_NS,
    CAP11_NS,
    CAP12_NS,
    MAX_BYTES,
    element_path,
    load,
    local_name,
    q,
)
from yingji.warnings.cap.cn import article64_errors
from yingji.warnings.cap.errors import CapError, CapInvalid
from yingji.warnings.cap.rules import check_rules
from yingji.warnings.cap.sign import SignatureReport, SignatureStatus, verify_signature

__all__ = ["CapReport", "check", "check_tree", "validate"]

Profile = Literal["cn"]

# The children CAP 1.2 requires, per element: a schema "not expected" error names the first one
# missing instead of the element found in its place.
_REQUIRED = {
    "alert": ("identifier", "sender", "sent", "status", "msgType", "scope"),
    "info": ("category", "event", "urgency", "severity", "certainty"),
    "area": ("areaDesc",),
    "resource": ("resourceDesc", "mimeType"),
    "eventCode": ("valueName", "value"),
    "parameter": ("valueName", "value"),
    "geocode": ("valueName", "value"),
}
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")
_CLARK = re.compile(r"\{[^}'\s]*\}")  # a namespace, not an enumeration set


@dataclass(frozen=True)
class CapReport:
    """Everything validation found: errors (empty when valid), notes and the signature."""

    errors: tuple[CapError, ...]
    signature: SignatureReport = field(
        default_factory=lambda: SignatureReport(SignatureStatus.ABSENT)
    )
    notes: tuple[str, ...] = ()
    version: str | None = None  # "1.2", "1.1", "1.0" or None when unknown

    @property
    def ok(self) -> bool:
        """Tell whether the message is valid."""
        return not self.errors


def check(
    data: bytes,
    *,
    trusted: Sequence[x509.Certificate] = (),
    require_signature: bool = False,
    require_trusted: bool = False,
    profile: Profile | None = None,
    max_bytes: int = MAX_BYTES,
) -> CapReport:
    """Validate message bytes; never raises for a bad message, the report says what is wrong.

    ``trusted`` are the pinned signer certificates; ``require_trusted`` makes a signature that
    verifies but comes from another certificate an error (it implies ``require_signature``).
    """
    try:
        tree = load(data, max_bytes=max_bytes)
    except CapInvalid as exc:
        return CapReport(errors=exc.errors)
    return check_tree(
        tree,
        trusted=trusted,
        require_signature=require_signature,
        require_trusted=require_trusted,
        profile=profile,
    )


def validate(
    data: bytes,
    *,
    trusted: Sequence[x509.Certificate] = (),
    require_signature: bool = False,
    require_trusted: bool = False,
    profile: Profile | None = None,
    max_bytes: int = MAX_BYTES,
) -> list[CapError]:
    """Return the errors of a message (empty when valid); options as for ``check``."""
    report = check(
        data,
        trusted=trusted,
        require_signature=require_signature,
        require_trusted=require_trusted,
        profile=profile,
        max_bytes=max_bytes,
    )
    return list(report.errors)


def check_tree(
    tree: Any,
    *,
    trusted: Sequence[x509.Certificate] = (),
    require_signature: bool = False,
    require_trusted: bool = False,
    profile: Profile | None = None,
) -> CapReport:
    """Validate an already safely loaded tree (``_xml.load``)."""
    root = tree.getroot()
    namespace = etree.QName(root).namespace
    if namespace in (CAP11_NS, CAP10_NS) and local_name(root) == "alert":
        version = "1.1" if namespace == CAP11_NS else "1.0"
        reason = (
            f"a CAP {version} message ({namespace}): yingji accepts CAP 1.2 only "
            f"({CAP12_NS}); ask the sender for CAP 1.2"
        )
        return CapReport(errors=(CapError("alert", reason),), version=version)
    if namespace != CAP12_NS or local_name(root) != "alert":
        reason = f"the root element is {root.tag}, not a CAP 1.2 alert ({{{CAP12_NS}}}alert)"
        return CapReport(errors=(CapError(element_path(root), reason),))
    errors = _schema_errors(tree)
    errors += check_rules(root)
    if profile == "cn":
        errors += article64_errors(root)
    signature = verify_signature(root, trusted=trusted)
    errors += _signature_errors(signature, require_signature or require_trusted, require_trusted)
    return CapReport(
        errors=tuple(errors),
        signature=signature,
        notes=tuple(_signature_notes(signature, root)),
        version="1.2",
    )


@cache
def _schema_source() -> bytes:
    """Read the OASIS CAP 1.2 schema shipped in warnings/data."""
    return resources.files("yingji.warnings").joinpath("data/CAP-v1.2.xsd").read_bytes()


_local = threading.local()


def _schema() -> Any:
    """Return this thread's compiled schema: a validator's error log is not safe to share."""
    schema = getattr(_local, "schema", None)
    if schema is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        schema = etree.XMLSchema(etree.fromstring(_schema_source(), parser=parser))
        _local.schema = schema
    return schema


def _schema_errors(tree: Any) -> list[CapError]:
    """Return the schema's findings, each named by the element it is about."""
    schema = _schema()
    if schema.validate(tree):
        return []
    return [_schema_error(_element_at(tree, e.path), e.message) for e in schema.error_log]


def _element_at(tree: Any, path: str | None) -> Any:
    """Return the element a schema error's XPath names (the root if it cannot be found)."""
    # libxml2 writes the document's own prefixes into the path (e.g. "ds:Signature").
    prefixes = {p: ns for el in tree.iter(etree.Element) for p, ns in el.nsmap.items() if p}
    try:
        found = tree.xpath(path, namespaces=prefixes) if path else []
    except etree.XPathError:
        found = []
    return found[0] if found and isinstance(found[0], etree._Element) else tree.getroot()


def _schema_error(element: Any, message: str) -> CapError:
    """Turn one schema message into an error; a missing required child is named as such."""
    text = re.sub(r"^Element '[^']*': ", "", _CLARK.sub("", message))
    if "This element is not expected" in message and element.getparent() is not None:
        missing = _missing_required(element.getparent(), message)
        if missing:
            found = local_name(element)
            return CapError(missing, f"required element is missing (found {found} in its place)")
    if "Missing child element" in message:
        missing = _missing_required(element, message)
        if missing:
            return CapError(missing, "required element is missing")
    return CapError(element_path(element), f"schema: {text}")


def _missing_required(parent: Any, message: str) -> str | None:
    """Return the path of the first required child the schema expected and the parent lacks."""
    expected = _EXPECTED.search(message)
    if expected is None:
        return None
    required = _REQUIRED.get(local_name(parent), ())
    for name in (_CLARK.sub("", n).strip() for n in expected.group(1).split(",")):
        if name in required and parent.find(q(name)) is None:
            return f"{element_path(parent)}/{name}"
    return None


def _signature_errors(
    report: SignatureReport, required: bool, trusted_only: bool
) -> list[CapError]:
    """Turn the signature outcome into errors, as far as the caller demands."""
    if report.status is SignatureStatus.INVALID:
        return [CapError("alert/Signature", f"signature invalid: {report.reason}")]
    if report.status is SignatureStatus.ABSENT and required:
        return [CapError("alert/Signature", "a signature is required and the message has none")]
    if report.status is SignatureStatus.VALID_UNTRUSTED and trusted_only:
        return [
            CapError(
                "alert/Signature",
                f"the signature verifies but its signer {report.subject} (SHA-256 "
                f"{report.fingerprint_sha256}) is not among the trusted certificates",
            )
        ]
    return []


def _signature_notes(report: SignatureReport, root: Any) -> list[str]:
    """Say what a verifying signature does and does not prove."""
    if not report.valid:
        return []
    who = f"{report.subject} (SHA-256 {report.fingerprint_sha256})"
    notes = [
        f"signature verifies; signer {who} is trusted"
        if report.trusted
        else f"signature verifies, but signer {who} is not among the trusted certificates"
    ]
    if report.whitespace_normalised:
        notes.append("the signature verifies only with whitespace between elements removed")
    if report.not_before is None or report.not_after is None:
        return notes
    span = f"{format_time(report.not_before)} … {format_time(report.not_after)}"
    try:
        sent = parse_time(root.findtext(q("sent")) or "")
    except ValueError:
        sent = None
    if sent is not None and not report.not_before <= sent <= report.not_after:
        notes.append(
            f"the signing certificate (valid {span}) was not valid when the alert was sent"
        )
    if datetime.now(UTC) > report.not_after:
        notes.append(f"the signing certificate expired on {format_time(report.not_after)}")
    return notes
