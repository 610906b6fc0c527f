"""Routes without a login: providers' callbacks, and the signed acknowledgement link's JSON API.

Providers call back (``/api/warnings/callbacks/…``) with delivery reports, SMS replies and key
presses; each body is checked against the channel's configured signature (401 when it is bad,
missing or stale; 400 when the body cannot be read) before anything is stored. Reports only
settle attempts; replies carrying a reply code and presses of an acknowledging key answer the
warning (叫应). A batch with items naming nothing of ours is still accepted (200, counted as
unmatched), so a provider does not retry it forever.

The link's holder reads the warning (GET: never acknowledges, as link previewers fetch links),
acknowledges it (POST) and reports evacuations.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Final, TypeVar

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.core.errors import DomainError, InvalidInput, NotAuthenticated, NotFound
from yingji.core.http import UoW
from yingji.warnings._ack import (
    AckResult,
    TargetView,
    acknowledge_by_key,
    acknowledge_by_token,
    acknowledge_replies,
    target_by_token,
    target_for_token,
)
from yingji.warnings._d_send import apply_reports
from yingji.warnings._feedback import report_evacuation
from yingji.warnings.channels import CallbackRejected, ChannelsConfig, SignatureInvalid
from yingji.warnings.channels import sms as sms_channel
from yingji.warnings.channels import voice as voice_channel
from yingji.warnings.schemas import EvacuationInput

router = APIRouter(tags=["warnings"])
MAX_CALLBACK_BYTES: Final = 1024 * 1024
Token = Annotated[str, Path(min_length=1, max_length=100)]
R = TypeVar("R")


class CallbackResult(BaseModel):
    """What a provider callback did."""

    received: int
    updated: int = 0
    acknowledged: int = 0
    unmatched: int = 0


class EvacuationRead(BaseModel):
    """A recorded evacuation report."""

    id: uuid.UUID
    region_code: str
    evacuated: int
    shelter: str | None


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _config(request: Request) -> ChannelsConfig:
    """Return the channels' configuration, validated once per application."""
    config: ChannelsConfig | None = getattr(request.app.state, "warning_channels", None)
    if config is None:
        config = ChannelsConfig.model_validate(_settings(request).channels)
        request.app.state.warning_channels = config
    return config


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        raise InvalidInput(f"a callback is at most {MAX_CALLBACK_BYTES} bytes", field="body")
    return body


def _parse(parse: Callable[[], list[R]]) -> list[R]:
    """Run a callback parser; a bad signature is 401, an unreadable body 400."""
    try:
        return parse()
    except SignatureInvalid as exc:
        raise NotAuthenticated(f"callback refused: {exc.reason}") from None
    except CallbackRejected as exc:
        raise DomainError(f"callback refused: {exc.reason}", field="body") from None


@router.post("/api/warnings/callbacks/sms/reports", response_model=CallbackResult)
async def sms_reports(uow: UoW, request: Request) -> CallbackResult:
    """The SMS gateway's delivery reports (delivered, failed): never acknowledgements."""
    body, config = await _body(request), _config(request).sms
    reports = _parse(lambda: sms_channel.parse_reports(config, body=body, headers=request.headers))
    updated, unmatched = apply_reports(uow.session, reports)
    uow.commit()
    return CallbackResult(received=len(reports), updated=updated, unmatched=unmatched)


@router.post("/api/warnings/callbacks/sms/replies", response_model=CallbackResult)
async def sms_replies(uow: UoW, request: Request) -> CallbackResult:
    """Inbound SMS: a reply carrying a target's reply code acknowledges it (回复码叫应)."""
    body, config = await _body(request), _config(request).sms
    replies = _parse(lambda: sms_channel.parse_replies(config, body=body, headers=request.headers))
    results = acknowledge_replies(uow.session, replies=replies, now=utcnow())
    uow.commit()
    acknowledged = sum(r.outcome == "acknowledged" for r in results)
    return CallbackResult(received=len(replies), acknowledged=acknowledged,
                          unmatched=max(0, len(replies) - len(results)))  # fmt: skip


@router.post("/api/warnings/callbacks/voice/reports", response_model=CallbackResult)
async def voice_reports(uow: UoW, request: Request) -> CallbackResult:
    """The voice gateway's call results (answered, busy, no answer): never acknowledgements."""
    body, config = await _body(request), _config(request).voice
    reports = _parse(
        lambda: voice_channel.parse_reports(config, body=body, headers=request.headers)
    )
    updated, unmatched = apply_reports(uow.session, reports)
    uow.commit()
    return CallbackResult(received=len(reports), updated=updated, unmatched=unmatched)


@router.post("/api/warnings/callbacks/voice/keys", response_model=CallbackResult)
async def voice_keys(uow: UoW, request: Request) -> CallbackResult:
    """Keys pressed during warning calls: an acknowledging key answers the warning (按1确认)."""
    body, config = await _body(request), _config(request).voice
    presses = _parse(
        lambda: voice_channel.parse_key_presses(config, body=body, headers=request.headers)
    )
    acknowledged = unmatched = 0
    now = utcnow()
    for press in presses:
        try:
            result = acknowledge_by_key(
                uow.session, delivery_id=press.delivery_id, call_id=press.call_id,
                digits=press.digits, now=now, ack_digits=config.ack_digits,
            )  # fmt: skip
        except NotFound:
            unmatched += 1
            continue
        acknowledged += result is not None and result.outcome == "acknowledged"
    uow.commit()
    return CallbackResult(received=len(presses), acknowledged=acknowledged, unmatched=unmatched)


@router.get("/api/warnings/ack/{token}", response_model=TargetView)
def ack_view(uow: UoW, request: Request, token: Token) -> TargetView:
    """The warning a link was sent with, and where its answer stands (does not acknowledge)."""
    return target_for_token(uow.session, token=token, settings=_settings(request))


@router.post("/api/warnings/ack/{token}", response_model=AckResult)
def ack(uow: UoW, request: Request, token: Token) -> AckResult:
    """Acknowledge the warning (叫应) by its signed link; a second time says so."""
    client = request.client.host if request.client else None
    result = acknowledge_by_token(uow.session, token=token, now=utcnow(), ip=client,
                                  settings=_settings(request))  # fmt: skip
    uow.commit()
    return result


@router.post("/api/warnings/ack/{token}/evacuations", response_model=EvacuationRead,
             status_code=201)  # fmt: skip
def ack_evacuation(
    uow: UoW, request: Request, token: Token, data: EvacuationInput
) -> EvacuationRead:
    """Report people evacuated, as the link's holder (for the link's region or below)."""
    settings = _settings(request)
    target = target_by_token(uow.session, token=token, settings=settings)
    report = report_evacuation(
        uow.session, warning_id=target.warning_id, data=data, token=token, settings=settings,
        now=utcnow(),
    )  # fmt: skip
    uow.commit()
    return EvacuationRead(id=report.id, region_code=report.region_code,
                          evacuated=report.evacuated, shelter=report.shelter)  # fmt: skip
