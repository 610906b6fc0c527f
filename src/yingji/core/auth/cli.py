"""``yingji user``: create users, issue API tokens, list users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from yingji.core.auth import service
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.config import get_settings
from yingji.core.db import make_engine, make_session_factory, unit_of_work, utcnow
from yingji.core.errors import DomainError

app = typer.Typer(
    help="Create users, issue API tokens, list users.", no_args_is_help=True, add_completion=False
)
_ROLES = ", ".join(role.value for role in Role if role is not Role.PUBLIC)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code=1)


@contextmanager
def _database() -> Iterator[Session]:
    """Open a unit of work on the configured database; turn known failures into messages."""
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    except DomainError as exc:
        raise _fail(exc.message) from exc
    except (OperationalError, ProgrammingError) as exc:
        raise _fail(
            f"the database is not ready ({exc.orig}); run `yingji db upgrade` first"
        ) from exc
    finally:
        engine.dispose()


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name: 3-80 letters, digits, . _ -")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {_ROLES}")],
    region: Annotated[str, typer.Option("--region", help="Region code, e.g. 420500 (宜昌市)")],
    org: Annotated[
        uuid.UUID | None, typer.Option("--org", help="Id of the user's organisation")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the interface")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option("--password", help="Password; asked for twice, hidden, when left out"),
    ] = None,
) -> None:
    """Create a user (as the system, so any role and region are allowed)."""
    try:
        chosen = Role(role)
    except ValueError:
        raise _fail(f"unknown role {role!r}; choose one of: {_ROLES}") from None
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _database() as session:
        user = service.create_user(
            session,
            actor=system_actor(source="cli"),
            username=username,
            password=password,
            display_name=display_name,
            role=chosen,
            region_code=region,
            organisation_id=org,
        )
        typer.echo(f"Created user {user.username} ({user.role}, region {user.region_code}).")


@app.command("token")
def token(
    username: Annotated[str, typer.Argument(help="Whose token it is")],
    name: Annotated[str, typer.Option("--name", help="What the token is for")] = "cli",
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, max=3650, help="Expire after this many days (default never)"),
    ] = None,
) -> None:
    """Issue an API token and print it; it is shown this once and never again."""
    with _database() as session:
        user = service.get_user_by_username(session, username=username)
        if user is None:
            raise _fail(f"unknown user {username!r}")
        expires_at = utcnow() + timedelta(days=days) if days else None
        _, raw = service.issue_token(
            session,
            actor=system_actor(source="cli"),
            user_id=user.id,
            name=name,
            expires_at=expires_at,
        )
    typer.echo(raw)


@app.command("list")
def list_users() -> None:
    """List every user: username, role, region, organisation, active."""
    with _database() as session:
        users, _ = service.list_users(session, actor=system_actor(source="cli"), limit=100_000)
        for user in users:
            state = "active" if user.active else "inactive"
            org = str(user.organisation_id) if user.organisation_id else "-"
            typer.echo(f"{user.username}\t{user.role}\t{user.region_code}\t{org}\t{state}")
