"""Enveloped XML signatures of CAP alerts (signxml), and how far a signature is trusted.

Trust model. A CAP signature carries its signer's certificate in ``KeyInfo/X509Data``. We
verify the signature cryptographically with *that* certificate's key, and separately tell
whether that exact certificate is one the deployment trusts: trust is pinning by SHA-256
fingerprint of the certificate, with no CA chain, revocation or network look-up (yingji runs on
isolated networks, and issuing bodies exchange certificates out of band). So the outcome is one
of ABSENT, INVALID, VALID_UNTRUSTED (anyone could have made it: a self-signed certificate
verifies too) and VALID_TRUSTED. The certificate's validity period is reported, not enforced:
an archived alert stays verifiable after its certificate expires, and the dates are shown.

Whitespace. XML-DSig signs the exact text, but some issuers re-indent a message after signing
(the Seychelles sample among them; WMO's capvalidator therefore verifies with blank text
removed). If the exact document fails, we retry once with whitespace-only text between elements
removed (element content is untouched) and say so in the report.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)
from lxml import etree  # type: ignore[import-untyped]
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidDigest, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from yingji.warnings.cap._xml import DS_NS, MAX_BYTES, element_path, load, q

__all__ = [
    "SignatureReport",
    "SignatureStatus",
    "fingerprint",
    "load_certificates",
    "sign_alert",
    "verify_signature",
]


class SignatureStatus(StrEnum):
    """What a message's signature proves."""

    ABSENT = "absent"
    INVALID = "invalid"
    VALID_UNTRUSTED = "valid-untrusted"  # verifies, but the signer is not a configured one
    VALID_TRUSTED = "valid-trusted"  # verifies, and the certificate is pinned as trusted


@dataclass(frozen=True)
class SignatureReport:
    """The outcome of checking a message's signature."""

    status: SignatureStatus
    reason: str | None = None  # why INVALID
    subject: str | None = None
    fingerprint_sha256: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    whitespace_normalised: bool = False

    @property
    def valid(self) -> bool:
        """Tell whether the signature verifies (trusted or not)."""
        return self.status in (SignatureStatus.VALID_TRUSTED, SignatureStatus.VALID_UNTRUSTED)

    @property
    def trusted(self) -> bool:
        """Tell whether the signature verifies and its certificate is a trusted one."""
        return self.status is SignatureStatus.VALID_TRUSTED


def fingerprint(cert: x509.Certificate) -> str:
    """Return a certificate's SHA-256 fingerprint as ``AB:CD:…`` (what ``openssl x509`` shows)."""
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def load_certificates(pems: Iterable[bytes]) -> tuple[x509.Certificate, ...]:
    """Read trusted certificates from PEM texts (each may hold several).

    Raises:
        ValueError: a text holds no readable certificate.
    """
    certs: list[x509.Certificate] = []
    for pem in pems:
        certs.extend(x509.load_pem_x509_certificates(pem))
    return tuple(certs)


