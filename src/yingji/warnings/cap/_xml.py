"""Safe XML loading and element paths, shared by parsing, validation and signing.

Messages come from outside (other agencies' feeds, uploads), so loading refuses every XML
feature that reaches beyond the bytes given: DTDs (and with them every entity, internal or
external), network and file access, XInclude. A stdlib expat pass through defusedxml refuses
a DOCTYPE as soon as it starts, before any declaration in it is read; lxml then builds the
tree with entity resolution, DTD loading and network access all off, and a resolver that
refuses anything that would still be fetched.
"""

from __future__ import annotations

import codecs
import re
from typing import Any
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import (  # type: ignore[import-untyped]
    ParseError,
)
from defusedxml.ElementTree import (
    fromstring as defused_fromstring,
)
from lxml import etree  # type: ignore[import-untyped]

from yingji.warnings.cap.errors import CapError, CapInvalid

__all__ = ["CAP11_NS", "CAP12_NS", "DS_NS", "MAX_BYTES", "element_path", "load", "q", "text_of"]

CAP12_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11_NS = "urn:oasis:names:tc:emergency:cap:1.1"
CAP10_NS = "http://www.incident.com/cap/1.0"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XINCLUDE_NS = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

# A CAP message is a few kilobytes; embedded resources (derefUri, base64) make it bigger. 2 MiB
# leaves room for those and keeps a hostile upload from costing much.
MAX_BYTES = 2 * 1024 * 1024

# An XML declaration naming its encoding, in an ASCII-compatible encoding (UTF-16 has a BOM).
_DECLARATION = re.compile(
    rb"\s*<\?xml\s[^>]*?encoding\s*=\s*[\"'](?P<name>[A-Za-z][A-Za-z0-9._-]*)[\"']"
)
# What expat reads itself; anything else is transcoded first.
_EXPAT_ENCODINGS = frozenset(
    ("utf-8", "utf8", "utf-16", "utf16", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii")
)

_REFUSED = {
    "DTDForbidden": "a DOCTYPE (DTD)",
    "EntitiesForbidden": "an entity declaration",
    "ExternalReferenceForbidden": "an external reference",
}

# Elements CAP lets repeat: their paths carry an index, e.g. alert/info[1]/area[0].
_REPEATED = frozenset(
    (
        *("code", "info", "category", "responseType", "eventCode", "parameter", "resource"),
        *("area", "polygon", "circle", "geocode"),
    )
)


class _RefuseAll(etree.Resolver):  # type: ignore[misc]
    """Resolve nothing: any external DTD, entity or document is refused, not fetched."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        raise etree.XMLSyntaxError(f"external resource refused: {system_url!r}", 0, 0, 0)


def _parser(*, remove_blank_text: bool = False) -> Any:
    """Return a new hardened lxml parser (parsers are not thread-safe, so one per call)."""
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=remove_blank_text,
    )
    parser.resolvers.add(_RefuseAll())
    return parser


def load(data: bytes, *, max_bytes: int = MAX_BYTES, remove_blank_text: bool = False) -> Any:
    """Parse untrusted bytes into an lxml ElementTree, or raise CapInvalid saying why not."""
    if not isinstance(data, bytes):
        raise CapInvalid([CapError("document", "a CAP message must be given as bytes")])
    if len(data) > max_bytes:
        reason = f"the message is {len(data)} bytes, more than the limit of {max_bytes}"
        raise CapInvalid([CapError("document", reason)])
    data = _as_utf8(data)
    try:
        # forbid_dtd: the DOCTYPE handler raises before the internal subset is read, so no
        # entity (internal, external or parameter) is ever declared, let alone expanded.
        defused_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        what = _REFUSED.get(type(exc).__name__, "an XML feature that reaches outside the message")
        reason = f"refused: the message has {what}; CAP messages must not use DTDs or entities"
        raise CapInvalid([CapError("document", reason)]) from None
    except (ParseError, ExpatError, ValueError) as exc:
        raise CapInvalid([CapError("document", f"not well-formed XML: {exc}")]) from None
    try:
        root = etree.fromstring(data, parser=_parser(remove_blank_text=remove_blank_text))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise CapInvalid([CapError("document", f"not well-formed XML: {exc}")]) from None
    tree = root.getroottree()
    # Belt and braces: the expat pass already refused these.
    if tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        raise CapInvalid([CapError("document", "refused: a DTD is not allowed")])
    for node in root.iter(etree.Entity):
        raise CapInvalid([CapError(element_path(node.getparent()), "refused: entity reference")])
    for element in root.iter(*(f"{{{ns}}}include" for ns in XINCLUDE_NS)):
        raise CapInvalid([CapError(element_path(element), "refused: XInclude is not allowed")])
    return tree


def _as_utf8(data: bytes) -> bytes:
    """Transcode a message declared in another encoding (GB2312, GBK, GB18030…) to UTF-8.

    Chinese feeds still send GB encodings, which expat cannot read; both parsers then see the
    same UTF-8 text. Signatures are unaffected: canonical XML is UTF-8 whatever the input was.
    """
    declared = _DECLARATION.match(data)
    if declared is None:
        return data
    name = declared.group("name").decode("ascii")
    if name.lower().replace("_", "-") in _EXPAT_ENCODINGS:
        return data
    try:
        text = data.decode(codecs.lookup(name).name)
    except LookupError:
        raise CapInvalid([CapError("document", f"unknown encoding {name!r}")]) from None
    except UnicodeDecodeError as exc:
        reason = f"not valid {name} at byte {exc.start}"
        raise CapInvalid([CapError("document", reason)]) from None
    start, end = declared.span("name")
    return (text[:start] + "UTF-8" + text[end:]).encode("utf-8")


def q(name: str, ns: str = CAP12_NS) -> str:
    """Return the Clark name ``{ns}name`` of a CAP 1.2 element."""
    return f"{{{ns}}}{name}"


def local_name(element: Any) -> str:
    """Return an element's name without its namespace."""
    return str(etree.QName(element).localname)


def element_path(element: Any) -> str:
    """Name an element like ``alert/info[1]/area[0]/polygon[0]`` (indices from 0)."""
    steps: list[str] = []
    node = element
    while node is not None and isinstance(node.tag, str):
        name = local_name(node)
        parent = node.getparent()
        if name in _REPEATED and parent is not None:
            name = f"{name}[{_same_named_before(node)}]"
        steps.append(name)
        node = parent
    return "/".join(reversed(steps)) or "document"


def _same_named_before(node: Any) -> int:
    """Count the earlier siblings with the same name: the element's index among them."""
    count, sibling = 0, node.getprevious()
    while sibling is not None:
        count += sibling.tag == node.tag
        sibling = sibling.getprevious()
    return count


def text_of(element: Any) -> str:
    """Return an element's text, '' when empty."""
    return str(element.text or "")
