"""The admin pages: user accounts (list, create, activate/deactivate) and the audit log."""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.audit import search_entries, verify_chain
from yingji.core.auth import service as auth_service
from yingji.core.auth.actor import Actor
from yingji.core.auth.passwords import MIN_PASSWORD_LENGTH
from yingji.core.auth.roles import ROLE_RANK, Permission, Role
from yingji.core.auth.schemas import UserRead, UserUpdate
from yingji.core.db import utcnow
from yingji.core.errors import DomainError, InvalidInput
from yingji.core.http import UoW
from yingji.orgs import service as orgs_service
from yingji.web._nav import N_, ROLE_LABELS
from yingji.web._org_views import organisation_names, parse_id
from yingji.web._page_kit import (
    EXPIRED,
    PER_PAGE,
    FormProblem,
    PostedForm,
    chrome,
    csrf_ok,
    error_page,
    form_text,
    local_time,
    page_number,
    pager,
    problem_of,
    refuse,
    region_names,
    region_options,
)
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)
USER_FIELDS: Final = ("username", "display_name", "role", "region_code", "organisation_id")
CREATE_FIELDS: Final = (*USER_FIELDS, "password")
AUDIT_ENTRIES: Final = 100
MAX_ORG_CHOICES: Final = 200
TABS: Final = (
    ("users", "/admin", N_("User accounts"), Permission.USER_READ),
    ("audit", "/admin/audit", N_("Audit log"), Permission.AUDIT_READ),
)


def _context(session: Session, web_user: WebUser, tab: str) -> dict[str, Any]:
    context = chrome(session, web_user, active="admin")
    context["tabs"] = [
        {"path": path, "label": label, "active": key == tab}
        for key, path, label, permission in TABS
        if web_user.actor.scope_for(permission) is not None
    ]
    return context


def _grantable_roles(actor: Actor) -> list[tuple[str, str]]:
    """Return the roles the actor may give a new account: none above their own rank."""
    rank = ROLE_RANK[actor.role]
    return [
        (role.value, ROLE_LABELS[role])
        for role in Role
        if role is not Role.PUBLIC and ROLE_RANK[role] <= rank
    ]


def _organisation_choices(session: Session, actor: Actor) -> list[dict[str, str]]:
    try:
        orgs, _ = orgs_service.list_organisations(session, actor=actor, limit=MAX_ORG_CHOICES)
    except DomainError:
        return []
    return [{"id": str(o.id), "name": o.name} for o in orgs]


def _user_rows(session: Session, actor: Actor, users: list[Any]) -> list[dict[str, Any]]:
    reads = [UserRead.model_validate(u) for u in users]
    regions = region_names(session, actor, (u.region_code for u in reads))
    orgs = organisation_names(session, actor, (u.organisation_id for u in reads))
    now = utcnow()
    return [
        {
            "user": u,
            "role": ROLE_LABELS.get(u.role, u.role),
            "region": regions[u.region_code],
            "organisation": orgs.get(u.organisation_id, "") if u.organisation_id else "",
            "locked_until": local_time(u.locked_until)
            if u.locked_until and u.locked_until > now
            else "",
            "is_self": u.id == actor.user_id,
        }
        for u in reads
    ]


def _users_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    page: int = 1,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    """Render the user list and, for managers, the create form (with errors if any)."""
    actor = web_user.actor
    try:
        users, total = auth_service.list_users(
            session, actor=actor, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
        )
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    can_manage = actor.scope_for(Permission.USER_MANAGE) is not None
    context = _context(session, web_user, tab="users")
    context.update(
        rows=_user_rows(session, actor, users),
        pager=pager("/admin", {}, page, total),
        can_manage=can_manage,
        values=values or {},
        problem=problem,
        saved=request.query_params.get("saved") == "1" and problem is None,
    )
    if can_manage:
        context.update(
            roles=_grantable_roles(actor),
            min_password=MIN_PASSWORD_LENGTH,
            regions=region_options(session, actor),
            organisations=_organisation_choices(session, actor),
        )
    status = problem.status if problem else 200
    return render(request, "admin/users.html", context, status_code=status)


