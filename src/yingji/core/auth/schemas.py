"""Request and response bodies of the auth API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from yingji.core.auth._rules import USERNAME_PATTERN
from yingji.core.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from yingji.core.auth.roles import Role

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_CONTROL)
]
TokenName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_CONTROL)
]
RegionCode = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=NO_CONTROL)]
NewPassword = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]
AnyPassword = Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]
Language = Literal["zh_CN", "en"]


def _to_utc(value: datetime) -> datetime:
    # Far-future offsets can overflow on conversion: make that a validation error, not a 500.
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date is out of range") from exc


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class TokenLogin(BaseModel):
    """Username and password exchanged for a bearer token."""

    username: Annotated[str, StringConstraints(max_length=200)]
    password: AnyPassword
    name: TokenName = "api"


class TokenLoginRead(BaseModel):
    """A bearer token obtained by logging in; shown once."""

    token: str
    expires_at: datetime | None


class LanguageChange(BaseModel):
    """The caller's new interface language."""

    language: Language


class UserCreate(BaseModel):
    """A new login."""

    username: Username
    password: NewPassword
    display_name: DisplayName | None = None
    role: Role
    region_code: RegionCode
    organisation_id: uuid.UUID | None = None
    language: Language = "zh_CN"


class UserUpdate(BaseModel):
    """Changes to a login; fields left out stay as they are."""

    display_name: DisplayName | None = None
    role: Role | None = None
    region_code: RegionCode | None = None
    organisation_id: uuid.UUID | None = None  # send null to detach the user from it
    active: bool | None = None
    language: Language | None = None


class UserRead(BaseModel):
    """A login as the API shows it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    region_code: str
    organisation_id: uuid.UUID | None
    language: str
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class UserPage(BaseModel):
    """A page of users, by username."""

    items: list[UserRead]
    total: int
    limit: int
    offset: int


class MeRead(UserRead):
    """The caller, with the permissions their role holds and each one's scope."""

    permissions: dict[str, str] = Field(default_factory=dict)


class PasswordChange(BaseModel):
    """A new password; your own change needs the current one."""

    current_password: AnyPassword | None = None
    new_password: NewPassword


class TokenCreate(BaseModel):
    """A new API token for a user."""

    name: TokenName
    expires_at: UtcDateTime | None = None


class TokenRead(BaseModel):
    """An API token's metadata (never the token itself)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    """A new API token; ``token`` is shown this once and never again."""

    token: str
