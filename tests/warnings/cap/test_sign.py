"""Signing our exports, verifying them, and telling trusted signers from any signer."""

from __future__ import annotations

import pytest
from cryptography import x509
from lxml import etree

from tests.warnings.cap.factories import alert, key_and_cert
from yingji.warnings.cap import (
    SignatureStatus,
    check,
    fingerprint,
    load_certificates,
    parse_alert,
    read_alert,
    sign_alert,
    to_xml,
)

DS = "{http://www.w3.org/2000/09/xmldsig#}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


@pytest.fixture(scope="module")
def ec_pair() -> tuple[bytes, bytes]:
    return key_and_cert("ec")


@pytest.fixture(scope="module")
def signed(ec_pair: tuple[bytes, bytes]) -> bytes:
    key, cert = ec_pair
    return sign_alert(to_xml(alert()), key_pem=key, cert_pem=cert)


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_signed_export_round_trips(kind: str) -> None:
    key, cert_pem = key_and_cert(kind)
    built = alert()
    signed = sign_alert(to_xml(built), key_pem=key, cert_pem=cert_pem)
    cert = x509.load_pem_x509_certificate(cert_pem)
    # Still valid against the OASIS schema (ds:Signature is allowed last in alert) …
    got, report = read_alert(signed, trusted=[cert], require_trusted=True)
    assert report.errors == ()
    # … verifies as a trusted signature, and reads back as the same alert.
    assert report.signature.status is SignatureStatus.VALID_TRUSTED
    assert report.signature.fingerprint_sha256 == fingerprint(cert)
    assert not report.signature.whitespace_normalised
    assert got == built
    root = etree.fromstring(signed)
    assert root[-1].tag == f"{DS}Signature"


def test_valid_but_untrusted_is_distinguished(signed: bytes) -> None:
    report = check(signed)
    assert report.ok
    assert report.signature.status is SignatureStatus.VALID_UNTRUSTED
    assert report.signature.valid and not report.signature.trusted
    assert any("not among the trusted certificates" in note for note in report.notes)
    # A different pinned certificate does not make it trusted …
    _, other_cert = key_and_cert("ec", name="someone-else")
    report = check(signed, trusted=load_certificates([other_cert]))
    assert report.signature.status is SignatureStatus.VALID_UNTRUSTED
    # … and requiring a trusted signer turns that into an error.
    errors = check(signed, trusted=load_certificates([other_cert]), require_trusted=True).errors
    assert [e.path for e in errors] == ["alert/Signature"]
    assert "not among the trusted certificates" in errors[0].reason


def test_self_signed_impostor_is_not_trusted(signed: bytes, ec_pair: tuple[bytes, bytes]) -> None:
    """Anyone can make a certificate with our name: only the pinned one is trusted."""
    impostor_key, impostor_cert = key_and_cert("ec", name="yichang-yjj")
    forged = sign_alert(to_xml(alert()), key_pem=impostor_key, cert_pem=impostor_cert)
    trusted = load_certificates([ec_pair[1]])
    assert check(signed, trusted=trusted).signature.trusted
    report = check(forged, trusted=trusted)
    assert report.signature.status is SignatureStatus.VALID_UNTRUSTED


def test_tampered_content_is_detected(signed: bytes) -> None:
    root = etree.fromstring(signed)
    root.find(f"{CAP}info/{CAP}headline").text = "宜昌市应急管理局解除全部预警"
    report = check(etree.tostring(root))
    assert report.signature.status is SignatureStatus.INVALID
    assert [e.path for e in report.errors] == ["alert/Signature"]
    assert "changed after signing" in report.errors[0].reason
    with pytest.raises(ValueError):
        parse_alert(etree.tostring(root))


def test_tampered_signature_value_is_detected(signed: bytes) -> None:
    root = etree.fromstring(signed)
    value = root.find(f"{DS}Signature/{DS}SignatureValue")
    raw = bytearray(value.text.encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    value.text = raw.decode()
    report = check(etree.tostring(root))
    assert report.signature.status is SignatureStatus.INVALID
    assert "does not verify" in (report.signature.reason or "")


def test_signature_covering_part_of_the_alert_is_refused(signed: bytes) -> None:
    root = etree.fromstring(signed)
    root.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference").set("URI", "#info")
    report = check(etree.tostring(root))
    assert report.signature.status is SignatureStatus.INVALID
    assert 'URI=""' in (report.signature.reason or "")


def test_signature_elsewhere_than_alert_is_refused(signed: bytes) -> None:
    root = etree.fromstring(signed)
    signature = root.find(f"{DS}Signature")
    root.find(f"{CAP}info/{CAP}area").append(signature)
    report = check(etree.tostring(root))
    assert report.signature.status is SignatureStatus.INVALID
    assert "must be a child of alert" in (report.signature.reason or "")


def test_reindented_after_signing_still_verifies_and_says_so(ec_pair: tuple[bytes, bytes]) -> None:
    key, cert = ec_pair
    compact = sign_alert(to_xml(alert(), pretty=False), key_pem=key, cert_pem=cert)
    root = etree.fromstring(compact)
    etree.indent(root)
    report = check(etree.tostring(root))
    assert report.signature.status is SignatureStatus.VALID_UNTRUSTED
    assert report.signature.whitespace_normalised
    assert any("whitespace" in note for note in report.notes)


def test_unsigned_message_passes_unless_a_signature_is_required() -> None:
    xml = to_xml(alert())
    assert check(xml).signature.status is SignatureStatus.ABSENT
    assert check(xml).ok
    errors = check(xml, require_signature=True).errors
    assert [e.path for e in errors] == ["alert/Signature"]
    assert "has none" in errors[0].reason


def test_signing_refuses_a_foreign_certificate_and_double_signing(
    signed: bytes, ec_pair: tuple[bytes, bytes]
) -> None:
    _, other_cert = key_and_cert("ec", name="other")
    with pytest.raises(ValueError, match="does not belong"):
        sign_alert(to_xml(alert()), key_pem=ec_pair[0], cert_pem=other_cert)
    with pytest.raises(ValueError, match="already signed"):
        sign_alert(signed, key_pem=ec_pair[0], cert_pem=ec_pair[1])


def test_damaged_signatures_are_invalid_never_a_crash(signed: bytes) -> None:
    count = len(list(etree.fromstring(signed).find(f"{DS}Signature").iter()))
    for index in range(1, count):
        for mode in ("remove", "empty"):
            root = etree.fromstring(signed)
            element = list(root.find(f"{DS}Signature").iter())[index]
            if mode == "remove":
                element.getparent().remove(element)
            elif element.text and element.text.strip():
                element.text = None
            else:
                continue  # emptying a container changes nothing that is signed
            report = check(etree.tostring(root))
            assert report.signature.status is SignatureStatus.INVALID, (index, mode)
            assert report.signature.reason


def test_empty_signature_value_is_named(signed: bytes) -> None:
    root = etree.fromstring(signed)
    root.find(f"{DS}Signature/{DS}SignatureValue").text = None
    report = check(etree.tostring(root))
    assert report.signature.reason == "SignatureValue is missing or empty"
