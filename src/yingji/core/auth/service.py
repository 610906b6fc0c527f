"""Users, API tokens and logins: the auth context's public service functions."""

from __future__ import annotations

from yingji.core.auth._rules import LANGUAGES, USERNAME_PATTERN
from yingji.core.auth._sessions import (
    WRONG_CREDENTIALS,
    authenticate,
    login,
    logout,
    purge_expired_sessions,
    session_user,
    token_login,
)
from yingji.core.auth._tokens import (
    TOKEN_PREFIX,
    issue_token,
    list_tokens,
    revoke_token,
    user_for_token,
)
from yingji.core.auth._users import (
    USER_AUDIT_FIELDS,
    actor_for,
    change_password,
    create_user,
    get_user,
    get_user_by_username,
    list_users,
    read_user,
    require_manage,
    require_reach,
    set_language,
    update_user,
)

__all__ = [
    "LANGUAGES",
    "TOKEN_PREFIX",
    "USERNAME_PATTERN",
    "USER_AUDIT_FIELDS",
    "WRONG_CREDENTIALS",
    "actor_for",
    "authenticate",
    "change_password",
    "create_user",
    "get_user",
    "get_user_by_username",
    "issue_token",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "purge_expired_sessions",
    "read_user",
    "require_manage",
    "require_reach",
    "revoke_token",
    "session_user",
    "set_language",
    "token_login",
    "update_user",
    "user_for_token",
]
