"""Run Alembic migrations programmatically, for the CLI, the demo and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration pointing at yingji's migrations and a database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Date-prefixed names keep the history readable in a directory listing.
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s_%%(rev)s")
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``; running it again changes nothing."""
    command.upgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None if it has never been migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def make_revision(url: str, *, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a migration from the difference between the models and a database."""
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


def head_revision(url: str) -> str | None:
    """Return the newest revision shipped with this version of yingji."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