def sign_alert(
    xml: bytes, *, key_pem: bytes, cert_pem: bytes, password: bytes | None = None
) -> bytes:
    """Return the alert with an enveloped signature over all of it (ECDSA or RSA, SHA-256).

    The ``ds:Signature`` becomes the last child of ``alert``, where the CAP 1.2 schema allows it.

    Raises:
        ValueError: the key is not EC or RSA, does not match the certificate, or the alert is
            already signed.
    """
    root = load(xml, max_bytes=max(MAX_BYTES, len(xml))).getroot()
    if root.find(q("Signature", DS_NS)) is not None:
        raise ValueError("the alert is already signed")
    key = load_pem_private_key(key_pem, password=password)
    cert = x509.load_pem_x509_certificate(cert_pem)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        method = SignatureMethod.ECDSA_SHA256
    elif isinstance(key, rsa.RSAPrivateKey):
        method = SignatureMethod.RSA_SHA256
    else:
        raise ValueError("the signing key must be an EC or RSA private key")
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise ValueError("the certificate does not belong to the signing key")
    signer = XMLSigner(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_1,
    )
    signed = signer.sign(root, key=key, cert=[cert])
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def verify_signature(root: Any, *, trusted: Sequence[x509.Certificate] = ()) -> SignatureReport:
    """Check the signature of a parsed ``alert`` element (``_xml.load(...).getroot()``).

    The signer is the first ``X509Certificate`` of ``KeyInfo/X509Data``; further certificates
    (a chain) are not used, since trust is by pinning (see the module docstring).
    """
    signatures = list(root.iter(q("Signature", DS_NS)))
    if not signatures:
        return SignatureReport(SignatureStatus.ABSENT)
    if len(signatures) > 1:
        return _invalid(f"{len(signatures)} Signature elements: one enveloped signature expected")
    signature = signatures[0]
    if signature.getparent() is not root:
        return _invalid(f"the Signature at {element_path(signature)} must be a child of alert")
    problem = _structure_problem(signature)
    if problem:
        return _invalid(problem)
    cert_text = signature.findtext(
        f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate"
    )
    if cert_text is None:
        return _invalid("no KeyInfo/X509Data/X509Certificate: the signer cannot be identified")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_text.split())))
    except (ValueError, binascii.Error) as exc:
        return _invalid(f"the X509Certificate cannot be read: {exc}")
    try:
        subject = cert.subject.rfc4514_string()
    except ValueError:
        subject = "<unreadable subject>"
    described: dict[str, Any] = {
        "subject": subject,
        "fingerprint_sha256": fingerprint(cert),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
    }
    document = etree.tostring(root)
    failure = _verify(document, cert)
    normalised = False
    if isinstance(failure, InvalidSignature):
        compact = load(document, max_bytes=len(document), remove_blank_text=True).getroot()
        if _verify(etree.tostring(compact), cert) is None:
            failure, normalised = None, True
    if failure is not None:
        return SignatureReport(SignatureStatus.INVALID, reason=_explain(failure), **described)
    pinned = {fingerprint(t) for t in trusted}
    status = (
        SignatureStatus.VALID_TRUSTED
        if described["fingerprint_sha256"] in pinned
        else SignatureStatus.VALID_UNTRUSTED
    )
    return SignatureReport(status, whitespace_normalised=normalised, **described)


def _verify(document: bytes, cert: x509.Certificate) -> Exception | None:
    """Verify with the given certificate's key; return the failure, or None."""
    # The certificate's dates are reported by the caller, not enforced here: signxml refuses
    # an expired certificate, so it is asked to check as of the certificate's first valid day.
    config = SignatureConfiguration(
        location="./", expect_references=1, verification_time=cert.not_valid_before_utc
    )
    try:
        XMLVerifier().verify(document, x509_cert=cert, expect_config=config)
    except Exception as exc:  # hostile input: any failure at all means "does not verify"
        return exc
    return None


def _structure_problem(signature: Any) -> str | None:
    """Refuse signatures that cover less than the whole alert or carry altered base64."""
    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        return 'the signature must have one Reference with URI="" (the whole alert)'
    # base64 has spare bits in its last character; decoders ignore them, so changing them
    # alters the text but not the bytes. A signed message is never written that way.
    for name, el in (
        ("SignatureValue", signature.find(f"{{{DS_NS}}}SignatureValue")),
        ("DigestValue", references[0].find(f"{{{DS_NS}}}DigestValue")),
    ):
        text = "".join((el.text or "").split()) if el is not None else ""
        if not text:
            return f"{name} is missing or empty"
        try:
            canonical = base64.b64encode(base64.b64decode(text, validate=True)).decode()
        except binascii.Error:
            return f"{name} is not base64"
        if canonical != text:
            return f"{name} is not canonical base64 (its padding bits were changed): it was altered"
    return None


def _explain(exc: Exception) -> str:
    """Say in a line why verification failed."""
    if isinstance(exc, InvalidDigest):
        return "the alert's content does not match the signed digest: it was changed after signing"
    if isinstance(exc, InvalidSignature) and "Signature verification failed" in str(exc):
        return "the SignatureValue does not verify with the certificate's key: altered or forged"
    return f"the signature cannot be verified: {str(exc) or type(exc).__name__}"


def _invalid(reason: str) -> SignatureReport:
    """Return an INVALID report for a structural problem."""
    return SignatureReport(SignatureStatus.INVALID, reason=reason)


def _spki(public_key: Any) -> bytes:
    """Return a public key's DER SubjectPublicKeyInfo, to compare keys."""
    return bytes(public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
