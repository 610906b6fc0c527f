"""Logging in: passwords, lockout, browser sessions, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, make_user, web_login
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry, verify_chain
from yingji.core.auth import service
from yingji.core.auth.actor import system_actor
from yingji.core.auth.models import User, WebSession
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.core.errors import InvalidInput, NotAuthenticated, TooManyRequests


@pytest.fixture
def user(session: Session) -> User:
    """A duty officer of 宜昌市."""
    make_tree(session)
    made, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500", username="duty")
    session.commit()
    return made


@pytest.fixture
def strict(settings: Settings) -> Settings:
    """Settings that lock an account after three failures, for ten minutes."""
    return settings.model_copy(update={"login_max_failures": 3, "login_lockout_minutes": 10})


def _login(session: Session, settings: Settings, password: str, username: str = "duty") -> None:
    service.login(
        session,
        username=username,
        password=password,
        ip="10.0.0.1",
        user_agent="ua",
        settings=settings,
    )


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_login_opens_a_session(session: Session, user: User, settings: Settings) -> None:
    web_session, raw = web_login(session, user, settings)
    session.commit()
    assert web_session.id != raw  # only the digest is stored
    assert len(web_session.csrf_token) >= 40
    assert web_session.expires_at - utcnow() > timedelta(hours=settings.session_hours - 1)
    assert user.last_login_at is not None
    found = service.session_user(session, raw=raw, settings=settings)
    assert found is not None and found[1].id == user.id
    assert _actions(session)[-1] == "auth.logged_in"


def test_wrong_password_and_unknown_user_get_the_same_error(
    session: Session, user: User, settings: Settings
) -> None:
    messages = []
    for username, password in [("duty", "wrong password!"), ("nobody", PASSWORD), ("x\x00", "p")]:
        with pytest.raises(NotAuthenticated) as caught:
            _login(session, settings, password, username)
        messages.append((caught.value.message, caught.value.field))
    assert messages == [("wrong username or password", None)] * 3
    assert session.scalars(select(WebSession)).all() == []


def test_failures_are_audited_by_the_anonymous_actor(
    session: Session, user: User, settings: Settings
) -> None:
    for username in ("duty", "nobody"):
        with pytest.raises(NotAuthenticated):
            _login(session, settings, "wrong password!", username)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.login_failed").order_by(AuditEntry.seq)
    ).all()
    assert [(e.actor, e.entity_type, e.entity_id) for e in entries] == [
        ("anonymous", "user", str(user.id)),
        ("anonymous", "login", "nobody"),
    ]
    assert entries[0].after == {"reason": "wrong password", "failed_logins": 1, "ip": "10.0.0.1"}
    assert verify_chain(session).ok


def test_inactive_user_cannot_log_in(session: Session, user: User, settings: Settings) -> None:
    user.active = False
    session.commit()
    with pytest.raises(NotAuthenticated, match="wrong username or password"):
        _login(session, settings, PASSWORD)


def test_lockout_after_max_failures_even_with_the_right_password(
    session: Session, user: User, strict: Settings
) -> None:
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            _login(session, strict, "wrong password!")
        session.commit()  # as the routes do: failures survive the refusal
    assert user.failed_logins == 3
    assert user.locked_until is not None
    assert timedelta(minutes=9) < user.locked_until - utcnow() <= timedelta(minutes=10)
    with pytest.raises(TooManyRequests, match="locked until") as caught:
        _login(session, strict, PASSWORD)
    assert caught.value.details["locked_until"] == user.locked_until.isoformat()
    assert "auth.locked_out" in _actions(session)
    assert _actions(session)[-1] == "auth.login_refused"


def test_lock_runs_out(session: Session, user: User, strict: Settings) -> None:
    user.failed_logins = 3
    user.locked_until = utcnow() - timedelta(seconds=1)  # as if ten minutes had passed
    session.commit()
    _login(session, strict, PASSWORD)
    assert user.failed_logins == 0
    assert user.locked_until is None


def test_expired_lock_counts_afresh(session: Session, user: User, strict: Settings) -> None:
    user.failed_logins = 3
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(NotAuthenticated):
        _login(session, strict, "wrong password!")
    assert user.failed_logins == 1
    assert user.locked_until is None


def test_success_resets_the_failure_count(session: Session, user: User, strict: Settings) -> None:
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            _login(session, strict, "wrong password!")
    _login(session, strict, PASSWORD)
    assert user.failed_logins == 0
    with pytest.raises(NotAuthenticated):
        _login(session, strict, "wrong password!")
    assert user.locked_until is None  # one failure after the reset is far from the limit


def test_login_rehashes_a_hash_with_old_parameters(
    session: Session, user: User, settings: Settings
) -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user.password_hash = old
    session.commit()
    _login(session, settings, PASSWORD)
    assert user.password_hash != old
    assert user.password_hash.startswith("$argon2id$v=19$m=65536")
    _login(session, settings, PASSWORD)  # the new hash still verifies


def test_expired_session_is_gone(session: Session, user: User, settings: Settings) -> None:
    web_session, raw = web_login(session, user, settings)
    web_session.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert service.session_user(session, raw=raw, settings=settings) is None
    assert session.get(WebSession, web_session.id) is None


def test_session_of_a_deactivated_user_is_refused(
    session: Session, user: User, settings: Settings
) -> None:
    _, raw = web_login(session, user, settings)
    user.active = False
    session.commit()
    assert service.session_user(session, raw=raw, settings=settings) is None


def test_session_expiry_slides(session: Session, user: User, settings: Settings) -> None:
    web_session, raw = web_login(session, user, settings)
    web_session.last_seen_at = utcnow() - timedelta(hours=2)
    web_session.expires_at = utcnow() + timedelta(hours=1)
    session.commit()
    assert service.session_user(session, raw=raw, settings=settings) is not None
    assert web_session.expires_at - utcnow() > timedelta(hours=settings.session_hours - 1)
    assert utcnow() - web_session.last_seen_at < timedelta(minutes=1)


def test_unknown_cookie_values(session: Session, user: User, settings: Settings) -> None:
    for raw in ("", "nope", "x" * 10_000):
        assert service.session_user(session, raw=raw, settings=settings) is None


def test_logout_ends_the_session(session: Session, user: User, settings: Settings) -> None:
    _, raw = web_login(session, user, settings)
    service.logout(session, raw=raw)
    service.logout(session, raw=raw)  # twice is harmless
    session.commit()
    assert service.session_user(session, raw=raw, settings=settings) is None
    assert _actions(session)[-1] == "auth.logged_out"


def test_purge_expired_sessions(session: Session, user: User, settings: Settings) -> None:
    old, _ = web_login(session, user, settings)
    live, _ = web_login(session, user, settings)
    old.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert service.purge_expired_sessions(session) == 1
    assert [s.id for s in session.scalars(select(WebSession))] == [live.id]


def test_set_language(session: Session, user: User) -> None:
    actor = service.actor_for(session, user, request_id="r", source="web")
    service.set_language(session, actor=actor, language="en")
    assert user.language == "en"
    with pytest.raises(InvalidInput) as caught:
        service.set_language(session, actor=actor, language="fr")
    assert caught.value.field == "language"
    assert user.language == "en"
    with pytest.raises(NotAuthenticated):
        service.set_language(session, actor=system_actor(), language="en")
