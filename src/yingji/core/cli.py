"""Core commands: database schema, audit check, web server and background worker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from yingji.core import migrate
from yingji.core.audit import verify_chain
from yingji.core.config import ConfigError, Settings, get_settings
from yingji.core.db import make_engine, make_session_factory

db_app = typer.Typer(no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(no_args_is_help=True, add_completion=False)


def load_settings() -> Settings:
    """Return the settings, or print what is wrong with them and exit with status 2."""
    try:
        settings = get_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"YINGJI_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        typer.echo(f"configuration error: {problems}", err=True)
        raise typer.Exit(2) from None
    if settings.database_url is None:
        # The default SQLite file lives in data_dir, which may not exist on first run.
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn an unreachable or unprepared database into a short message and exit status 1."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        reason = (str(exc.orig).strip().splitlines() or ["unknown error"])[0]
        typer.echo(
            f"cannot use the database: {reason}\n"
            "Check YINGJI_DATABASE_URL, and that `yingji db upgrade` has been run.",
            err=True,
        )
        raise typer.Exit(1) from None


@db_app.callback()
def db_group() -> None:
    """Create or upgrade the database schema."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the tables, or bring them up to date with this version of yingji (safe to re-run)."""
    settings = load_settings()
    url = settings.sqlalchemy_url
    with database_errors():
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            revision = migrate.current_revision(engine)
        finally:
            engine.dispose()
    typer.echo(f"database is at revision {revision or 'none (no migrations yet)'}")


@db_app.command("current")
def db_current() -> None:
    """Show which schema revision the database is at, and the newest this version ships."""
    settings = load_settings()
    url = settings.sqlalchemy_url
    with database_errors():
        engine = make_engine(url)
        try:
            current = migrate.current_revision(engine)
        finally:
            engine.dispose()
    head = migrate.head_revision(url)
    typer.echo(f"database revision: {current or 'none'}")
    typer.echo(f"newest revision:   {head or 'none'}")
    if current != head:
        typer.echo("run `yingji db upgrade` to bring the database up to date")


@audit_app.callback()
def audit_group() -> None:
    """Check the tamper-evident audit log."""


VERIFY_HELP = (
    "Check that no audit log entry was changed, deleted or inserted after it was written.\n\n"
    "Every entry carries a fingerprint (SHA-256) of its content and of the entry before it. "
    "This recomputes each fingerprint, checks that the entries are numbered 1, 2, 3... without "
    "gaps, and that the last entry is the one recorded as the newest.\n\n"
    'Prints "audit chain OK: N entries", or names the first broken entry and exits with status 1.'
)


@audit_app.command("verify", help=VERIFY_HELP)
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 naming the first broken entry."""
    settings = load_settings()
    with database_errors():
        engine = make_engine(settings.sqlalchemy_url)
        try:
            with make_session_factory(engine)() as session:
                result = verify_chain(session)
        finally:
            engine.dispose()
    if result.ok:
        typer.echo(f"audit chain OK: {result.checked} entries")
        return
    typer.echo(f"audit chain BROKEN at entry #{result.first_broken_seq}: {result.reason}", err=True)
    raise typer.Exit(1)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[
        bool, typer.Option(help="Restart when the code changes (for development).")
    ] = False,
) -> None:
    """Run the web platform and API (and, by default, the background worker)."""
    import uvicorn

    settings = load_settings()
    settings.resolved_secret()  # fail here, with a clear message, rather than in a worker
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run("yingji.app:create_app", factory=True, host=host, port=port, reload=reload)


def worker_command() -> None:
    """Run the background worker: event delivery and timed jobs, until Ctrl-C or SIGTERM."""
    from yingji.core.worker import run_forever

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Import every context's tables and the modules that register subscribers and jobs.
    import yingji.models  # noqa: F401
    from yingji.handlers import load_handlers

    load_handlers()

    engine = make_engine(settings.sqlalchemy_url)
    try:
        run_forever(make_session_factory(engine), settings, name="worker")
    finally:
        engine.dispose()
