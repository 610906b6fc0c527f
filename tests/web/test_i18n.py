"""Translations: every message has Chinese, pages show no stray English, negotiation order."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.requests import Request

from tests.factories.orgs import make_org, make_person, make_responsibility
from tests.web.conftest import LoggedIn, log_in, nav_paths
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role
from yingji.core.i18n import (
    LANG_COOKIE,
    TRANSLATIONS_DIR,
    get_translations,
    jinja_environment,
    negotiate,
    normalise,
    parse_accept_language,
)
from yingji.orgs.schemas import OrgKind
from yingji.web._render import TEMPLATE_DIR

WEB_DIR = Path(__file__).resolve().parents[2] / "src" / "yingji" / "web"
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
# Text a Chinese page may show in Latin letters: the product's name and the other language's
# name on the language switch. User names are removed before the check.
_ALLOWED_LATIN = {"yingji", "English", "Leaflet"}


def _extracted() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    found = extract_from_dir(str(WEB_DIR), method_map=method_map, options_map=options)
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in found:
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalog(locale: str) -> Catalog:
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_every_message_has_a_chinese_translation() -> None:
    extracted = _extracted()
    assert "Log in" in extracted and "Organisations & people" in extracted  # templates and .py
    catalog = _catalog("zh_CN")
    problems = []
    for msgid in sorted(extracted):
        message = catalog.get(msgid)
        if message is None or not message.string:
            problems.append(f"missing: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif set(_PLACEHOLDER.findall(msgid)) != set(_PLACEHOLDER.findall(str(message.string))):
            problems.append(f"placeholders differ: {msgid!r}")
    assert problems == []


def test_catalogs_hold_no_stale_messages() -> None:
    extracted = _extracted()
    for locale in ("zh_CN", "en"):
        ids = {m.id for m in _catalog(locale) if m.id}
        assert ids == extracted, locale


def test_english_falls_back_to_the_message_id() -> None:
    catalog = _catalog("en")
    assert all(m.string in ("", m.id) for m in catalog if m.id)
    assert get_translations("en").gettext("Map") == "Map"
    assert get_translations("zh_CN").gettext("Map") == "一张图"
    assert get_translations("fr").gettext("Map") == "一张图"  # unknown: the default locale


def test_catalogs_are_compiled_once_per_locale() -> None:
    assert get_translations("zh_CN") is get_translations("zh_CN")
    zh = jinja_environment(TEMPLATE_DIR, "zh_CN")
    en = jinja_environment(TEMPLATE_DIR, "en")
    assert zh is jinja_environment(TEMPLATE_DIR, "zh_CN") and zh is not en
    template = '{{ _("Welcome, %(name)s", name=who) }}'
    assert zh.from_string(template).render(who="<b>") == "欢迎，&lt;b&gt;"
    assert en.from_string(template).render(who="李四") == "Welcome, 李四"


class _VisibleText(HTMLParser):
    """Collect the text a reader sees: text nodes and labelling attributes, not scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "alt", "placeholder", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _latin_words(html: str, user: User) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    words = []
    for text in parser.texts:
        for known in (user.display_name, user.username):
            text = text.replace(known, "")
        words += [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in _ALLOWED_LATIN]
    return words


def test_chinese_pages_show_no_untranslated_english(
    client: TestClient, logged_in: LoggedIn
) -> None:
    user = logged_in(role=Role.ADMIN)
    home = client.get("/")
    pages = {"/": home.text}
    for path in nav_paths(home.text):
        pages[path] = client.get(path).text
    pages["/lang (error)"] = client.post("/lang", data={"language": "xx"}).text
    client.cookies.clear()
    pages["/login"] = client.get("/login").text
    pages["/login (error)"] = log_in(client, user.username, password="wrong password!").text
    found = {path: _latin_words(html, user) for path, html in pages.items()}
    assert {path: words for path, words in found.items() if words} == {}
    # The check itself sees English when there is some.
    assert _latin_words("<p>Log in</p><b title='Menu'>x</b>", user) == ["Log", "in", "Menu"]


def test_module_pages_show_no_untranslated_english(
    session: Session, client: TestClient, logged_in: LoggedIn
) -> None:
    unit = make_org(session, kind=OrgKind.RESCUE_TEAM, name="西陵救援队", headcount=8)
    person = make_person(session, name="张三", organisation_id=unit.id, mobile="13812345678")
    make_responsibility(session, person_id=person.id, title="区防汛责任人")
    session.commit()
    user = logged_in(role=Role.ADMIN)
    paths = ["/orgs", f"/orgs/{unit.id}", "/orgs/new", "/persons", "/responsibilities", "/admin"]
    paths += ["/orgs?kind=enterprise", f"/orgs/{uuid.uuid4()}"]
    found = {path: _latin_words(client.get(path).text, user) for path in paths}
    assert {path: words for path, words in found.items() if words} == {}


def _request(headers: dict[str, str], *, state_language: str | None = None) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "state": {"user_language": state_language} if state_language else {},
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("headers", "user_language", "expected"),
    [
        ({}, None, "zh_CN"),
        ({"Accept-Language": "en-GB,en;q=0.8"}, None, "en"),
        ({"Accept-Language": "fr-FR, de;q=0.9, en;q=0.5"}, None, "en"),
        ({"Accept-Language": "en;q=0.3, zh-TW;q=0.9"}, None, "zh_CN"),
        ({"Accept-Language": "fr, de"}, None, "zh_CN"),
        ({"Accept-Language": "en;q=0, *;q=0.5"}, None, "zh_CN"),
        ({"Accept-Language": "en", "Cookie": f"{LANG_COOKIE}=zh_CN"}, None, "zh_CN"),
        ({"Cookie": f"{LANG_COOKIE}=en"}, None, "en"),
        ({"Cookie": f"{LANG_COOKIE}=klingon", "Accept-Language": "en"}, None, "en"),
        ({"Cookie": f"{LANG_COOKIE}=zh_CN", "Accept-Language": "zh"}, "en", "en"),
        ({"Accept-Language": "en"}, "zh_CN", "zh_CN"),
    ],
)
def test_negotiation_order(
    headers: dict[str, str], user_language: str | None, expected: str
) -> None:
    request = _request(headers, state_language=user_language)
    assert negotiate(request, default="zh_CN") == expected


def test_negotiation_falls_back_to_the_configured_default() -> None:
    assert negotiate(_request({}), default="en") == "en"
    assert negotiate(_request({}), default="nonsense") == "zh_CN"


def test_language_tags_are_normalised_and_ranked() -> None:
    assert normalise("zh-Hans-CN") == "zh_CN" and normalise("EN-us") == "en"
    assert normalise("de") is None and normalise("") is None and normalise(None) is None
    assert parse_accept_language("da, en-gb;q=0.8, en;q=0.7") == ["da", "en-gb", "en"]
    assert parse_accept_language("en;q=abc, zh;q=0.5, ;;, *") == ["zh"]
