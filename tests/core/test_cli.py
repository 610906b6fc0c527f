"""Core commands: db upgrade/current, audit verify, and clear configuration errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.conftest import fresh_database_url
from yingji.core.audit import record_change
from yingji.core.auth.actor import system_actor
from yingji.core.cli import audit_app, db_app, serve_command, worker_command
from yingji.core.config import get_settings

# Wired as src/yingji/cli.py wires them.
cli = typer.Typer(no_args_is_help=True)
cli.command("serve")(serve_command)
cli.command("worker")(worker_command)
cli.add_typer(db_app, name="db")
cli.add_typer(audit_app, name="audit")
runner = CliRunner()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Start from no YINGJI_* variables and fresh cached settings."""
    for name in list(os.environ):
        if name.startswith("YINGJI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("YINGJI_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_db_upgrade_is_idempotent_and_prints_the_revision(
    environment: pytest.MonkeyPatch, backend: str, tmp_path: Path
) -> None:
    url, drop = fresh_database_url(backend, tmp_path)
    environment.setenv("YINGJI_DATABASE_URL", url)
    try:
        first = runner.invoke(cli, ["db", "upgrade"])
        second = runner.invoke(cli, ["db", "upgrade"])
        current = runner.invoke(cli, ["db", "current"])
    finally:
        drop()

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "database is at revision" in first.output
    assert second.output == first.output
    assert current.exit_code == 0, current.output
    assert "database revision:" in current.output
    assert "newest revision:" in current.output
    assert "run `yingji db upgrade`" not in current.output  # up to date after the upgrade


def test_db_upgrade_creates_the_default_data_directory(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "data").is_dir()


def test_audit_verify_reports_ok_then_names_the_broken_entry(
    environment: pytest.MonkeyPatch, database_url: str, session: Session
) -> None:
    environment.setenv("YINGJI_DATABASE_URL", database_url)
    for i in range(3):
        record_change(
            session,
            actor=system_actor(),
            action="gauge.updated",
            entity_type="gauge",
            entity_id=f"G{i}",
            region_path=None,
            after={"i": i},
        )
    session.commit()

    ok = runner.invoke(cli, ["audit", "verify"])
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    session.commit()
    broken = runner.invoke(cli, ["audit", "verify"])

    assert (ok.exit_code, ok.output.strip()) == (0, "audit chain OK: 3 entries")
    assert broken.exit_code == 1
    assert "audit chain BROKEN at entry #2: entry 2 is missing" in broken.output


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "current"], ["audit", "verify"], ["serve"], ["worker"]]
)
def test_configuration_error_is_a_message_not_a_traceback(
    environment: pytest.MonkeyPatch, command: list[str]
) -> None:
    environment.setenv("YINGJI_ENV", "production")
    environment.setenv("YINGJI_SECRET_KEY", "changeme")

    result = runner.invoke(cli, command)

    assert result.exit_code == 2
    assert "configuration error:" in result.output
    assert "YINGJI_SECRET_KEY" in result.output
    assert isinstance(result.exception, SystemExit)  # exited on purpose, no traceback


def test_invalid_setting_names_the_variable(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("YINGJI_SESSION_HOURS", "many")

    result = runner.invoke(cli, ["db", "current"])

    assert result.exit_code == 2
    assert "YINGJI_SESSION_HOURS" in result.output


def test_unreachable_database_is_a_message(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("YINGJI_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")

    result = runner.invoke(cli, ["audit", "verify"])

    assert result.exit_code == 1
    assert "cannot use the database" in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["db", "--help"], "database schema"),
        (["db", "upgrade", "--help"], "safe to re-run"),
        (["db", "current", "--help"], "schema revision"),
        (["audit", "--help"], "audit log"),
        (["audit", "verify", "--help"], "changed, deleted or inserted"),
        (["serve", "--help"], "Port to listen on"),
        (["worker", "--help"], "event delivery and timed jobs"),
    ],
)
def test_every_command_explains_itself(command: list[str], words: str) -> None:
    result = runner.invoke(cli, command, terminal_width=200)

    assert result.exit_code == 0
    assert words.lower() in " ".join(result.output.split()).lower()
