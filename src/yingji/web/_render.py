"""Rendering pages: the per-locale template environment and the security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from yingji.core.config import Settings
from yingji.core.i18n import LOCALE_LABELS, LOCALES, jinja_environment, negotiate
from yingji.web._session import current_path

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"


def tile_origin(tile_url: str | None) -> str | None:
    """Return the CSP source of a tile server URL ("https://{s}.t.lan/..." -> "https://*.t.lan")."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url.replace("{s}", "tiles"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None  # a relative URL is served by ourselves and already covered by 'self'
    netloc = tile_url.split("://", 1)[1].split("/", 1)[0]
    host = netloc.rsplit("@", 1)[-1].replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings) -> str:
    """Return the page CSP: only this server, plus the configured tile server for images."""
    img = ["'self'", "data:"]
    origin = tile_origin(settings.map_tile_url)
    if origin:
        img.append(origin)
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(img)}",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def security_headers(settings: Settings) -> dict[str, str]:
    """Return the headers every page carries."""
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def page_locale(request: Request) -> str:
    """Return the locale of the current request (negotiated once, then remembered)."""
    cached = getattr(request.state, "locale", None)
    if isinstance(cached, str):
        return cached
    locale = negotiate(request)
    request.state.locale = locale
    return locale


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render a template in the request's language with the security headers."""
    settings: Settings = request.app.state.settings
    locale = page_locale(request)
    env = jinja_environment(TEMPLATE_DIR, locale)
    body = env.get_template(template).render(
        current_url=current_path(request),
        languages=[(code, LOCALE_LABELS[code]) for code in LOCALES],
        **context,
    )
    return HTMLResponse(body, status_code=status_code, headers=security_headers(settings))
