"""The alarm list of the 监测预警 module, its actions, and the JSON its script polls.

The list is rendered on the server, one partial per row (``monitoring/_alarm_row.html``), with
plain forms for acknowledging, disposing and assigning, so it works without JavaScript. The
script polls ``/monitoring/alarms/feed``, which renders the same partial for each alarm of the
page, and swaps the rows that changed; a new alarm appears without a reload. Every action goes
through ``monitoring.service``, which checks the permission and audits the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.roles import Permission
from yingji.core.errors import DomainError, Forbidden, IllegalTransition, InvalidInput, NotFound
from yingji.core.http import UoW
from yingji.core.i18n import get_translations, jinja_environment
from yingji.monitoring import service
from yingji.monitoring.schemas import DisposeBody
from yingji.monitoring.states import AlarmStatus, Severity
from yingji.web import _monitoring_views as views
from yingji.web._monitoring_pages import monitoring_context, shown_value
from yingji.web._nav import N_
from yingji.web._page_kit import (
    CHINA_TZ,
    EXPIRED,
    PER_PAGE,
    FormProblem,
    PostedForm,
    csrf_ok,
    error_page,
    form_text,
    page_number,
    pager,
    problem_of,
    refuse,
)
from yingji.web._render import TEMPLATE_DIR, page_locale, render
from yingji.web._session import MaybeWebUser, PageUser, WebUser, safe_local_path

router = APIRouter(include_in_schema=False)

PAGE: Final = views.ALARMS_PAGE
FEED: Final = f"{PAGE}/feed"
MAX_OBJECT_OPTIONS: Final = 500
# Which alarms the list shows: open (not yet handled, the default), handled, or all.
STATES: Final[dict[str, str]] = {
    "open": N_("Open"),
    "handled": N_("Handled"),
    "all": N_("All"),
}
DONE: Final[dict[str, str]] = {
    "acknowledge": N_("The alarm is acknowledged."),
    "dispose": N_("The disposition is recorded."),
    "assign": N_("The alarm is assigned."),
}
# What each form's field error says; the service's own words follow in the alert.
FIELD_ERRORS: Final[dict[str, str]] = {
    "disposition": N_("Choose what the alarm turned out to be."),
    "note": N_("Write what was found and done (up to 2,000 characters)."),
    "user_id": N_("Choose a user who may handle this alarm."),
}
_FIELDS: Final = tuple(FIELD_ERRORS)


def _filters(params: Mapping[str, str]) -> dict[str, str]:
    """Return the list's filters from a query string (nonsense values are dropped)."""
    query: dict[str, str] = {}
    state = params.get("state", "")
    if state in STATES and state != "open":
        query["state"] = state
    if params.get("severity", "") in {s.value for s in Severity}:
        query["severity"] = params["severity"]
    if params.get("status", "") in {s.value for s in AlarmStatus}:
        query["status"] = params["status"]
    object_id = _uuid(params.get("object"))
    if object_id is not None:
        query["object"] = str(object_id)
    return query


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw or "")
    except ValueError:
        return None


def _list_url(query: Mapping[str, str], page: int = 1) -> str:
    params = {**query, "page": str(page)} if page > 1 else dict(query)
    return f"{PAGE}?{urlencode(params)}" if params else PAGE


