"""Translations: Babel catalogs read from .po files at run time, language negotiation, Jinja2.

Message ids are English; ``zh_CN`` (the default) translates every one, ``en`` falls back to the
id. The .po files under ``src/yingji/web/translations`` are compiled in memory on first use, so
there is no build step and no committed .mo file.

Updating the catalogs after changing a template or a ``_()``/``N_()`` call (from the repository
root; no Makefile target needed)::

    .venv/bin/pybabel extract -F src/yingji/web/babel.cfg -o /tmp/yingji.pot \\
        --no-location --sort-output src/yingji/web
    .venv/bin/pybabel update -i /tmp/yingji.pot -d src/yingji/web/translations \\
        --no-fuzzy-matching --ignore-obsolete --width=100

Then translate every new empty ``msgstr`` of ``zh_CN`` (``tests/web/test_i18n.py`` fails while one
is missing, fuzzy or stale) and leave those of ``en`` empty. A new locale starts with
``pybabel init -i /tmp/yingji.pot -d src/yingji/web/translations -l <locale>`` and an entry in
``LOCALES``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

DEFAULT_LOCALE: Final = "zh_CN"
LOCALES: Final = ("zh_CN", "en")
# What the language switch shows for each locale, in that locale's own script.
LOCALE_LABELS: Final = {"zh_CN": "中文", "en": "English"}
LANG_COOKIE: Final = "yingji_lang"
DOMAIN: Final = "messages"
TRANSLATIONS_DIR: Final = Path(__file__).resolve().parent.parent / "web" / "translations"

_LANGUAGE_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*(\S*))?\s*$"
)


def normalise(tag: str | None) -> str | None:
    """Return the supported locale a language tag asks for ("zh-Hans-CN" -> "zh_CN"), or None."""
    if not tag:
        return None
    wanted = tag.strip().replace("-", "_").lower()
    for locale in LOCALES:
        if locale.lower() == wanted:
            return locale
    # Otherwise match the language alone: any Chinese variant reads zh_CN better than English.
    language = wanted.split("_")[0]
    for locale in LOCALES:
        if locale.split("_")[0].lower() == language:
            return locale
    return None


def parse_accept_language(header: str) -> list[str]:
    """Return the language tags of an Accept-Language header, most preferred first."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        match = _LANGUAGE_RANGE.match(item)
        if match is None or match.group(1) == "*":
            continue
        try:
            quality = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue  # a malformed weight makes the whole entry unusable
        if 0 < quality <= 1:
            ranked.append((-quality, index, match.group(1)))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(
    request: Request, *, user_language: str | None = None, default: str | None = None
) -> str:
    """Pick the page language: the user's preference, the cookie, Accept-Language, the default.

    ``user_language`` defaults to ``request.state.user_language`` (set once the session user is
    known); ``default`` defaults to ``settings.default_language`` of the application.
    """
    preference = user_language or getattr(request.state, "user_language", None)
    candidates = [preference, request.cookies.get(LANG_COOKIE)]
    candidates += parse_accept_language(request.headers.get("accept-language", ""))
    for candidate in candidates:
        locale = normalise(candidate)
        if locale is not None:
            return locale
    if default is None:
        settings = getattr(request.app.state, "settings", None)
        default = getattr(settings, "default_language", None)
    return normalise(default) or DEFAULT_LOCALE


def get_translations(locale: str) -> Translations:
    """Return the compiled catalog of a supported locale (cached; unknown locales get zh_CN)."""
    return _compiled(normalise(locale) or DEFAULT_LOCALE)


@lru_cache(maxsize=len(LOCALES))
def _compiled(locale: str) -> Translations:
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # a fuzzy guess is never shown to a user
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@lru_cache(maxsize=16)
def jinja_environment(template_dir: Path, locale: str) -> Environment:
    """Return the Jinja2 environment of a template directory in one locale (one per locale).

    Each environment has its own translations installed once, so concurrent requests in
    different languages never share mutable gettext state.
    """
    env = Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(get_translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = locale
    env.globals["html_lang"] = locale.replace("_", "-")
    return env
