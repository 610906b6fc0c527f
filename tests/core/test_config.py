"""Settings: generated secrets, production refusals, database URLs, the TOML file and the env."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from yingji.core.config import ConfigError, Environment, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test without any YINGJI_* variable from the surrounding shell."""
    for name in list(os.environ):
        if name.startswith("YINGJI_"):
            monkeypatch.delenv(name)


def test_secret_generated_on_first_run_is_kept_and_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret()
    second = Settings(data_dir=tmp_path).resolved_secret()

    assert first == second
    assert len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_explicit_secret_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("s" * 40))

    assert settings.resolved_secret() == "s" * 40
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("secret", [None, "", "changeme", "CHANGETHIS", "short-but-random-9f3k"])
def test_production_refuses_a_missing_or_weak_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    monkeypatch.setenv("YINGJI_ENV", "production")
    if secret is not None:
        monkeypatch.setenv("YINGJI_SECRET_KEY", secret)

    with pytest.raises(ConfigError) as excinfo:
        Settings(data_dir=tmp_path)

    assert "YINGJI_SECRET_KEY" in str(excinfo.value)
    assert not (tmp_path / "secret_key").exists()


def test_production_accepts_a_strong_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINGJI_ENV", "production")
    monkeypatch.setenv("YINGJI_SECRET_KEY", "k" * 48)

    settings = Settings(data_dir=tmp_path)

    assert settings.env is Environment.PRODUCTION
    assert settings.resolved_secret() == "k" * 48


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/yingji", "postgresql+psycopg://u:p@db:5432/yingji"),
        ("postgres://u@db/yingji", "postgresql+psycopg://u@db/yingji"),
        ("postgresql+psycopg://u@db/yingji", "postgresql+psycopg://u@db/yingji"),
        ("sqlite:////srv/yingji.sqlite3", "sqlite:////srv/yingji.sqlite3"),
    ],
)
def test_database_url_uses_psycopg_for_postgresql(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("YINGJI_DATABASE_URL", given)

    assert Settings().sqlalchemy_url == expected


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    url = Settings(data_dir=tmp_path).sqlalchemy_url

    assert url == f"sqlite:///{tmp_path.resolve() / 'yingji.sqlite3'}"


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """Write a TOML config file and point YINGJI_CONFIG_FILE at it."""
    path = tmp_path / "yingji.toml"
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("YINGJI_CONFIG_FILE", str(path))
    return path


def test_config_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        tmp_path,
        monkeypatch,
        'database_url = "postgresql://db/yingji"\nsession_hours = 8\nmap_zoom = 11\n'
        'default_language = "en"\n',
    )

    settings = Settings()

    assert settings.sqlalchemy_url == "postgresql+psycopg://db/yingji"
    assert (settings.session_hours, settings.map_zoom, settings.default_language) == (8, 11, "en")


def test_environment_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, "session_hours = 8\nmap_zoom = 11\n")
    monkeypatch.setenv("YINGJI_SESSION_HOURS", "2")

    settings = Settings()

    assert (settings.session_hours, settings.map_zoom) == (2, 11)


def test_production_secret_may_come_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, f'env = "production"\nsecret_key = "{"f" * 40}"\n')

    assert Settings(data_dir=tmp_path).resolved_secret() == "f" * 40


def test_missing_config_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINGJI_CONFIG_FILE", str(tmp_path / "nowhere.toml"))

    with pytest.raises(ConfigError, match=r"nowhere\.toml does not exist"):
        Settings()


def test_broken_config_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, monkeypatch, "session_hours = = 8\n")

    with pytest.raises(ConfigError, match="is not valid TOML"):
        Settings()


def test_retry_settings_have_safe_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert (settings.retry_base_seconds, settings.retry_cap_seconds) == (5.0, 3600.0)
    assert settings.outbox_max_attempts == 10

    monkeypatch.setenv("YINGJI_OUTBOX_MAX_ATTEMPTS", "0")
    with pytest.raises(ValueError, match="outbox_max_attempts"):
        Settings()


def test_timezone_defaults_to_china_standard_time_and_must_be_known(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).timezone == "Asia/Shanghai"
    assert Settings(data_dir=tmp_path, timezone="Asia/Urumqi").timezone == "Asia/Urumqi"
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        Settings(data_dir=tmp_path, timezone="Mars/Olympus")
