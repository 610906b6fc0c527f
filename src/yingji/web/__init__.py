"""The browser interface: server-rendered pages in Chinese and English, and the one map."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet

from yingji.web._session import LoginRequired, login_redirect

STATIC_DIR = Path(__file__).resolve().parent / "static"
LEAFLET_URL = "/static/vendor/leaflet"

__all__ = ["LEAFLET_URL", "STATIC_DIR", "mount"]


def mount(app: FastAPI) -> None:
    """Add the pages, the static files and the login redirect to an application."""
    from yingji.web import (
        _admin_pages,
        _hazard_pages,
        _inspection_pages,
        _ledger_pages,
        _orgs_pages,
        _people_pages,
        _report_pages,
        _risk_pages,
        _stats_pages,
        _warning_pages,
    )
    from yingji.web.routes import router

    app.include_router(router)
    for module in (
        _orgs_pages, _people_pages, _admin_pages, _risk_pages, _hazard_pages, _inspection_pages,
        _report_pages, _stats_pages, _ledger_pages, _warning_pages,
    ):  # fmt: skip
        app.include_router(module.router)
    app.add_exception_handler(LoginRequired, login_redirect)  # type: ignore[arg-type]
    # The vendor mount comes first: "/static" would otherwise swallow its paths.
    app.mount(LEAFLET_URL, StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
