"""HTTP API of the auth context: tokens, the caller, users and their API tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from yingji.core.auth import service
from yingji.core.auth.deps import CurrentActor, web_session_of
from yingji.core.auth.roles import GRANTS, Role
from yingji.core.auth.schemas import (
    LanguageChange,
    MeRead,
    PasswordChange,
    TokenCreate,
    TokenIssued,
    TokenLogin,
    TokenLoginRead,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from yingji.core.config import Settings
from yingji.core.errors import InvalidInput, NotAuthenticated, TooManyRequests
from yingji.core.http import UoW, request_id_of

router = APIRouter(prefix="/api", tags=["auth"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/auth/token",
    responses={401: {"description": "wrong credentials"}, 429: {"description": "locked"}},
)
def post_token(body: TokenLogin, request: Request, uow: UoW) -> TokenLoginRead:
    """Exchange a username and password for a bearer token."""
    try:
        token, raw = service.token_login(
            uow.session,
            username=body.username,
            password=body.password,
            name=body.name,
            settings=_settings(request),
            ip=_client_ip(request),
            request_id=request_id_of(request),
        )
    except (NotAuthenticated, TooManyRequests):
        uow.commit()  # the failure count and its audit entry must survive the refusal
        raise
    uow.commit()
    return TokenLoginRead(token=raw, expires_at=token.expires_at)


@router.get("/auth/me")
def get_me(actor: CurrentActor, uow: UoW) -> MeRead:
    """Return the calling user and the permissions of their role."""
    assert actor.user_id is not None  # CurrentActor guarantees a user
    user = service.get_user(uow.session, user_id=actor.user_id)
    permissions = {str(perm): str(scope) for perm, scope in GRANTS[actor.role].items()}
    return MeRead.model_validate(user).model_copy(update={"permissions": permissions})


@router.post("/auth/language", status_code=204)
def post_language(body: LanguageChange, actor: CurrentActor, uow: UoW) -> Response:
    """Set the calling user's interface language."""
    service.set_language(uow.session, actor=actor, language=body.language)
    uow.commit()
    return Response(status_code=204)


@router.get("/users")
def get_users(
    actor: CurrentActor,
    uow: UoW,
    role: Role | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> UserPage:
    """List the users inside the caller's region, by username."""
    users, total = service.list_users(
        uow.session, actor=actor, role=role, active=active, limit=limit, offset=offset
    )
    items = [UserRead.model_validate(user) for user in users]
    return UserPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/users", status_code=201)
def post_user(body: UserCreate, actor: CurrentActor, uow: UoW) -> UserRead:
    """Create a user up to the caller's rank, inside the caller's region."""
    user = service.create_user(
        uow.session,
        actor=actor,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        role=body.role,
        region_code=body.region_code,
        organisation_id=body.organisation_id,
        language=body.language,
    )
    uow.commit()
    return UserRead.model_validate(user)


@router.get("/users/{user_id}")
def get_user(user_id: uuid.UUID, actor: CurrentActor, uow: UoW) -> UserRead:
    """Return one user: yourself, or one inside your region."""
    return UserRead.model_validate(service.read_user(uow.session, actor=actor, user_id=user_id))


@router.patch("/users/{user_id}")
def patch_user(user_id: uuid.UUID, body: UserUpdate, actor: CurrentActor, uow: UoW) -> UserRead:
    """Change a user; you may change your own display name and language."""
    user = service.update_user(uow.session, actor=actor, user_id=user_id, changes=body)
    uow.commit()
    return UserRead.model_validate(user)


@router.post("/users/{user_id}/password", status_code=204)
def post_password(
    user_id: uuid.UUID, body: PasswordChange, request: Request, actor: CurrentActor, uow: UoW
) -> Response:
    """Set a user's password: your own with the current one, others' as their manager."""
    web_session = web_session_of(request)
    try:
        service.change_password(
            uow.session,
            actor=actor,
            user_id=user_id,
            new_password=body.new_password,
            current_password=body.current_password,
            settings=_settings(request),
            keep_session_id=web_session.id if web_session else None,
        )
    except (InvalidInput, TooManyRequests):
        uow.commit()  # a wrong current password counts towards the lockout
        raise
    uow.commit()
    return Response(status_code=204)


@router.get("/users/{user_id}/tokens")
def get_tokens(user_id: uuid.UUID, actor: CurrentActor, uow: UoW) -> list[TokenRead]:
    """List a user's API tokens (never the tokens themselves)."""
    tokens = service.list_tokens(uow.session, actor=actor, user_id=user_id)
    return [TokenRead.model_validate(token) for token in tokens]


@router.post("/users/{user_id}/tokens", status_code=201)
def post_token_for_user(
    user_id: uuid.UUID, body: TokenCreate, actor: CurrentActor, uow: UoW
) -> TokenIssued:
    """Issue an API token; the response is the only time the token is shown."""
    token, raw = service.issue_token(
        uow.session, actor=actor, user_id=user_id, name=body.name, expires_at=body.expires_at
    )
    uow.commit()
    return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", status_code=204)
def delete_token(token_id: uuid.UUID, actor: CurrentActor, uow: UoW) -> Response:
    """Revoke an API token: your own, or one of a user you manage."""
    service.revoke_token(uow.session, actor=actor, token_id=token_id)
    uow.commit()
    return Response(status_code=204)