@router.get("/admin")
def admin_users(request: Request, uow: UoW, web_user: PageUser, page: str = "1") -> Response:
    """List the user accounts in the user's reach; managers also get the create form."""
    return _users_page(request, uow.session, web_user, page=page_number(page))


def _create_user(session: Session, actor: Actor, form: FormData) -> None:
    values = {name: form_text(form, name) or "" for name in CREATE_FIELDS}
    try:
        role = Role(values["role"])
    except ValueError:
        raise InvalidInput("choose a role", field="role") from None
    organisation_id = None
    if values["organisation_id"]:
        organisation_id = parse_id(values["organisation_id"])
        if organisation_id is None:
            raise InvalidInput("unknown organisation", field="organisation_id")
    auth_service.create_user(
        session,
        actor=actor,
        username=values["username"],
        password=password if isinstance(password := form.get("password"), str) else "",
        display_name=values["display_name"] or None,
        role=role,
        region_code=values["region_code"],
        organisation_id=organisation_id,
    )


def _manager_check(
    request: Request, session: Session, web_user: WebUser, form: FormData
) -> Response | None:
    """Refuse a forged form or a role that may not manage users (before reading the input)."""
    if not csrf_ok(web_user, form):
        return error_page(request, session, web_user, 403, EXPIRED)
    try:
        web_user.actor.require(Permission.USER_MANAGE)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    return None


@router.post("/admin/users")
def admin_create_user(request: Request, uow: UoW, web_user: PageUser, form: PostedForm) -> Response:
    """Create a login (managers only), or show the form again with what is wrong."""
    refused = _manager_check(request, uow.session, web_user, form)
    if refused is not None:
        return refused
    try:
        _create_user(uow.session, web_user.actor, form)
    except DomainError as exc:
        uow.session.rollback()
        values = {name: form_text(form, name) or "" for name in USER_FIELDS}
        problem = problem_of(exc, CREATE_FIELDS)
        return _users_page(request, uow.session, web_user, values=values, problem=problem)
    uow.commit()
    return RedirectResponse("/admin?saved=1", status_code=303)


@router.post("/admin/users/{user_id}/active")
def admin_set_active(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, user_id: str
) -> Response:
    """Activate or deactivate a login (managers only; never the last administrator)."""
    refused = _manager_check(request, uow.session, web_user, form)
    if refused is not None:
        return refused
    found = parse_id(user_id)
    active = form_text(form, "active")
    try:
        if found is None:
            raise InvalidInput("unknown user", field="user_id")
        if active not in ("0", "1"):
            raise InvalidInput("say whether the account is active", field="active")
        auth_service.update_user(
            uow.session,
            actor=web_user.actor,
            user_id=found,
            changes=UserUpdate(active=active == "1"),
        )
    except DomainError as exc:
        uow.session.rollback()
        return _users_page(request, uow.session, web_user, problem=problem_of(exc, ()))
    uow.commit()
    return RedirectResponse("/admin?saved=1", status_code=303)


def _entry_rows(entries: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        changes = {k: v for k, v in (("before", entry.before), ("after", entry.after)) if v}
        rows.append(
            {
                "entry": entry,
                "at": local_time(entry.at),
                "role": ROLE_LABELS.get(entry.role, entry.role),
                "changes": json.dumps(changes, ensure_ascii=False, indent=1, default=str)
                if changes
                else "",
            }
        )
    return rows


@router.get("/admin/audit")
def admin_audit(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show whether the audit chain is intact and the region's latest entries (AUDIT_READ)."""
    actor = web_user.actor
    try:
        actor.require(Permission.AUDIT_READ)
        # Verify first: it detaches the rows it read, which the listing must not share.
        chain = verify_chain(uow.session)
        entries, total = search_entries(
            uow.session,
            actor=actor,
            limit=AUDIT_ENTRIES,
        )
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = _context(uow.session, web_user, tab="audit")
    context.update(chain=chain, rows=_entry_rows(entries), total=total)
    return render(request, "admin/audit.html", context)
