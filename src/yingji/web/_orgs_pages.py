"""The organisation pages: the list with kind tabs, one organisation with its people, the forms."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError, Forbidden, NotFound
from yingji.core.http import UoW
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrganisationRead, OrgKind
from yingji.web._labels import ORG_KIND_LABELS, TEAM_TYPE_LABELS, label_of
from yingji.web._nav import N_
from yingji.web._org_forms import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    create_from,
    edit_fields,
    form_options,
    posted,
    update_from,
    values_of,
)
from yingji.web._org_views import module_context, org_rows, parse_id, person_rows
from yingji.web._page_kit import (
    EXPIRED,
    PER_PAGE,
    FormProblem,
    PostedForm,
    clean_search,
    csrf_ok,
    error_page,
    page_number,
    pager,
    problem_of,
    refuse,
    region_names,
)
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)
MAX_MEMBERS = 200
_NO_SUCH_ORG = NotFound("no such organisation", field="organisation_id")


@router.get("/orgs")
def org_list(
    request: Request, uow: UoW, web_user: PageUser, kind: str = "", q: str = "", page: str = "1"
) -> Response:
    """List the organisations the user may see, by kind, with a search box and pages."""
    wanted = OrgKind(kind) if kind in {k.value for k in OrgKind} else None
    search, number = clean_search(q), page_number(page)
    try:
        orgs, total = orgs_service.list_organisations(
            uow.session,
            actor=web_user.actor,
            kind=wanted,
            q=search or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = module_context(uow.session, web_user, tab="orgs")
    tabs = [("", N_("All")), *ORG_KIND_LABELS.items()]
    context.update(
        rows=org_rows(uow.session, web_user.actor, orgs),
        q=search,
        kind=wanted.value if wanted else "",
        kind_tabs=[
            {"kind": value, "label": label, "active": value == (wanted or "")}
            for value, label in tabs
        ],
        pager=pager("/orgs", {"kind": kind if wanted else "", "q": search}, number, total),
    )
    return render(request, "orgs/list.html", context)


def _new_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    context = module_context(session, web_user, tab="orgs")
    context.update(
        values=values or {},
        problem=problem,
        fields=CREATE_FIELDS,
        options=form_options(session, web_user.actor),
    )
    return render(request, "orgs/new.html", context, status_code=problem.status if problem else 200)


def _require_create(web_user: WebUser) -> None:
    if web_user.actor.require(Permission.ORG_WRITE) is not Scope.REGION:
        raise Forbidden("you may update your own organisation but not create organisations")


@router.get("/orgs/new")
def org_new(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the form registering an organisation (region-wide writers only)."""
    try:
        _require_create(web_user)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    return _new_page(request, uow.session, web_user)


@router.post("/orgs/new")
def org_create(request: Request, uow: UoW, web_user: PageUser, form: PostedForm) -> Response:
    """Register an organisation and go to its page, or show the form again with the errors."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    try:
        _require_create(web_user)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    try:
        org = orgs_service.create_organisation(
            uow.session, actor=web_user.actor, data=create_from(form)
        )
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        values = posted(form, CREATE_FIELDS)
        problem = problem_of(exc, CREATE_FIELDS)
        return _new_page(request, uow.session, web_user, values=values, problem=problem)
    uow.commit()
    return RedirectResponse(f"/orgs/{org.id}?saved=1", status_code=303)


def _detail_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    organisation_id: uuid.UUID,
    *,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    """Render an organisation, its people and (for those who may write it) the edit form."""
    actor = web_user.actor
    try:
        org = OrganisationRead.model_validate(
            orgs_service.get_organisation(session, actor=actor, organisation_id=organisation_id)
        )
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    try:
        members, member_total = orgs_service.list_persons(
            session, actor=actor, organisation_id=org.id, limit=MAX_MEMBERS
        )
    except DomainError:
        members, member_total = [], 0  # the role may read the organisation but not its people
    parent = _parent_name(session, web_user, org.parent_id)
    writable = actor.scope_for(Permission.ORG_WRITE) is not None
    context = module_context(session, web_user, tab="orgs")
    context.update(
        org=org,
        kind_label=label_of(ORG_KIND_LABELS, org.kind),
        team_label=label_of(TEAM_TYPE_LABELS, org.team_type),
        region_name=region_names(session, actor, [org.region_code])[org.region_code],
        parent_name=parent,
        members=person_rows(session, actor, members),
        member_total=member_total,
        writable=writable,
        fields=edit_fields(org.kind),
        values={**values_of(org), **(values or {})},
        problem=problem,
        options=form_options(session, actor) if writable else {},
        saved=request.query_params.get("saved") == "1" and problem is None,
    )
    status = problem.status if problem else 200
    return render(request, "orgs/detail.html", context, status_code=status)


def _parent_name(session: Session, web_user: WebUser, parent_id: uuid.UUID | None) -> str:
    if parent_id is None:
        return ""
    try:
        return orgs_service.get_organisation(
            session, actor=web_user.actor, organisation_id=parent_id
        ).name
    except DomainError:
        return ""


@router.get("/orgs/{organisation_id}")
def org_detail(request: Request, uow: UoW, web_user: PageUser, organisation_id: str) -> Response:
    """Show an organisation with its people; those who may change it also get the form."""
    found = parse_id(organisation_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_SUCH_ORG)
    return _detail_page(request, uow.session, web_user, found)


def _apply_update(
    session: Session, web_user: WebUser, organisation_id: uuid.UUID, form: FormData
) -> None:
    """Check the permission first, then read the form by the organisation's kind and save."""
    actor = web_user.actor
    actor.require(Permission.ORG_WRITE)  # a reading role gets 403, not a remark on its input
    current = orgs_service.get_organisation(session, actor=actor, organisation_id=organisation_id)
    data = update_from(form, current.kind)
    orgs_service.update_organisation(
        session, actor=actor, organisation_id=organisation_id, data=data
    )


@router.post("/orgs/{organisation_id}")
def org_update(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, organisation_id: str
) -> Response:
    """Save the edit form (fields left out stay; emptied ones are cleared) or show the errors."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    found = parse_id(organisation_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_SUCH_ORG)
    try:
        _apply_update(uow.session, web_user, found, form)
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        problem = problem_of(exc, EDITABLE_FIELDS)
        values = posted(form, EDITABLE_FIELDS)
        return _detail_page(request, uow.session, web_user, found, values=values, problem=problem)
    uow.commit()
    return RedirectResponse(f"/orgs/{found}?saved=1", status_code=303)
