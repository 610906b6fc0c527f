"""Pages of the 预警叫应 module: the list of warnings, a warning's page, its steps and 叫应 board.

Every step goes through ``warnings.service``, which checks the role and region and audits it;
the page only offers the buttons the warning's status (``states.allowed_actions``) and the
user's permissions allow. The author forms live in ``_warning_forms``, the 叫应 board and its
JSON in ``_warning_board``, the pages without a login in ``_warning_public``; their routers are
included here.
"""

from __future__ import annotations

import uuid
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.errors import DomainError, Forbidden, NotFound
from yingji.core.http import UoW
from yingji.warnings import _tracking, service
from yingji.warnings.schemas import Decision
from yingji.warnings.states import TargetStatus, WarningStatus
from yingji.web import _warning_board, _warning_forms, _warning_public
from yingji.web import _warning_views as views
from yingji.web._nav import N_
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
    refuse,
    region_names,
)
from yingji.web._render import page_locale, render
from yingji.web._session import PageUser, WebUser
from yingji.web._warning_board import tracking_context

router = APIRouter(include_in_schema=False)
# The forms first: "/warnings/new" and "/warnings/{id}/edit|update" win over the routes below.
router.include_router(_warning_forms.router)
router.include_router(_warning_public.router)
router.include_router(_warning_board.router)

PAGE: Final = views.LIST_PAGE
FILTERS: Final[dict[str, str]] = {
    "": N_("All"),
    WarningStatus.ISSUED: views.STATUS_LABELS[WarningStatus.ISSUED],
    WarningStatus.PENDING_APPROVAL: views.STATUS_LABELS[WarningStatus.PENDING_APPROVAL],
    WarningStatus.DRAFT: views.STATUS_LABELS[WarningStatus.DRAFT],
    WarningStatus.LIFTED: views.STATUS_LABELS[WarningStatus.LIFTED],
    WarningStatus.CANCELLED: views.STATUS_LABELS[WarningStatus.CANCELLED],
}
_NO_WARNING = NotFound("no such warning", field="warning_id")
_STEPS: Final = frozenset(key for key, _label, _p in views.ACTIONS) - {"edit", "update"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def warning_id_of(raw: str) -> uuid.UUID:
    """Return the warning id of a path, or raise NotFound for anything that is not one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise _NO_WARNING from None


@router.get(PAGE)
def list_page(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """List the warnings the user may read, newest first, with their level and status."""
    actor = web_user.actor
    params = request.query_params
    wanted = params.get("status", "")
    status = WarningStatus(wanted) if wanted in set(WarningStatus) else None
    number = page_number(params.get("page"))
    try:
        found = service.list_warnings(
            uow.session, actor=actor, status=status, limit=PER_PAGE + 1,
            offset=(number - 1) * PER_PAGE,
        )  # fmt: skip
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    locale = page_locale(request)
    query = {"status": status.value} if status else {}
    context = chrome(uow.session, web_user, active="warnings")
    context.update(
        rows=[views.summary(w, locale) for w in found[:PER_PAGE]],
        statuses=views.STATUS_LABELS,
        levels=views.LEVEL_SHORT,
        filters=[(key, label, key == (status or "")) for key, label in FILTERS.items()],
        can_draft=views.can(actor, Permission.WARNING_DRAFT),
        prev_url=_list_url(query, number - 1) if number > 1 else None,
        next_url=_list_url(query, number + 1) if len(found) > PER_PAGE else None,
        page=number,
        public_url=views.PUBLIC_PAGE,
        inbox=_inbox(uow.session, web_user, _settings(request)),
    )
    return render(request, "warnings/list.html", context)


def _inbox(session: Session, web_user: WebUser, settings: Settings) -> list[dict[str, Any]]:
    """Return the warnings still waiting for the user's own answer, each with its local link."""
    try:
        items = _tracking.inbox(session, actor=web_user.actor, settings=settings)
    except DomainError:
        return []
    numbers = {key: number for number, key in views.LEVEL_KEYS.items()}
    return [
        {
            "n": item.notification,
            "level_key": item.notification.level.value,
            "level": views.LEVEL_SHORT.get(numbers.get(item.notification.level.value, 4), ""),
            # The link is made for phones (public_base_url); here it stays on this site.
            "answer": urlsplit(item.notification.ack_url).path
            if item.notification.ack_url
            else None,
            "deadline": local_time(item.deadline_at),
            "late": item.status is TargetStatus.ESCALATED,
        }
        for item in items
    ]


def _list_url(query: dict[str, str], number: int) -> str:
    params = {**query, "page": str(number)} if number > 1 else query
    return f"{PAGE}?{urlencode(params)}" if params else PAGE


def _detail_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    warning_id: uuid.UUID,
    *,
    problem: FormProblem | None = None,
    done: str | None = None,
    note: str = "",
) -> Response:
    actor = web_user.actor
    try:
        warning = service.get_warning(session, actor=actor, warning_id=warning_id)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    locale = page_locale(request)
    messages = service.messages(session, warning_id=warning.id)
    public_cap = warning.source == "local" and warning.issued_at is not None
    tracking = None
    if views.can(actor, Permission.WARNING_TRACK) and warning.issued_at is not None:
        try:
            tracking = tracking_context(session, web_user, warning.id)
        except DomainError:
            tracking = None  # e.g. a warning of a bureau above, tracked by the user's own board
    codes = list(warning.area_region_codes)
    names = region_names(session, actor, codes)
    context = chrome(session, web_user, active="warnings")
    context.update(
        s=views.summary(warning, locale),
        status_label=views.STATUS_LABELS.get(warning.status, warning.status),
        level_label=views.LEVEL_LABELS.get(warning.level, ""),
        regions=[names[c] for c in codes],
        actions=views.actions_for(actor, warning),
        with_note=views.WITH_NOTE,
        messages=[
            {
                "m": m,
                "type": views.MSG_TYPE_LABELS.get(m.msg_type, m.msg_type),
                "sent": local_time(m.sent),
                "url": f"{views.CAP_URL}{m.id}" if public_cap else None,
            }
            for m in messages
        ],
        tracking=tracking,
        tracking_config=views.tracking_config(locale, url=f"{PAGE}/{warning.id}/tracking")
        if tracking is not None
        else None,
        area_config=views.area_config(locale, _settings(request), actor, editable=False)
        if warning.area_shapes
        else None,
        shapes=warning.area_shapes,
        problem=problem,
        field_errors=views.FIELD_ERRORS,
        done=views.DONE.get(done or ""),
        note=note,
        ended=local_time(warning.ended_at),
        response_started=local_time(warning.response_started_at),
        supervision=local_time(warning.supervision_flagged_at),
    )
    status = problem.status if problem else 200
    return render(request, "warnings/detail.html", context, status_code=status)


