"""HTTP routes of public reports (举报): the public intake and the bureau's triage and rewards.

The four ``/api/public/...`` operations need no login. They are protected instead by a signed
form token bound to the client address (the CSRF equivalent of an anonymous form) and by a
per-address rate limit; tracking codes travel in the body, never in a URL.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from yingji.core import ratelimit
from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.clock import local_today
from yingji.core.config import Settings
from yingji.core.errors import InvalidInput
from yingji.core.files_api import _UPLOAD_BODY, _uploaded_file
from yingji.core.http import UoW, request_id_of
from yingji.reports import _tracking, service
from yingji.reports.schemas import (
    REGION_CODE,
    AcceptBody,
    ConcludeBody,
    ExtendBody,
    FormTokenRead,
    PublicUploadRead,
    RejectBody,
    ReportCreate,
    ReportList,
    ReportRead,
    ReportReceipt,
    RewardDecisionBody,
    RewardProposeBody,
    RewardRulesRead,
    RewardRulesWrite,
    TrackRead,
    TrackRequest,
)
from yingji.reports.states import ReportStatus, RewardStatus

router = APIRouter(prefix="/api", tags=["public reports"])
HOUR = timedelta(hours=1)


def _needs(permission: Permission) -> Any:
    """Refuse roles without a permission before the body is read (the service checks fully)."""

    def check(actor: CurrentActor) -> None:
        actor.require(permission)

    return Depends(check)


TRIAGE = [_needs(Permission.REPORT_TRIAGE)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
RegionCode = Annotated[str, Path(pattern=REGION_CODE)]


def client_of(request: Request) -> str:
    """Return the client address of a request (hashed before it is stored anywhere)."""
    return request.client.host if request.client else "unknown"


def _secret(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.resolved_secret()


def form_client(request: Request) -> str:
    """Return the hashed client the form token is bound to."""
    return ratelimit.client_key(client_of(request), "report-form")


def _limit(uow: Any, request: Request, purpose: str, limit: int) -> None:
    """Count a hit of this client for a purpose and keep it even if the request then fails."""
    key = ratelimit.client_key(client_of(request), purpose)
    ratelimit.hit(uow.session, key=key, limit=limit, window=HOUR)
    uow.commit()


# --- public --------------------------------------------------------------------------------


@router.get("/public/reports/form")
def report_form_token(request: Request) -> FormTokenRead:
    """Return a signed token to send with a report or an upload (valid for a few hours)."""
    return FormTokenRead(form_token=_tracking.form_token(_secret(request), form_client(request)))


@router.post("/public/reports", status_code=status.HTTP_201_CREATED)
def submit_report(
    request: Request, response: Response, uow: UoW, body: ReportCreate
) -> ReportReceipt:
    """File a report without logging in; the answer holds the tracking code, shown only once."""
    response.headers["Cache-Control"] = "no-store"
    service.check_form(_secret(request), form_client(request), body)
    _limit(uow, request, "report-submit", service.handling().reports_per_hour)
    report, code = service.submit_report(uow.session, data=body, request_id=request_id_of(request))
    uow.commit()
    return ReportReceipt(
        tracking_code=code,
        received_on=local_today(report.received_at),
        due_on=report.due_on,
    )


@router.post("/public/reports/track")
def track_report(request: Request, response: Response, uow: UoW, body: TrackRequest) -> TrackRead:
    """Show the progress of a report by its tracking code (the same shape for unknown codes)."""
    response.headers["Cache-Control"] = "no-store"
    _limit(uow, request, "report-track", service.handling().tracking_per_hour)
    return service.track(uow.session, code=body.code)


@router.post("/public/attachments", status_code=status.HTTP_201_CREATED, openapi_extra=_UPLOAD_BODY)
def upload_public_photo(
    request: Request,
    uow: UoW,
    upload: Annotated[tuple[bytes, str], Depends(_uploaded_file)],
    x_form_token: Annotated[str, Header(max_length=80)] = "",
) -> PublicUploadRead:
    """Upload a photo for a report (JPEG, PNG or WebP); only a report can claim it."""
    max_age = service.handling().form_token_hours * 3600
    if not _tracking.form_token_valid(
        _secret(request), form_client(request), x_form_token, max_age_seconds=max_age
    ):
        raise InvalidInput("the form expired; reload the page and try again", field="form_token")
    _limit(uow, request, "report-upload", service.handling().uploads_per_hour)
    settings: Settings = request.app.state.settings
    data, filename = upload
    attachment = service.upload_public(
        uow.session, data_dir=settings.data_dir, data=data, filename=filename,
        request_id=request_id_of(request),
    )  # fmt: skip
    uow.commit()
    return PublicUploadRead(
        id=attachment.id, content_type=attachment.content_type, size=attachment.size
    )


# --- bureau --------------------------------------------------------------------------------


@router.get("/reports", dependencies=TRIAGE)
def list_reports(
    uow: UoW,
    actor: CurrentActor,
    status: ReportStatus | None = None,
    reward_status: RewardStatus | None = None,
    overdue: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportList:
    """List the reports of the caller's region subtree, newest first."""
    rows, total = service.list_reports(
        uow.session, actor=actor, status=status, reward_status=reward_status,
        overdue=overdue or None, limit=limit, offset=offset,
    )  # fmt: skip
    items = [service.to_read(r, actor=actor) for r in rows]
    return ReportList(items=items, total=total, limit=limit, offset=offset)


