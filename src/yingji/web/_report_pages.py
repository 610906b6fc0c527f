"""Pages of public reports: the public form and tracking page, and the bureau's triage.

The public pages (``/report``, ``/report/track``) need no login: the report form carries a
signed token bound to the client address (its CSRF equivalent) and a honeypot field, and both
pages share the per-address rate limits of the JSON API.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from yingji.core import files, ratelimit
from yingji.core.clock import local_today
from yingji.core.errors import DomainError, InvalidInput
from yingji.core.http import UnitOfWork, UoW, request_id_of
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.reports import _tracking, service
from yingji.reports.api import HOUR, client_of, form_client
from yingji.reports.schemas import (
    AcceptBody,
    ConcludeBody,
    ExtendBody,
    RejectBody,
    ReportCategory,
    ReportCreate,
    RewardBasis,
    RewardInputs,
    RewardProposeBody,
)
from yingji.reports.states import ReportStatus
from yingji.web._nav import N_
from yingji.web._page_kit import (
    FormProblem,
    PostedForm,
    csrf_ok,
    error_page,
    form_text,
    local_time,
    page_number,
    pager,
    problem_of,
    refuse,
)
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import render
from yingji.web._session import PageUser

router = APIRouter(include_in_schema=False)

PER_PAGE: Final = 50
MAX_PHOTOS: Final = 5
MAX_FORM_BYTES: Final = MAX_PHOTOS * files.MAX_BYTES + 256 * 1024
CATEGORY_LABELS: Final = {
    ReportCategory.MAJOR_HAZARD: N_("Major accident hazard"),
    ReportCategory.ILLEGAL_ACTIVITY: N_("Illegal production or operation"),
    ReportCategory.CONCEALED_ACCIDENT: N_("Concealed or misreported accident"),
    ReportCategory.OTHER: N_("Other matters"),
}
STATUS_LABELS: Final = {
    ReportStatus.RECEIVED: N_("Received, awaiting acceptance"),
    ReportStatus.ACCEPTED: N_("Accepted, under verification"),
    ReportStatus.REJECTED: N_("Not accepted"),
    ReportStatus.VERIFIED: N_("Verified as true"),
    ReportStatus.UNFOUNDED: N_("Not confirmed by verification"),
}
REWARD_LABELS: Final = {
    "none": N_("No reward"),
    "proposed": N_("Reward proposed"),
    "approved": N_("Reward approved"),
    "refused": N_("Reward refused"),
    "notified": N_("Reward notice sent"),
    "paid": N_("Reward paid"),
    "lapsed": N_("Reward lapsed"),
}
_FORM_FIELDS: Final = (
    "category", "text", "place", "enterprise_name", "lon", "lat", "region_code", "anonymous",
    "reporter_name", "reporter_phone", "photos", "form_token", "website",
)  # fmt: skip


class PublicForm:
    """The posted public form: text fields and the photo files."""

    def __init__(self, form: FormData, photos: list[tuple[bytes, str]]) -> None:
        self.form = form
        self.photos = photos


async def read_public_form(request: Request) -> PublicForm:
    """Read the multipart report form (at most five photos), refusing oversized bodies."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise InvalidInput("the photos are too large", field="photos")
    try:
        form = await request.form(max_files=MAX_PHOTOS, max_fields=30)
    except Exception as exc:  # malformed multipart, or too many files
        raise InvalidInput("the form could not be read (at most 5 photos)", field="photos") from exc
    photos: list[tuple[bytes, str]] = []
    for upload in form.getlist("photos"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(files.MAX_BYTES + 1)
            if data:
                photos.append((data, upload.filename))
    return PublicForm(form, photos)


PublicPost = Annotated[PublicForm, Depends(read_public_form)]


def _public_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"categories": CATEGORY_LABELS, "status_labels": STATUS_LABELS, **extra}


