"""What every module page needs: the layout, refusals, form input, form errors and paging."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.actor import Actor
from yingji.core.auth.csrf import CSRF_FORM_FIELD, csrf_matches
from yingji.core.errors import DomainError
from yingji.regions import service as regions_service
from yingji.regions.schemas import RegionLevel
from yingji.web import _dashboard
from yingji.web._nav import N_, visible_modules
from yingji.web._render import render
from yingji.web._session import WebUser

PER_PAGE: Final = 50
MAX_PAGE: Final = 100_000
MAX_SEARCH: Final = 100
# Dates and times on the pages are the bureau's: mainland China is UTC+8 all year.
CHINA_TZ: Final = timezone(timedelta(hours=8), "CST")
# Region pickers list the administrative levels; villages and grids would make them unusable.
PICKER_LEVELS: Final = tuple(lv for lv in RegionLevel if lv.order <= RegionLevel.TOWN.order)
MAX_PICKER: Final = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REGION_CODE = re.compile(r"^[0-9A-Za-z._-]{1,32}$")

EXPIRED: Final = N_("The form expired. Reload the page and try again.")
_REFUSALS: Final = {
    403: N_("Your role may not open this page or make this change."),
    404: N_("This record does not exist."),
}
_SUMMARIES: Final = {
    400: N_("The request could not be carried out."),
    403: N_("You may not make this change."),
    404: N_("This record does not exist."),
    409: N_("This change conflicts with existing data."),
    422: N_("Please correct the marked fields."),
}


def chrome(session: Session, web_user: WebUser, active: str) -> dict[str, Any]:
    """Return what the layout needs: the user menu, the navigation and the CSRF token."""
    return {
        "user": _dashboard.user_card(session, web_user),
        "csrf_token": web_user.csrf_token,
        "nav": [
            {"path": m.path, "label": m.label, "active": m.slug == active, "built": m.built}
            for m in visible_modules(web_user.actor)
        ],
    }


def error_page(
    request: Request, session: Session, web_user: WebUser | None, status: int, message: str
) -> HTMLResponse:
    """Answer with a page that says why (``message`` is a message id, translated there)."""
    context: dict[str, Any] = {"message": message, "status": status}
    if web_user is not None:
        context.update(chrome(session, web_user, active=""))
    return render(request, "error.html", context, status_code=status)


def refuse(request: Request, session: Session, web_user: WebUser, exc: DomainError) -> HTMLResponse:
    """Answer a service's refusal to show a page: 403, 404 or another status, in plain words."""
    status = exc.status_code
    message = _REFUSALS.get(status) or _SUMMARIES.get(status) or _SUMMARIES[400]
    return error_page(request, session, web_user, status, message)


async def read_form(request: Request) -> FormData:
    """Return the posted form (read here so the sync page handlers stay off the event loop)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(read_form)]


def form_text(form: FormData, name: str) -> str | None:
    """Return a posted field stripped, "" if posted empty, None if not posted at all."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else None


def csrf_ok(web_user: WebUser, form: FormData) -> bool:
    """Return whether a form carries the CSRF token of the user's session."""
    return csrf_matches(web_user.csrf_token, form_text(form, CSRF_FORM_FIELD))


@dataclass(frozen=True, slots=True)
class FormProblem:
    """Why a form was refused: the status, a summary message id and the fields to mark."""

    status: int
    summary: str
    fields: dict[str, str] = field(default_factory=dict)  # field -> the service's own words
    detail: str | None = None  # what the service said about a field the form does not show


def problem_of(exc: DomainError | ValidationError, shown: Collection[str]) -> FormProblem:
    """Turn a service or schema error into what the form shows next to the fields."""
    if isinstance(exc, ValidationError):
        fields: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            fields.setdefault(name, str(error["msg"]))
        status = 422
    else:
        fields = {exc.field: exc.message} if exc.field else {}
        status = exc.status_code
    summary = _SUMMARIES.get(status, _SUMMARIES[400])
    hidden = [message for name, message in fields.items() if name not in shown]
    if isinstance(exc, DomainError) and not exc.field:
        hidden.append(exc.message)
    marked = {name: message for name, message in fields.items() if name in shown}
    return FormProblem(status, summary, marked, "; ".join(hidden) or None)


def clean_search(raw: str | None) -> str:
    """Return a search text without control characters, cut to a sane length."""
    return _CONTROL.sub("", raw or "").strip()[:MAX_SEARCH]


def clean_region_code(raw: str | None) -> str | None:
    """Return a well-formed region code from a query string, or None."""
    code = (raw or "").strip()
    return code if _REGION_CODE.match(code) else None


def page_number(raw: str | None) -> int:
    """Return the page asked for in a query string (1 when absent or nonsense)."""
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def pager(
    path: str, params: dict[str, str], page: int, total: int, per_page: int = PER_PAGE
) -> dict[str, Any]:
    """Return the paging links of a list: page, pages and the previous and next URLs."""
    pages = max(1, -(-total // per_page))
    kept = {k: v for k, v in params.items() if v}

    def url(number: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': str(number)})}"

    return {
        "page": page,
        "pages": pages,
        "total": total,
        "prev": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if page < pages else None,
    }


def region_options(session: Session, actor: Actor) -> list[dict[str, str]]:
    """Return the regions a picker offers: the actor's own and the administrative ones below."""
    if actor.region_code is None:
        return []
    try:
        own = regions_service.get_region(session, actor=actor, code=actor.region_code)
        rows = regions_service.list_subtree(
            session, actor=actor, code=actor.region_code, levels=PICKER_LEVELS
        )
    except DomainError:
        return []  # a role without region:read picks nothing
    if own.code not in {r.code for r in rows}:
        rows.insert(0, own)
    top = own.depth
    # Indent by depth with ideographic spaces so the tree reads in a plain <select>.
    return [
        {"code": r.code, "label": "\u3000" * max(0, r.depth - top) + r.name}
        for r in rows[:MAX_PICKER]
    ]


def region_names(session: Session, actor: Actor, codes: Iterable[str]) -> dict[str, str]:
    """Return the names of regions (one lookup per distinct code; the code if unreadable)."""
    names: dict[str, str] = {}
    for code in codes:
        if code in names:
            continue
        try:
            names[code] = regions_service.get_region(session, actor=actor, code=code).name
        except DomainError:
            names[code] = code
    return names


def local_time(value: datetime | None) -> str:
    """Return a timestamp in China time to the minute ("" for none)."""
    if value is None:
        return ""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