@router.get("/reports/{report_id}", dependencies=TRIAGE)
def get_report(uow: UoW, actor: CurrentActor, report_id: uuid.UUID) -> ReportRead:
    """Return one report."""
    report = service.get_report(uow.session, actor=actor, report_id=report_id)
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/accept", dependencies=TRIAGE)
def accept_report(
    uow: UoW, actor: CurrentActor, report_id: uuid.UUID, body: AcceptBody
) -> ReportRead:
    """Accept a report: a hazard (source public_report) is filed against the enterprise."""
    report = service.accept(uow.session, actor=actor, report_id=report_id, data=body)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/reject", dependencies=TRIAGE)
def reject_report(
    uow: UoW, actor: CurrentActor, report_id: uuid.UUID, body: RejectBody
) -> ReportRead:
    """Reject a report (不予受理) with the reason."""
    report = service.reject(uow.session, actor=actor, report_id=report_id, data=body)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/extend", dependencies=TRIAGE)
def extend_report(
    uow: UoW, actor: CurrentActor, report_id: uuid.UUID, body: ExtendBody
) -> ReportRead:
    """Extend the handling time limit once, with the reason."""
    report = service.extend(uow.session, actor=actor, report_id=report_id, data=body)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/conclude", dependencies=TRIAGE)
def conclude_report(
    uow: UoW, actor: CurrentActor, report_id: uuid.UUID, body: ConcludeBody
) -> ReportRead:
    """Conclude the verification: true or not, with the note for the reporter."""
    report = service.conclude(uow.session, actor=actor, report_id=report_id, data=body)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/reward/propose", dependencies=[_needs(Permission.REWARD_MANAGE)])
def propose_reward(
    uow: UoW, actor: CurrentActor, report_id: uuid.UUID, body: RewardProposeBody
) -> ReportRead:
    """Propose the reward; the amount is computed from the region's rules."""
    report = service.propose_reward(uow.session, actor=actor, report_id=report_id, data=body)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post(
    "/reports/{report_id}/reward/approve", dependencies=[_needs(Permission.REWARD_APPROVE)]
)
def approve_reward(
    uow: UoW, actor: CurrentActor, report_id: uuid.UUID, body: RewardDecisionBody
) -> ReportRead:
    """Approve (or, with ``approve`` false, refuse) a proposed reward; not by its proposer."""
    report = service.decide_reward(
        uow.session, actor=actor, report_id=report_id, approve=body.approve
    )
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/reward/notify", dependencies=[_needs(Permission.REWARD_MANAGE)])
def notify_reward(uow: UoW, actor: CurrentActor, report_id: uuid.UUID) -> ReportRead:
    """Record the 领奖通知; the claim window starts."""
    report = service.notify_reward(uow.session, actor=actor, report_id=report_id)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.post("/reports/{report_id}/reward/paid", dependencies=[_needs(Permission.REWARD_MANAGE)])
def reward_paid(uow: UoW, actor: CurrentActor, report_id: uuid.UUID) -> ReportRead:
    """Record that the reward was paid."""
    report = service.pay_reward(uow.session, actor=actor, report_id=report_id)
    uow.commit()
    return service.to_read(report, actor=actor)


@router.get("/reward-rules/{region_code}")
def get_reward_rules(uow: UoW, actor: CurrentActor, region_code: RegionCode) -> RewardRulesRead:
    """Return the reward rules in force in a region (its own, an ancestor's or the national)."""
    return service.get_rules(uow.session, actor=actor, region_code=region_code)


@router.put("/reward-rules/{region_code}", dependencies=[_needs(Permission.REWARD_MANAGE)])
def put_reward_rules(
    uow: UoW, actor: CurrentActor, region_code: RegionCode, body: RewardRulesWrite
) -> RewardRulesRead:
    """Set a region's own reward rules (its local 办法)."""
    result = service.set_rules(uow.session, actor=actor, region_code=region_code, data=body)
    uow.commit()
    return result
