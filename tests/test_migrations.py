"""Alembic migrations: they build the schema the models describe, on both backends, idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tests.conftest import BACKENDS, fresh_database_url
from yingji.core.db import make_engine
from yingji.core.migrate import alembic_config, current_revision, head_revision, upgrade
from yingji.models import metadata


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each backend."""
    url, drop = fresh_database_url(request.param, tmp_path)
    yield url
    drop()


def test_upgrade_builds_the_models_schema_and_is_idempotent(empty_database: str) -> None:
    upgrade(empty_database)
    upgrade(empty_database)  # a second run changes nothing and does not fail
    engine = make_engine(empty_database)
    try:
        assert current_revision(engine) == head_revision(empty_database)
        assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url, _ = fresh_database_url("sqlite", tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_readings_rekeyed_by_time_keeps_every_reading_both_ways(empty_database: str) -> None:
    """0006 changes the readings key to (ts, sensor_id) and back without losing a row."""
    rows = [(sensor, 1_700_000_000_000 + k * 1000, float(sensor * k)) for sensor in (1, 2, 3)
            for k in range(5)]  # fmt: skip
    upgrade(empty_database, "0005")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            for row in rows:
                conn.exec_driver_sql(
                    "INSERT INTO readings (sensor_id, ts, value) VALUES (%s, %s, %s)"
                    if engine.dialect.name == "postgresql"
                    else "INSERT INTO readings (sensor_id, ts, value) VALUES (?, ?, ?)",
                    row,
                )
        upgrade(empty_database, "0006")
        assert inspect(engine).get_pk_constraint("readings")["constrained_columns"] == [
            "ts",
            "sensor_id",
        ]
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT sensor_id, ts, value FROM readings").all()
            assert sorted(tuple(r) for r in stored) == sorted(rows)
            if engine.dialect.name == "postgresql":
                options = conn.exec_driver_sql(
                    "SELECT reloptions FROM pg_class WHERE relname = 'sensor_latest'"
                ).scalar()
                assert options == ["fillfactor=50"]
        command.downgrade(alembic_config(empty_database), "0005")
        assert inspect(engine).get_pk_constraint("readings")["constrained_columns"] == [
            "sensor_id",
            "ts",
        ]
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT sensor_id, ts, value FROM readings").all()
            assert sorted(tuple(r) for r in stored) == sorted(rows)
    finally:
        engine.dispose()
