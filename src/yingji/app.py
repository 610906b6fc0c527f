"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from yingji import __version__
from yingji.core import http
from yingji.core.config import Settings, get_settings
from yingji.core.db import make_engine, make_session_factory
from yingji.core.worker import BackgroundWorker
from yingji.handlers import load_handlers
from yingji.warnings.jobs import BackgroundDispatcher

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, start_worker: bool | None = None) -> FastAPI:
    """Build the web application for the given settings."""
    settings = settings or get_settings()
    engine = make_engine(settings.sqlalchemy_url)
    run_worker = settings.run_worker_in_server if start_worker is None else start_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers: list[BackgroundWorker | BackgroundDispatcher] = []
        if run_worker:
            # Events and timed jobs, and the 叫应 ladders (a separate `yingji warnings dispatch`
            # may run beside it: they share the work through row claims).
            workers.append(BackgroundWorker(app.state.session_factory, settings, name="server"))
            workers.append(BackgroundDispatcher(app.state.session_factory, settings))
            for worker in workers:
                worker.start()
        try:
            yield
        finally:
            for worker in reversed(workers):
                worker.stop()
            engine.dispose()

    app = FastAPI(
        title="yingji 应急",
        version=__version__,
        description="Emergency-management platform API. Authenticate with a bearer token.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load from a CDN: never on an isolated network. The schema stays.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.secret_key = settings.resolved_secret()
    http.install(app)
    _include_routers(app)
    load_handlers()
    return app


def _include_routers(app: FastAPI) -> None:
    from yingji.core.audit_api import router as audit_router
    from yingji.core.auth.api import router as auth_router
    from yingji.core.files_api import router as files_router
    from yingji.hazards.api import router as hazards_router
    from yingji.hazards.inspections_api import router as inspections_router
    from yingji.hazards.stats_api import router as stats_router
    from yingji.ledger.api import router as ledger_router
    from yingji.monitoring.api import router as monitoring_router
    from yingji.monitoring.board_api import router as board_router
    from yingji.orgs.api import router as orgs_router
    from yingji.regions.api import router as regions_router
    from yingji.reports.api import router as reports_router
    from yingji.risks.api import router as risks_router
    from yingji.warnings.api import router as warnings_router
    from yingji.warnings.callbacks_api import router as warning_callbacks_router
    from yingji.web import mount as mount_web

    # stats_router first: its /api/hazards/statistics must win over /api/hazards/{hazard_id}.
    routers = (
        auth_router, audit_router, regions_router, orgs_router, files_router, risks_router,
        stats_router, hazards_router, inspections_router, reports_router, ledger_router,
        board_router, monitoring_router, warnings_router, warning_callbacks_router,
    )  # fmt: skip
    for router in routers:
        app.include_router(router)
    mount_web(app)