def _started(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _page(
    session: Session, web_user: WebUser, query: Mapping[str, str], number: int
) -> tuple[list[dict[str, Any]], int, int]:
    """Return the rows of one page of the list, the total and the unacknowledged count."""
    actor = web_user.actor
    state = query.get("state", "open")
    alarms, total = service.list_alarms(
        session, actor=actor, handled=None if state == "all" else state == "handled",
        statuses=[AlarmStatus(query["status"])] if "status" in query else None,
        severity=Severity(query["severity"]) if "severity" in query else None,
        object_id=uuid.UUID(query["object"]) if "object" in query else None,
        limit=PER_PAGE, offset=(number - 1) * PER_PAGE,
    )  # fmt: skip
    assignees = service.eligible_assignees(session, actor=actor, alarms=alarms)
    rows = [
        {
            "a": row,
            "started": _started(row.started_at),
            "first": shown_value(row.first_value),
            "latest": shown_value(row.latest_value),
            "assignees": assignees.get(row.id, []),
        }
        for row in service.alarm_rows(session, actor=actor, alarms=alarms)
    ]
    counts = service.open_alarm_counts(session, actor=actor, object_ids=[])
    return rows, total, counts.unacknowledged


def _labels() -> dict[str, Any]:
    return {
        "statuses": views.ALARM_STATUS_LABELS,
        "severities": {k: v for k, v in views.BAND_LABELS.items() if k != "normal"},
        "rules": views.RULE_LABELS,
        "dispositions": views.DISPOSITION_LABELS,
        "escalations": views.ESCALATION_LABELS,
        "field_errors": FIELD_ERRORS,
        "sensor_url": views.SENSOR_PAGE,
        "page_url": PAGE,
    }


def _list_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    params: Mapping[str, str],
    *,
    problem: FormProblem | None = None,
    problem_alarm: uuid.UUID | None = None,
    conflict: str | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    actor = web_user.actor
    query = _filters(params)
    number = page_number(params.get("page"))
    try:
        rows, total, unacknowledged = _page(session, web_user, query, number)
        objects, _n = service.list_objects(session, actor=actor, limit=MAX_OBJECT_OPTIONS)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    here = _list_url(query, number)
    context = monitoring_context(session, web_user, "alarms")
    context.update(
        _labels(),
        alarms_tab=True,
        rows=rows,
        filters=query,
        states=STATES,
        objects=[(str(o.id), o.name) for o in objects],
        pager=pager(PAGE, query, number, total),
        unacknowledged=unacknowledged,
        can_handle=actor.scope_for(Permission.ALARM_HANDLE) is not None,
        next_url=here,
        done=DONE.get(params.get("done", "")) if problem is None else None,
        problem=problem,
        problem_alarm=problem_alarm,
        conflict=conflict,
        values=dict(values or {}),
        alarms_config={
            "feedUrl": FEED,
            "query": {**query, **({"page": str(number)} if number > 1 else {})},
            "pageUrl": here,
            "pollMs": views.POLL_MS,
            "locale": views.html_locale(page_locale(request)),
            "timeZone": request.app.state.settings.timezone,
            "strings": _script_strings(page_locale(request)),
        },
    )
    status = problem.status if problem else 200
    return render(request, "monitoring/alarms.html", context, status_code=status)


def _script_strings(locale: str) -> dict[str, str]:
    _ = get_translations(locale).gettext
    return {
        "updated": _("Updated %(time)s"),
        "offline": _("The connection was lost; retrying. The list shown may be old."),
        "session": _("Your session has ended. Reload the page to log in again."),
        "total": _("%(count)s found"),
        "unacknowledged": _("%(count)s alarms not acknowledged"),
        "noUnacknowledged": _("Every alarm is acknowledged"),
    }


@router.get(PAGE)
def alarms_page(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """List the alarms the user may read, newest first, with the actions the user may take."""
    return _list_page(request, uow.session, web_user, request.query_params)


@router.get(FEED)
def alarms_feed(request: Request, uow: UoW, web_user: MaybeWebUser) -> Response:
    """Return the rows of one page of the list, rendered, for the page's script to swap in."""
    if web_user is None:
        return JSONResponse({"detail": "log in again"}, status_code=401)
    query = _filters(request.query_params)
    number = page_number(request.query_params.get("page"))
    try:
        rows, total, unacknowledged = _page(uow.session, web_user, query, number)
    except DomainError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)
    env = jinja_environment(TEMPLATE_DIR, page_locale(request))
    template = env.get_template("monitoring/_alarm_row.html")
    context = {
        **_labels(),
        "csrf_token": web_user.csrf_token,
        "next_url": _list_url(query, number),
        "problem": None,
        "values": {},
    }
    return JSONResponse(
        {
            "now": int(datetime.now(UTC).timestamp() * 1000),
            "total": total,
            "unacknowledged": unacknowledged,
            "rows": [
                {
                    "id": str(r["a"].id),
                    "status": r["a"].status,
                    "severity": r["a"].severity,
                    "actions": r["a"].actions,
                    "html": template.render(**context, r=r),
                }
                for r in rows
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


def _next_params(form: FormData) -> dict[str, str]:
    """Return the query of the list the form was sent from (its hidden ``next`` field)."""
    target = safe_local_path(form_text(form, "next"), PAGE)
    parts = urlsplit(target)
    if parts.path != PAGE:
        return {}
    return dict(parse_qsl(parts.query))


def _act(
    session: Session, web_user: WebUser, action: str, alarm_id: uuid.UUID, form: FormData
) -> None:
    """Carry out one action through the monitoring service (which checks and audits it)."""
    actor = web_user.actor
    if action == "acknowledge":
        service.acknowledge(session, actor=actor, alarm_id=alarm_id)
    elif action == "dispose":
        body = DisposeBody.model_validate(
            {name: form_text(form, name) or "" for name in ("disposition", "note")}
        )
        service.dispose(
            session, actor=actor, alarm_id=alarm_id, disposition=body.disposition, note=body.note
        )
    else:
        user_id = _uuid(form_text(form, "user_id"))
        if user_id is None:
            raise InvalidInput("choose a user", field="user_id")
        service.assign(session, actor=actor, alarm_id=alarm_id, user_id=user_id)


@router.post(PAGE + "/{alarm_id}/{action}")
def alarm_action(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    form: PostedForm,
    alarm_id: str,
    action: str,
) -> Response:
    """Acknowledge, dispose of or assign an alarm, then show the list again with a notice."""
    session = uow.session
    if not csrf_ok(web_user, form):
        return error_page(request, session, web_user, 403, EXPIRED)
    number = _uuid(alarm_id)
    if number is None or action not in DONE:
        return refuse(request, session, web_user, NotFound("no such alarm", field="alarm_id"))
    try:
        _act(session, web_user, action, number, form)
    except (Forbidden, NotFound) as exc:
        session.rollback()
        return refuse(request, session, web_user, exc)
    except (ValidationError, DomainError) as exc:
        session.rollback()
        conflict = None
        if isinstance(exc, IllegalTransition):
            conflict = service.get_alarm(session, actor=web_user.actor, alarm_id=number).status
        values = {k: v for k in _FIELDS if isinstance(v := form.get(k), str)}
        return _list_page(
            request, session, web_user, _next_params(form), problem=problem_of(exc, _FIELDS),
            problem_alarm=number, conflict=conflict, values=values,
        )  # fmt: skip
    uow.commit()
    params = {**_next_params(form), "done": action}
    return RedirectResponse(f"{PAGE}?{urlencode(params)}#alarm-{number}", status_code=303)