def _form_page(
    request: Request,
    uow: UnitOfWork,
    *,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    token = _tracking.form_token(_secret(request), form_client(request))
    context = _public_context(
        request,
        form_token=token,
        public_tab="report",
        values=values or {"anonymous": "1"},
        problem=problem,
        regions=service.public_regions(uow.session),
    )
    return render(
        request, "public/report_form.html", context, status_code=problem.status if problem else 200
    )


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.resolved_secret()
    return secret


@router.get("/report")
def report_form(request: Request, uow: UoW) -> Response:
    """Show the public report form (no login)."""
    return _form_page(request, uow)


def _report_data(form: FormData) -> ReportCreate:
    def text(name: str) -> str | None:
        return form_text(form, name) or None

    raw: dict[str, Any] = {
        "category": text("category") or "",
        "text": form_text(form, "text") or "",
        "place": text("place"),
        "enterprise_name": text("enterprise_name"),
        "lon": text("lon"),
        "lat": text("lat"),
        "region_code": text("region_code"),
        "anonymous": form_text(form, "anonymous") == "1",
        "reporter_name": text("reporter_name"),
        "reporter_phone": text("reporter_phone"),
        "form_token": form_text(form, "form_token") or "",
        "website": form_text(form, "website") or "",
    }
    return ReportCreate.model_validate(raw)


@router.post("/report")
def report_submit(request: Request, uow: UoW, posted: PublicPost) -> Response:
    """File a public report with its photos; show the tracking code once."""
    values = {k: form_text(posted.form, k) or "" for k in _FORM_FIELDS if k != "form_token"}
    try:
        data = _report_data(posted.form)
        if len(posted.photos) > MAX_PHOTOS:
            raise InvalidInput("at most 5 photos", field="photos")
        service.check_form(_secret(request), form_client(request), data)
        handling = service.handling()
        _hit(uow, request, "report-submit", handling.reports_per_hour)
        ids: list[uuid.UUID] = []
        for content, name in posted.photos:
            ratelimit.hit(
                uow.session,
                key=ratelimit.client_key(client_of(request), "report-upload"),
                limit=handling.uploads_per_hour,
                window=HOUR,
            )
            attachment = service.upload_public(
                uow.session, data_dir=request.app.state.settings.data_dir, data=content,
                filename=name, request_id=request_id_of(request),
            )  # fmt: skip
            ids.append(attachment.id)
        data = data.model_copy(update={"attachment_ids": ids})
        report, code = service.submit_report(
            uow.session, data=data, request_id=request_id_of(request)
        )
    except (DomainError, ValidationError) as exc:
        uow.session.rollback()
        return _form_page(request, uow, values=values, problem=problem_of(exc, _FORM_FIELDS))
    uow.commit()
    context = _public_context(
        request,
        code=code,
        received_on=local_today(report.received_at),
        due_on=report.due_on,
    )
    return render(request, "public/report_receipt.html", context, status_code=201)


def _hit(uow: UnitOfWork, request: Request, purpose: str, limit: int) -> None:
    key = ratelimit.client_key(client_of(request), purpose)
    ratelimit.hit(uow.session, key=key, limit=limit, window=HOUR)
    uow.commit()


@router.get("/report/track")
def track_form(request: Request) -> Response:
    """Show the tracking form."""
    return render(
        request,
        "public/report_track.html",
        _public_context(request, result=None, public_tab="track"),
    )


@router.post("/report/track")
def track_submit(request: Request, uow: UoW, form: PostedForm) -> Response:
    """Show what a tracking code reveals: dates, status, the public note, a reward notice."""
    code = (form_text(form, "code") or "")[:40]
    try:
        _hit(uow, request, "report-track", service.handling().tracking_per_hour)
    except DomainError:
        context = _public_context(request, result=None, limited=True, public_tab="track")
        return render(request, "public/report_track.html", context, status_code=429)
    result = service.track(uow.session, code=code) if code else None
    context = _public_context(request, result=result, public_tab="track")
    return render(request, "public/report_track.html", context)


# --- bureau ----------------------------------------------------------------------------------


@router.get("/reports")
def reports_list(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """List the public reports of the user's region, with status and overdue filters."""
    actor = web_user.actor
    params = request.query_params
    raw_status = params.get("status", "")
    status = ReportStatus(raw_status) if raw_status in set(ReportStatus) else None
    overdue = params.get("overdue") == "1"
    page = page_number(params.get("page"))
    try:
        rows, total = service.list_reports(
            uow.session, actor=actor, status=status, overdue=overdue or None,
            limit=PER_PAGE, offset=(page - 1) * PER_PAGE,
        )  # fmt: skip
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = prevention_context(uow.session, web_user, "reports")
    context.update(
        reports=[service.to_read(r, actor=actor) for r in rows],
        status=raw_status if status else "",
        overdue=overdue,
        statuses=STATUS_LABELS,
        categories=CATEGORY_LABELS,
        rewards=REWARD_LABELS,
        local_time=local_time,
        pages=pager(
            "/reports", {"status": raw_status, "overdue": "1" if overdue else ""}, page, total
        ),
    )
    return render(request, "reports/list.html", context)


def _detail(
    request: Request,
    uow: UnitOfWork,
    web_user: Any,
    report_id: uuid.UUID,
    *,
    problem: FormProblem | None = None,
) -> Response:
    actor = web_user.actor
    try:
        report = service.get_report(uow.session, actor=actor, report_id=report_id)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    enterprises: list[Any] = []
    if ReportStatus(report.status) is ReportStatus.RECEIVED:
        try:
            enterprises, _ = orgs.list_organisations(
                uow.session, actor=actor, kind=OrgKind.ENTERPRISE, region_code=report.region_code,
                limit=200,
            )  # fmt: skip
        except DomainError:
            enterprises = []
    context = prevention_context(uow.session, web_user, "reports")
    context.update(
        report=service.to_read(report, actor=actor),
        enterprises=enterprises,
        statuses=STATUS_LABELS,
        categories=CATEGORY_LABELS,
        rewards=REWARD_LABELS,
        local_time=local_time,
        problem=problem,
        bases=[b.value for b in RewardBasis],
    )
    return render(
        request, "reports/detail.html", context, status_code=problem.status if problem else 200
    )


@router.get("/reports/{report_id}")
def report_detail(request: Request, uow: UoW, web_user: PageUser, report_id: uuid.UUID) -> Response:
    """Show a report with the triage and reward forms its state allows."""
    return _detail(request, uow, web_user, report_id)


def _money(raw: str | None) -> Decimal | None:
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise InvalidInput("not an amount", field="fine_amount") from exc


_ACTIONS: Final = frozenset(
    {"accept", "reject", "extend", "conclude", "propose", "approve", "refuse", "notify", "paid"}
)


@router.post("/reports/{report_id}/{action}")
def report_action(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    form: PostedForm,
    report_id: uuid.UUID,
    action: str,
) -> Response:
    """Carry out one triage or reward step posted from the detail page."""
    if action not in _ACTIONS:
        return error_page(request, uow.session, web_user, 404, N_("This record does not exist."))
    if not csrf_ok(web_user, form):
        return error_page(
            request,
            uow.session,
            web_user,
            403,
            N_("The form expired. Reload the page and try again."),
        )
    actor = web_user.actor
    session = uow.session

    def text(name: str) -> str | None:
        return form_text(form, name) or None

    try:
        if action == "accept":
            body = AcceptBody.model_validate(
                {"enterprise_id": text("enterprise_id"), "title": text("title") or "",
                 "proposed_grade": text("proposed_grade"), "public_note": text("public_note")}
            )  # fmt: skip
            service.accept(session, actor=actor, report_id=report_id, data=body)
        elif action == "reject":
            rejection = RejectBody.model_validate(
                {"reason": text("reason") or "", "public_note": text("public_note")}
            )
            service.reject(session, actor=actor, report_id=report_id, data=rejection)
        elif action == "extend":
            extension = ExtendBody.model_validate(
                {"reason": text("reason") or "", "public_note": text("public_note")}
            )
            service.extend(session, actor=actor, report_id=report_id, data=extension)
        elif action == "conclude":
            conclusion = ConcludeBody(
                verified=text("verified") == "1", public_note=text("public_note")
            )
            service.conclude(session, actor=actor, report_id=report_id, data=conclusion)
        elif action == "propose":
            inputs = RewardInputs.model_validate(
                {"fine_amount": _money(text("fine_amount")),
                 "accident_grade": text("accident_grade"),
                 "concealed_deaths": text("concealed_deaths")}
            )  # fmt: skip
            proposal = RewardProposeBody(basis=RewardBasis(text("basis") or "fine"), inputs=inputs)
            service.propose_reward(session, actor=actor, report_id=report_id, data=proposal)
        elif action in ("approve", "refuse"):
            service.decide_reward(
                session, actor=actor, report_id=report_id, approve=action == "approve"
            )
        elif action == "notify":
            service.notify_reward(session, actor=actor, report_id=report_id)
        else:
            service.pay_reward(session, actor=actor, report_id=report_id)
    except (DomainError, ValidationError, ValueError) as exc:
        session.rollback()
        if isinstance(exc, ValueError) and not isinstance(exc, ValidationError):
            exc = InvalidInput(str(exc), field="basis")
        shown = ("enterprise_id", "title", "reason", "fine_amount", "concealed_deaths")
        return _detail(request, uow, web_user, report_id, problem=problem_of(exc, shown))
    uow.commit()
    return RedirectResponse(f"/reports/{report_id}", status_code=303)
