"""Configuration from ``YINGJI_*`` environment variables and an optional TOML file."""

from __future__ import annotations

import os
import secrets
import tomllib
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SECRET_FILE_NAME = "secret_key"
MIN_SECRET_LENGTH = 32
# Values that must never protect a production deployment.
KNOWN_WEAK_SECRETS = frozenset({"", "changeme", "changethis", "secret", "dev", "yingji"})


class Environment(StrEnum):
    """Where the platform runs; production refuses unsafe settings."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used; the message says how to fix it."""


def _config_file() -> Path | None:
    # Read before the settings exist, so it cannot be a settings field itself.
    raw = os.environ.get("YINGJI_CONFIG_FILE")
    return Path(raw) if raw else None


class Settings(BaseSettings):
    """All settings of a yingji process."""

    model_config = SettingsConfigDict(env_prefix="YINGJI_", extra="ignore", env_ignore_empty=True)

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(
        default=Path("var"), description="Where SQLite, secrets and uploads live"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in data_dir"
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions and tokens; generated in development"
    )
    default_language: str = "zh_CN"
    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA zone of the local calendar that deadlines and due dates count in",
    )
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    secure_cookies: bool = False
    run_worker_in_server: bool = Field(
        default=True, description="Run the outbox relay and timed jobs inside `yingji serve`"
    )
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    retry_base_seconds: float = Field(
        default=5.0, gt=0, description="First wait before retrying a failed delivery or job"
    )
    retry_cap_seconds: float = Field(
        default=3600.0, gt=0, description="Longest wait between retries (before jitter)"
    )
    outbox_max_attempts: int = Field(
        default=10, ge=1, description="Deliveries of an event to one subscriber before it is dead"
    )
    map_tile_url: str | None = Field(
        default=None,
        description="Optional XYZ tile URL of a tile server inside the deployment's network",
    )
    map_tile_attribution: str = ""
    map_center: tuple[float, float] = (30.70, 111.29)  # 宜昌市 (lat, lon)
    map_zoom: int = 8
    # Early warnings (预警): how CAP messages are identified and signed, where links point.
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The platform's address as recipients reach it: acknowledgement links, feeds",
    )
    cap_sender: str = Field(
        default="yingji.local",
        pattern=r"^[^\s,&<]+$",
        description="CAP sender id of the bureau (no spaces or commas, CAP 1.2 §3.2.1)",
    )
    cap_org_code: str = Field(
        default="000",
        pattern=r"^[0-9]{3}$",
        description="GB/T 4657 code (DDD) of the issuing unit in GB/T 35965.1 identifiers [U]",
    )
    cap_sender_name: str = Field(default="应急管理局", description="发布单位, default of drafts")
    cap_sender_name_en: str = "Emergency Management Bureau"
    cap_signing_key_file: Path | None = Field(
        default=None, description="PEM private key that signs issued CAP messages"
    )
    cap_signing_key_password: SecretStr | None = None
    cap_signing_cert_file: Path | None = Field(
        default=None, description="PEM certificate of that key, embedded in each signature"
    )
    cap_trusted_certs: list[Path] = Field(
        default_factory=list, description="PEM certificates of partners whose CAP is trusted"
    )
    cap_require_trusted: bool = Field(
        default=False, description="Refuse imported CAP unless signed by a trusted certificate"
    )
    warnings_rules_file: Path | None = Field(
        default=None,
        description="A TOML file replacing yingji/warnings/data/warnings.toml (windows, ladder)",
    )
    channels: dict[str, Any] = Field(
        default_factory=dict,
        description="Warning delivery channels (sms, voice, smtp, webhook); the warnings"
        " context validates them (yingji.warnings.channels.config.ChannelsConfig)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order sources: explicit arguments, environment, then the TOML config file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            if not path.is_file():
                raise ConfigError(f"YINGJI_CONFIG_FILE={path} does not exist")
            try:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"YINGJI_CONFIG_FILE={path} is not valid TOML: {exc}") from exc
        return tuple(sources)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai"
            ) from exc
        return value

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            value = self.secret_key.get_secret_value() if self.secret_key else ""
            if value.lower() in KNOWN_WEAK_SECRETS or len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    "Production mode needs a strong secret key. Set YINGJI_SECRET_KEY to at least "
                    f"{MIN_SECRET_LENGTH} random characters, for example the output of "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
                    "or set secret_key in the file named by YINGJI_CONFIG_FILE."
                )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            url = self.database_url
            # Plain postgresql:// URLs use psycopg 3, the only PostgreSQL driver we ship.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'yingji.sqlite3').resolve()}"

    def resolved_secret(self) -> str:
        """Return the secret key, generating and keeping one on first run outside production."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        if self.env is Environment.PRODUCTION:  # pragma: no cover - the validator refuses it
            raise ConfigError("YINGJI_SECRET_KEY is required in production")
        path = self.data_dir / SECRET_FILE_NAME
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Create with owner-only permissions; never overwrite a key another process just wrote.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value)
        return value

    def public_dict(self) -> dict[str, Any]:
        """Return the settings with secrets masked, for `yingji config show`."""
        data = self.model_dump(mode="json")
        if data.get("secret_key"):
            data["secret_key"] = "**********"
        return data


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (tests build their own ``Settings``)."""
    return Settings()
