"""``yingji monitor``: an unprepared database or an unreachable broker is one clear line."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yingji.cli import app
from yingji.core.config import get_settings
from yingji.core.migrate import upgrade

runner = CliRunner()


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("YINGJI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("YINGJI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unprepared_database_is_named(data_dir: Path) -> None:
    """The rules worker loads its state before connecting: a missing schema is said so."""
    result = runner.invoke(app, ["monitor", "rules", "--port", str(_closed_port())])
    assert result.exit_code == 1
    assert "cannot use the database" in result.output and "yingji db upgrade" in result.output


@pytest.mark.parametrize("command", ["ingest", "rules"])
def test_an_unreachable_broker_is_named(data_dir: Path, command: str) -> None:
    upgrade(f"sqlite:///{data_dir / 'yingji.sqlite3'}")
    port = _closed_port()
    result = runner.invoke(app, ["monitor", command, "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot reach the MQTT broker at 127.0.0.1:{port}" in result.output
