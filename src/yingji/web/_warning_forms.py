"""The author's forms: a new warning, a draft's edit, and the change of an issued warning.

The forms post to their own pages (CSRF like every other form). The area is drawn on a Leaflet
map by ``warning_area.js``, which keeps the shapes as JSON in a hidden field, and/or chosen in
a list of the user's regions; without JavaScript the regions still work. A refusal of the
service (``InvalidInput`` naming a field) or of the schema shows the form again with the
field marked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.errors import DomainError, Forbidden, NotFound
from yingji.core.http import UoW
from yingji.warnings import service
from yingji.warnings.config import rules
from yingji.warnings.schemas import WarningDraft, WarningUpdate
from yingji.warnings.states import WarningStatus
from yingji.web import _warning_views as views
from yingji.web._page_kit import (
    CHINA_TZ,
    EXPIRED,
    FormProblem,
    PostedForm,
    chrome,
    csrf_ok,
    error_page,
    form_text,
    refuse,
    region_names,
    region_options,
)
from yingji.web._render import page_locale, render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)

PAGE: Final = views.LIST_PAGE
_TEXTS: Final = (
    "area_desc", "description", "instruction", "event_en", "description_en", "instruction_en",
    "sender_name", "sender_name_en", "note",
)  # fmt: skip
_FORBIDDEN_DRAFT = Forbidden("your role may not write warnings")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _posted(form: FormData) -> dict[str, Any]:
    """Return what the form posted, as the page shows it again."""
    values: dict[str, Any] = {name: views.clip(form, name) for name in _TEXTS}
    for name in ("hazard_type", "level", "onset", "expires", "shapes"):
        values[name] = form_text(form, name) or ""
    values["region_codes"] = [c for c in form.getlist("region_codes") if isinstance(c, str)]
    return values


def _draft(values: Mapping[str, Any]) -> WarningDraft:
    """Build the draft from the form (raises InvalidInput or ValidationError naming a field)."""
    data: dict[str, Any] = {
        "hazard_type": values["hazard_type"],
        "level": values["level"] or None,
        "onset": views.parse_local_time(values["onset"], "onset"),
        "expires": views.parse_local_time(values["expires"], "expires"),
        "area_desc": values["area_desc"].strip(),
        "region_codes": values["region_codes"],
        "shapes": views.parse_shapes(values["shapes"]),
    }
    for name in ("description", "instruction", "event_en", "description_en", "instruction_en",
                 "sender_name", "sender_name_en"):  # fmt: skip
        data[name] = values[name].strip() or None
    return WarningDraft.model_validate(data)


def _form_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    mode: str,
    values: Mapping[str, Any],
    action: str,
    warning: views.WarningRow | None = None,
    problem: FormProblem | None = None,
) -> Response:
    """Render the author form (mode "new", "edit") or the change form (mode "update")."""
    locale = page_locale(request)
    actor = web_user.actor
    context = chrome(session, web_user, active="warnings")
    context.update(
        mode=mode,
        heading=views.FORM_HEADINGS[mode],
        action=action,
        values=values,
        warning=views.summary(warning, locale) if warning is not None else None,
        problem=problem,
        field_errors=views.FIELD_ERRORS,
        hazards=views.hazard_choices(locale),
        levels=views.LEVEL_LABELS,
        regions=_region_choices(session, web_user, values),
        templates=views.template_texts(),
        area_config=views.area_config(locale, _settings(request), actor),
    )
    status = problem.status if problem else 200
    return render(request, "warnings/form.html", context, status_code=status)


def _region_choices(
    session: Session, web_user: WebUser, values: Mapping[str, Any]
) -> list[dict[str, str]]:
    """Return the region picker's options, with any chosen region the picker does not list."""
    options = region_options(session, web_user.actor)
    listed = {o["code"] for o in options}
    chosen = [c for c in values.get("region_codes", []) if c not in listed]
    names = region_names(session, web_user.actor, chosen)
    return options + [{"code": c, "label": names[c]} for c in chosen]


