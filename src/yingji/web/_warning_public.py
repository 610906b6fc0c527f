"""Pages without a login: the recipient's 叫应 page (``/w/{token}``) and the public warnings.

The recipient's page is what the signed link in an SMS, a call or an e-mail opens on a phone,
often on a weak connection: no map, no module chrome, one small stylesheet and no script. It
shows the warning and one big button; only its POST acknowledges (link previewers and mail
scanners fetch links with GET). The token is the credential: it names one target and is
signed (``warnings._tokens``), so a forged or revoked one is a 404, and a cross-site form
cannot post without knowing it. After acknowledging, the same page takes evacuation reports
(转移人数、安置地点) as often as needed.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.core.errors import DomainError, InvalidInput, NotFound
from yingji.core.http import UoW
from yingji.warnings import _ack, _feedback, service
from yingji.warnings.schemas import EvacuationInput, TargetKind
from yingji.warnings.states import TargetStatus, WarningStatus
from yingji.web import _warning_views as views
from yingji.web._nav import N_
from yingji.web._page_kit import FormProblem, PostedForm, chrome, form_text, local_time, problem_of
from yingji.web._render import page_locale, render
from yingji.web._session import MaybeWebUser

router = APIRouter(include_in_schema=False)

RECIPIENT: Final = "/w/{token}"
MAX_TOKEN: Final = 100
DONE: Final[dict[str, str]] = {
    _ack.AckOutcome.ACKNOWLEDGED: N_("Thank you: your acknowledgement is recorded."),
    _ack.AckOutcome.ALREADY: N_("You had already acknowledged this warning."),
    _ack.AckOutcome.CLOSED: N_("This warning has ended; there is nothing to acknowledge."),
    _ack.AckOutcome.NOT_ASKED: N_("This warning is for your information; no answer is needed."),
    "report": N_("Your report is recorded. Send a new one whenever the numbers change."),
}
_REPORT_FIELDS: Final = ("evacuated", "shelter", "note", "region_code", "status")
_OPEN: Final = (TargetStatus.PENDING, TargetStatus.ESCALATED)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _invalid(request: Request) -> Response:
    """Answer a bad, forged or revoked link: a plain page that says so, and 404."""
    return render(request, "warnings/recipient_invalid.html", {}, status_code=404)


def _recipient_page(
    request: Request,
    session: Session,
    token: str,
    *,
    done: str | None = None,
    problem: FormProblem | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    try:
        view = _ack.target_for_token(session, token=token, settings=_settings(request))
    except NotFound:
        return _invalid(request)
    answered = view.status is TargetStatus.ACKNOWLEDGED
    english = page_locale(request).startswith("en")

    def pick(chinese: str, other: str | None) -> str:
        return other if english and other else chinese

    context: dict[str, Any] = {
        "v": view,
        # The warning's own words in the page's language where the author gave both.
        "text": {
            "event": pick(view.event, view.event_en),
            "description": pick(view.description, view.description_en),
            "instruction": pick(view.instruction, view.instruction_en),
            "sender_name": pick(view.sender_name, view.sender_name_en),
        },
        "token": token,
        "level_key": views.level_key(view.level),
        "level_label": views.LEVEL_LABELS.get(view.level, ""),
        "status_label": views.STATUS_LABELS.get(view.warning_status, ""),
        "issued_at": local_time(view.updated_issue_at or view.issued_at),
        "deadline": local_time(view.deadline_at),
        "acknowledged_at": local_time(view.acknowledged_at),
        "answered": answered,
        "can_ack": view.must_acknowledge and view.status in _OPEN,
        "ended": view.warning_status not in (WarningStatus.ISSUED,),
        "can_report": view.kind is not TargetKind.PUBLIC
        and view.warning_status.value in _feedback.REPORTABLE,
        "done": DONE.get(done or ""),
        "problem": problem,
        "values": values or {},
        "field_errors": views.FIELD_ERRORS,
    }
    status = problem.status if problem else 200
    response = render(request, "warnings/recipient.html", context, status_code=status)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _token_ok(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN and token.isascii()


@router.get(RECIPIENT)
def recipient_page(request: Request, uow: UoW, token: str) -> Response:
    """Show the warning a link was sent with and the acknowledge button (never acknowledges)."""
    if not _token_ok(token):
        return _invalid(request)
    done = request.query_params.get("done")
    return _recipient_page(request, uow.session, token, done=done)


@router.post(RECIPIENT)
def acknowledge(request: Request, uow: UoW, token: str) -> Response:
    """Acknowledge the warning (叫应) with one tap; a second tap says it was already done."""
    if not _token_ok(token):
        return _invalid(request)
    client = request.client.host if request.client else None
    try:
        result = _ack.acknowledge_by_token(
            uow.session, token=token, now=utcnow(), ip=client, settings=_settings(request)
        )
    except NotFound:
        return _invalid(request)
    uow.commit()
    return RedirectResponse(f"/w/{token}?done={result.outcome.value}", status_code=303)


def _evacuation(values: dict[str, str]) -> EvacuationInput:
    raw = values["evacuated"]
    if not raw.isascii() or not raw.isdigit():
        raise InvalidInput("give a whole number of people", field="evacuated")
    return EvacuationInput(evacuated=int(raw), shelter=values["shelter"] or None)


@router.post(RECIPIENT + "/evacuation")
def report(request: Request, uow: UoW, token: str, form: PostedForm) -> Response:
    """Record a report of people evacuated and where they are sheltered, by the link's holder."""
    if not _token_ok(token):
        return _invalid(request)
    session, settings = uow.session, _settings(request)
    values = {name: (form_text(form, name) or "")[:300] for name in ("evacuated", "shelter")}
    try:
        target = _ack.target_by_token(session, token=token, settings=settings)
        _feedback.report_evacuation(
            session, warning_id=target.warning_id, data=_evacuation(values), now=utcnow(),
            token=token, settings=settings,
        )  # fmt: skip
    except NotFound:
        session.rollback()
        return _invalid(request)
    except (ValidationError, DomainError) as exc:
        session.rollback()
        return _recipient_page(request, session, token, values=values,
                               problem=problem_of(exc, _REPORT_FIELDS))  # fmt: skip
    uow.commit()
    return RedirectResponse(f"/w/{token}?done=report#report", status_code=303)


@router.get(views.PUBLIC_PAGE)
def public_page(request: Request, uow: UoW, web_user: MaybeWebUser) -> Response:
    """List the warnings in force for everyone, most severe first, with the Atom feed's link."""
    session = uow.session
    locale = page_locale(request)
    rows = []
    for warning in service.public_warnings(session):
        sent = service.messages(session, warning_id=warning.id)
        cap = f"{views.CAP_URL}{sent[-1].id}" if sent and warning.source == "local" else None
        rows.append({**views.summary(warning, locale), "cap": cap,
                     "level_label": views.LEVEL_LABELS.get(warning.level, "")})  # fmt: skip
    context: dict[str, Any] = {"rows": rows, "feed_url": views.FEED_URL}
    if web_user is not None:
        context.update(chrome(session, web_user, active="warnings"))
    return render(request, "public/warnings.html", context)
