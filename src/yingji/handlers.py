"""Import every module that registers event subscribers, job handlers or periodic jobs.

Both the web server and ``yingji worker`` call :func:`load_handlers`, so a job or event written
by one process is understood by whichever process picks it up.
"""

from __future__ import annotations

import importlib

HANDLER_MODULES: tuple[str, ...] = (
    "yingji.core.auth.jobs",
    "yingji.hazards.jobs",
    "yingji.hazards.inspection_jobs",
    "yingji.reports.jobs",
    "yingji.monitoring.jobs",
    "yingji.warnings.linkage",
)


def load_handlers() -> None:
    """Import the handler modules (idempotent)."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)