def _new_values(settings: Settings) -> dict[str, Any]:
    """Return the blank author form: the first hazard type's texts, starting now."""
    key, template = next(iter(rules().templates.items()))
    now = datetime.now(UTC).astimezone(CHINA_TZ).replace(second=0, microsecond=0)
    return {
        "hazard_type": key, "level": "", "onset": views.input_time(now), "expires": "",
        "area_desc": "", "region_codes": [], "shapes": "", "description": template.description,
        "instruction": template.instruction, "event_en": template.event_en,
        "description_en": template.description_en, "instruction_en": template.instruction_en,
        "sender_name": settings.cap_sender_name, "sender_name_en": settings.cap_sender_name_en,
    }  # fmt: skip


@router.get(PAGE + "/new")
def new_form(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the author form of a new warning (for users who may write warnings)."""
    if not views.can(web_user.actor, Permission.WARNING_DRAFT):
        return refuse(request, uow.session, web_user, _FORBIDDEN_DRAFT)
    values = _new_values(_settings(request))
    return _form_page(request, uow.session, web_user, mode="new", values=values,
                      action=f"{PAGE}/new")  # fmt: skip


@router.post(PAGE + "/new")
def create(request: Request, uow: UoW, web_user: PageUser, form: PostedForm) -> Response:
    """Write a new draft from the form, then show it."""
    session = uow.session
    if not csrf_ok(web_user, form):
        return error_page(request, session, web_user, 403, EXPIRED)
    values = _posted(form)

    def write() -> uuid.UUID:
        data = _draft(values)
        created = service.create_draft(session, actor=web_user.actor, data=data,
                                       settings=_settings(request))  # fmt: skip
        return created.id

    return _save(request, uow, web_user, write, mode="new", values=values,
                 action=f"{PAGE}/new", fields=views.DRAFT_FIELDS, done="created")  # fmt: skip


def _save(
    request: Request,
    uow: UoW,
    web_user: WebUser,
    write: Callable[[], uuid.UUID],
    *,
    mode: str,
    values: Mapping[str, Any],
    action: str,
    fields: tuple[str, ...],
    done: str,
    warning: views.WarningRow | None = None,
) -> Response:
    """Run a form's write: refuse what the role may not do, show bad input next to its fields,
    else commit and show the warning."""
    session = uow.session
    try:
        warning_id = write()
    except Forbidden as exc:
        session.rollback()
        return refuse(request, session, web_user, exc)
    except (ValidationError, DomainError) as exc:
        session.rollback()
        return _form_page(
            request, session, web_user, mode=mode, values=values, action=action,
            warning=warning, problem=views.form_problem(exc, fields),
        )  # fmt: skip
    uow.commit()
    return RedirectResponse(f"{PAGE}/{warning_id}?done={done}", status_code=303)


def _own(session: Session, web_user: WebUser, raw: str, permission: Permission) -> Any:
    """Return a warning the user may change (NotFound or Forbidden otherwise)."""
    try:
        warning_id = uuid.UUID(raw)
    except ValueError:
        raise NotFound("no such warning", field="warning_id") from None
    actor = web_user.actor
    warning = service.get_warning(session, actor=actor, warning_id=warning_id)
    actor.require(permission)
    actor.require_region(warning.region_path, what="warning")
    return warning


@router.get(PAGE + "/{warning_id}/edit")
def edit_form(request: Request, uow: UoW, web_user: PageUser, warning_id: str) -> Response:
    """Show a draft in the author form."""
    try:
        warning = _own(uow.session, web_user, warning_id, Permission.WARNING_DRAFT)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    if warning.status != WarningStatus.DRAFT:
        return RedirectResponse(f"{PAGE}/{warning.id}", status_code=303)
    return _form_page(
        request, uow.session, web_user, mode="edit", values=views.draft_values(warning),
        action=f"{PAGE}/{warning.id}/edit", warning=warning,
    )  # fmt: skip


@router.post(PAGE + "/{warning_id}/edit")
def edit(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, warning_id: str
) -> Response:
    """Save a draft's fields from the form."""
    session = uow.session
    if not csrf_ok(web_user, form):
        return error_page(request, session, web_user, 403, EXPIRED)
    try:
        warning = _own(session, web_user, warning_id, Permission.WARNING_DRAFT)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    values = _posted(form)

    def write() -> uuid.UUID:
        service.edit_draft(session, actor=web_user.actor, warning_id=warning.id,
                           data=_draft(values))  # fmt: skip
        return warning.id  # type: ignore[no-any-return]

    return _save(request, uow, web_user, write, mode="edit", values=values,
                 action=f"{PAGE}/{warning.id}/edit", fields=views.DRAFT_FIELDS, done="edited",
                 warning=warning)  # fmt: skip


def _closed(shape: Any) -> Any:
    """Return a drawn shape with its polygon ring closed, to compare it with the stored one."""
    if isinstance(shape, dict) and isinstance(shape.get("coordinates"), list):
        ring = [list(p) if isinstance(p, list | tuple) else p for p in shape["coordinates"]]
        if ring and ring[0] != ring[-1]:
            ring.append(ring[0])
        return {**shape, "coordinates": ring}
    return shape


def _update(values: Mapping[str, Any], current: Mapping[str, Any]) -> WarningUpdate:
    """Build the change of an issued warning from the fields that differ from the current ones."""
    changes: dict[str, Any] = {}
    if values["level"] != current["level"]:
        changes["level"] = values["level"] or None
    if values["expires"] != current["expires"]:
        changes["expires"] = views.parse_local_time(values["expires"], "expires")
    for name in ("area_desc", "description", "instruction", "description_en", "instruction_en"):
        if values[name].strip() != (current[name] or ""):
            changes[name] = values[name].strip() or None
    shapes = views.parse_shapes(values["shapes"])
    before = [_closed(s) for s in views.parse_shapes(current["shapes"])]
    drawn = [_closed(s) for s in shapes] != before
    if drawn or sorted(values["region_codes"]) != sorted(current["region_codes"]):
        changes["region_codes"], changes["shapes"] = values["region_codes"], shapes
    if values["note"].strip():
        changes["note"] = values["note"].strip()
    return WarningUpdate.model_validate(changes)


@router.get(PAGE + "/{warning_id}/update")
def update_form(request: Request, uow: UoW, web_user: PageUser, warning_id: str) -> Response:
    """Show the change form of an issued warning: level, end, area and texts (第70条 调整)."""
    try:
        warning = _own(uow.session, web_user, warning_id, Permission.WARNING_ISSUE)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    if warning.status != WarningStatus.ISSUED:
        return RedirectResponse(f"{PAGE}/{warning.id}", status_code=303)
    values = {**views.draft_values(warning), "note": ""}
    return _form_page(
        request, uow.session, web_user, mode="update", values=values,
        action=f"{PAGE}/{warning.id}/update", warning=warning,
    )  # fmt: skip


@router.post(PAGE + "/{warning_id}/update")
def update(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, warning_id: str
) -> Response:
    """Issue the change of a warning in force (CAP Update; everyone concerned is told again)."""
    session = uow.session
    if not csrf_ok(web_user, form):
        return error_page(request, session, web_user, 403, EXPIRED)
    try:
        warning = _own(session, web_user, warning_id, Permission.WARNING_ISSUE)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    values = {**views.draft_values(warning), **_posted(form)}

    def write() -> uuid.UUID:
        data = _update(values, views.draft_values(warning))
        service.update_issued(session, actor=web_user.actor, warning_id=warning.id, data=data,
                              settings=_settings(request))  # fmt: skip
        return warning.id  # type: ignore[no-any-return]

    return _save(request, uow, web_user, write, mode="update", values=values,
                 action=f"{PAGE}/{warning.id}/update", fields=views.UPDATE_FIELDS, done="update",
                 warning=warning)  # fmt: skip
