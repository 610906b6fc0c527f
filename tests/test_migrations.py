"""Alembic migrations: they build the schema the models describe, on both backends, idempotently."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from tests.conftest import BACKENDS, fresh_database_url
from yingji.core.db import make_engine
from yingji.core.migrate import alembic_config, current_revision, head_revision, upgrade
from yingji.models import metadata
from yingji.warnings.models import WarningTarget


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


def test_target_keys_become_uuids_and_back(empty_database: str) -> None:
    """0009 turns the text person keys (an id, or "sub:" and an id) into UUIDs, and back."""
    person, subscription = uuid.uuid4(), uuid.uuid4()
    upgrade(empty_database, "0008")
    engine = make_engine(empty_database)
    postgresql = engine.dialect.name == "postgresql"

    def stored(value: uuid.UUID | None) -> str | None:  # as SQLAlchemy's Uuid stores it
        return None if value is None else str(value) if postgresql else value.hex

    mark = "%s" if postgresql else "?"
    columns = (
        "id, warning_id, person_key, person_id, subscription_id, name, language, kind,"
        " region_code, region_path, must_acknowledge, status, step, cycle, deadline_at,"
        " token_nonce, reply_code, created_at"
    )
    text_keys = {person: str(person), subscription: f"sub:{subscription}"}
    try:
        with engine.begin() as conn:
            for key, person_id, subscription_id in (
                (person, person, None), (subscription, None, subscription),
            ):  # fmt: skip
                conn.exec_driver_sql(
                    f"INSERT INTO warning_targets ({columns}) VALUES ({', '.join([mark] * 18)})",
                    (stored(uuid.uuid4()), stored(uuid.uuid4()), text_keys[key],
                     stored(person_id), stored(subscription_id), "某人", "zh", "responsible",
                     "420502", "/420502/", True, "pending", 0, 0, "2026-12-03 00:00:00",
                     "ab" * 16, "1234", "2026-12-03 00:00:00"),
                )  # fmt: skip
        upgrade(empty_database, "0009")
        with engine.connect() as conn:
            keys = conn.execute(select(WarningTarget.person_key)).scalars().all()
        assert sorted(keys) == sorted([person, subscription])
        command.downgrade(alembic_config(empty_database), "0008")
        with engine.connect() as conn:
            back = conn.exec_driver_sql("SELECT person_key FROM warning_targets").scalars().all()
        assert sorted(back) == sorted(text_keys.values())
    finally:
        engine.dispose()
