"""Test fixtures: every database test runs on SQLite and on PostgreSQL, in fresh databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from yingji.app import create_app
from yingji.core.config import Environment, Settings
from yingji.core.db import make_engine, make_session_factory
from yingji.core.migrate import upgrade
from yingji.models import metadata

PG_ADMIN_DSN = os.environ.get("YINGJI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b for b in os.environ.get("YINGJI_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{dbname}"


def create_pg_database() -> tuple[str, Callable[[], None]]:
    """Create a fresh PostgreSQL database; return its URL and a function that drops it."""
    name = f"yingji_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return _pg_url(name), drop


def fresh_database_url(backend: str, tmp_dir: Path) -> tuple[str, Callable[[], None]]:
    """Return the URL of a new empty database of a backend and its cleanup."""
    if backend == "postgresql":
        return create_pg_database()
    path = tmp_dir / f"yingji-{uuid.uuid4().hex[:8]}.sqlite3"
    return f"sqlite:///{path}", lambda: None


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend for the whole run, built by the Alembic migrations."""
    url, drop = fresh_database_url(request.param, tmp_path_factory.mktemp("db"))
    upgrade(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def _session_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def engine(_session_engine: Engine) -> Iterator[Engine]:
    """The test database's engine; every table is emptied after the test."""
    yield _session_engine
    _wipe(_session_engine)


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory on the test database."""
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the test database; the test commits when it needs to."""
    with session_factory() as s:
        yield s
        s.rollback()


@pytest.fixture
def backend(engine: Engine) -> str:
    """The name of the backend under test: 'sqlite' or 'postgresql'."""
    return engine.dialect.name


@pytest.fixture
def settings(database_url: str, tmp_path: Path, engine: Engine) -> Settings:
    """Settings of a test deployment on the test database."""
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=SecretStr("t" * 48),
        run_worker_in_server=False,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The application on the test database, without its background worker."""
    application = create_app(settings, start_worker=False)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client of the application (no credentials)."""
    with TestClient(app) as c:
        yield c
