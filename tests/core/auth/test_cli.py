"""``yingji user``: create, token, list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry
from yingji.core.auth import service
from yingji.core.auth.cli import app
from yingji.core.auth.models import User
from yingji.core.config import get_settings

runner = CliRunner()


@pytest.fixture
def configured(
    session: Session, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point the CLI's settings at the test database, which holds the small region tree."""
    make_tree(session)
    session.commit()
    monkeypatch.setenv("YINGJI_DATABASE_URL", database_url)
    monkeypatch.setenv("YINGJI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _user(session: Session, username: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def test_create_with_a_password(configured: None, session: Session) -> None:
    result = runner.invoke(
        app,
        [
            "create",
            "zhang.wei",
            "--role",
            "duty_officer",
            "--region",
            "420500",
            "--display-name",
            "张伟",
            "--password",
            "a long password",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Created user zhang.wei" in result.output
    user = _user(session, "zhang.wei")
    assert user is not None
    assert (user.role, user.region_code, user.display_name) == ("duty_officer", "420500", "张伟")
    assert user.password_hash.startswith("$argon2id$")
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and (entry.action, entry.source) == ("user.created", "cli")


def test_create_prompts_for_the_password_twice(configured: None, session: Session) -> None:
    result = runner.invoke(
        app,
        ["create", "li.na", "--role", "admin", "--region", "420000"],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output  # the input is hidden
    assert result.output.count("Password") >= 1 and "Repeat" in result.output
    user = _user(session, "li.na")
    assert user is not None
    assert (
        service.authenticate(
            session,
            username="li.na",
            password="a long password",
            settings=get_settings(),
            source="cli",
        ).id
        == user.id
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "emperor", "--region", "420500"], "unknown role 'emperor'"),
        (["--role", "admin", "--region", "999999"], "unknown region code '999999'"),
        (["--role", "public", "--region", "420500"], "the public role is for anonymous"),
        (["--role", "admin", "--region", "420500", "--password", "short"], "at least 10"),
    ],
)
def test_create_refusals(configured: None, session: Session, args: list[str], message: str) -> None:
    argv = ["create", "wang.fang", *args]
    if "--password" not in args:
        argv += ["--password", "a long password"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert _user(session, "wang.fang") is None


def test_token_is_printed_once_and_works(configured: None, session: Session) -> None:
    runner.invoke(
        app, ["create", "ops", "--role", "admin", "--region", "420500", "--password", "x" * 12]
    )
    result = runner.invoke(app, ["token", "ops", "--name", "monitoring", "--days", "30"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    assert raw.startswith("yj_")
    session.expire_all()
    owner = service.user_for_token(session, raw)
    assert owner is not None and owner.username == "ops"
    missing = runner.invoke(app, ["token", "nobody"])
    assert missing.exit_code == 1
    assert "unknown user 'nobody'" in missing.output


def test_list(configured: None) -> None:
    for name, role in (("b.user", "inspector"), ("a.user", "commander")):
        runner.invoke(
            app,
            ["create", name, "--role", role, "--region", "420502", "--password", "x" * 12],
        )
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[:3] for line in lines] == [
        ["a.user", "commander", "420502"],
        ["b.user", "inspector", "420502"],
    ]


def test_help_texts() -> None:
    assert "Create users" in runner.invoke(app, ["--help"]).output
    create_help = runner.invoke(app, ["create", "--help"]).output
    for word in ("--role", "--region", "--org", "--display-name", "--password", "duty_officer"):
        assert word in create_help
    assert "shown this once" in runner.invoke(app, ["token", "--help"]).output