@router.get(PAGE + "/{warning_id}")
def detail_page(request: Request, uow: UoW, web_user: PageUser, warning_id: str) -> Response:
    """Show a warning with every 第64条 field, its CAP messages, its buttons and its board."""
    try:
        number = warning_id_of(warning_id)
    except NotFound as exc:
        return refuse(request, uow.session, web_user, exc)
    done = request.query_params.get("done")
    return _detail_page(request, uow.session, web_user, number, done=done)


def _step(
    request: Request,
    session: Session,
    web_user: WebUser,
    action: str,
    warning_id: uuid.UUID,
    note: str | None,
) -> None:
    """Carry out one step through the warnings service (which checks and audits it)."""
    actor, settings = web_user.actor, _settings(request)
    service.get_warning(session, actor=actor, warning_id=warning_id)  # 404 unless readable
    if action == "submit":
        service.submit(session, actor=actor, warning_id=warning_id)
    elif action == "approve":
        service.approve(session, actor=actor, warning_id=warning_id, settings=settings)
    elif action == "reject":
        service.reject(session, actor=actor, warning_id=warning_id, note=note)
    elif action == "response":
        service.mark_response_started(session, actor=actor, warning_id=warning_id)
    elif action == "lift":
        service.lift(session, actor=actor, warning_id=warning_id, settings=settings, note=note)
    else:
        service.cancel(session, actor=actor, warning_id=warning_id, settings=settings, note=note)


@router.post(PAGE + "/{warning_id}/{action}")
def step(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, warning_id: str, action: str
) -> Response:
    """Submit, approve, send back, lift or withdraw a warning, or record the response's start."""
    session = uow.session
    if not csrf_ok(web_user, form):
        return error_page(request, session, web_user, 403, EXPIRED)
    try:
        number = warning_id_of(warning_id)
        if action not in _STEPS:
            raise _NO_WARNING
    except NotFound as exc:
        return refuse(request, session, web_user, exc)
    try:
        note = None
        if action in views.WITH_NOTE:
            note = Decision(note=form_text(form, "note") or None).note
        _step(request, session, web_user, action, number, note)
    except (Forbidden, NotFound) as exc:
        session.rollback()
        return refuse(request, session, web_user, exc)
    except (ValidationError, DomainError) as exc:
        session.rollback()
        problem = views.form_problem(exc, ("note", "expires", "status"))
        return _detail_page(
            request, session, web_user, number, problem=problem, note=form_text(form, "note") or ""
        )
    uow.commit()
    return RedirectResponse(f"{PAGE}/{number}?done={action}", status_code=303)
