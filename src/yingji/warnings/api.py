"""HTTP routes of early warnings: authoring and approval, CAP export and import, public feed.

The ``/api/public/warnings`` operations need no login: warnings in force are public (突发事件
应对法 第65条), as CAP 1.2 and an Atom feed. Everything else needs the permissions of
``core.auth.roles`` in the actor's region.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.http import UoW
from yingji.warnings import service
from yingji.warnings.config import rules
from yingji.warnings.schemas import Decision, WarningDraft, WarningRead, WarningUpdate
from yingji.warnings.states import WarningStatus

router = APIRouter(tags=["warnings"])
CAP_TYPE: Final = "application/cap+xml"
MAX_CAP_BYTES: Final = 2 * 1024 * 1024


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class TemplateRead(BaseModel):
    """A hazard type's template for authors."""

    hazard_type: str
    event: str
    event_en: str
    duty_type: str
    description: str
    instruction: str
    description_en: str
    instruction_en: str


class MessageRead(BaseModel):
    """One CAP message of a warning."""

    id: uuid.UUID
    sender: str
    identifier: str
    msg_type: str
    sent: Any
    signed: bool
    version: int


class ImportRead(BaseModel):
    """What importing a CAP message did."""

    outcome: str
    identifier: str
    sender: str
    msg_type: str
    warning_id: uuid.UUID | None
    signature: str
    notes: list[str]


@router.get("/api/warnings/templates", response_model=list[TemplateRead])
def templates(actor: CurrentActor) -> list[TemplateRead]:
    """The hazard types a warning may be written from, with their default texts."""
    actor.require(Permission.WARNING_DRAFT)
    return [
        TemplateRead(
            hazard_type=t.hazard_type, event=t.event, event_en=t.event_en,
            duty_type=t.duty_type.value, description=t.description, instruction=t.instruction,
            description_en=t.description_en, instruction_en=t.instruction_en,
        )
        for t in rules().templates.values()
    ]  # fmt: skip


@router.post("/api/warnings", response_model=WarningRead, status_code=status.HTTP_201_CREATED)
def create(uow: UoW, actor: CurrentActor, data: WarningDraft, request: Request) -> WarningRead:
    """Write a new draft warning."""
    warning = service.create_draft(uow.session, actor=actor, data=data,
                                   settings=_settings(request))  # fmt: skip
    uow.commit()
    return WarningRead.model_validate(warning)


@router.get("/api/warnings", response_model=list[WarningRead])
def index(
    uow: UoW,
    actor: CurrentActor,
    status_: Annotated[WarningStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[WarningRead]:
    """The warnings you may read, newest first."""
    found = service.list_warnings(uow.session, actor=actor, status=status_, limit=limit,
                                  offset=offset)  # fmt: skip
    return [WarningRead.model_validate(w) for w in found]


@router.get("/api/warnings/{warning_id}", response_model=WarningRead)
def show(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID) -> WarningRead:
    """One warning."""
    return WarningRead.model_validate(
        service.get_warning(uow.session, actor=actor, warning_id=warning_id)
    )


@router.put("/api/warnings/{warning_id}", response_model=WarningRead)
def edit(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID, data: WarningDraft) -> WarningRead:
    """Replace a draft's fields."""
    warning = service.edit_draft(uow.session, actor=actor, warning_id=warning_id, data=data)
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/submit", response_model=WarningRead)
def submit(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID) -> WarningRead:
    """Send a draft for approval."""
    warning = service.submit(uow.session, actor=actor, warning_id=warning_id)
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/reject", response_model=WarningRead)
def reject(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID, data: Decision) -> WarningRead:
    """Send a submitted warning back to its author."""
    warning = service.reject(uow.session, actor=actor, warning_id=warning_id, note=data.note)
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/approve", response_model=WarningRead)
def approve(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID, request: Request) -> WarningRead:
    """Approve and issue: publish the CAP Alert and start 叫应."""
    warning = service.approve(uow.session, actor=actor, warning_id=warning_id,
                              settings=_settings(request))  # fmt: skip
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/update", response_model=WarningRead)
def update(
    uow: UoW, actor: CurrentActor, warning_id: uuid.UUID, data: WarningUpdate, request: Request
) -> WarningRead:
    """Change an issued warning (level, area, times, texts) and re-issue it."""
    warning = service.update_issued(uow.session, actor=actor, warning_id=warning_id, data=data,
                                    settings=_settings(request))  # fmt: skip
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/lift", response_model=WarningRead)
def lift(
    uow: UoW, actor: CurrentActor, warning_id: uuid.UUID, data: Decision, request: Request
) -> WarningRead:
    """Lift (解除) a warning in force."""
    warning = service.lift(uow.session, actor=actor, warning_id=warning_id,
                           settings=_settings(request), note=data.note)  # fmt: skip
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/cancel", response_model=WarningRead)
def cancel(
    uow: UoW, actor: CurrentActor, warning_id: uuid.UUID, data: Decision, request: Request
) -> WarningRead:
    """Withdraw a draft, or cancel an issued warning sent in error."""
    warning = service.cancel(uow.session, actor=actor, warning_id=warning_id,
                             settings=_settings(request), note=data.note)  # fmt: skip
    uow.commit()
    return WarningRead.model_validate(warning)


@router.post("/api/warnings/{warning_id}/response", response_model=WarningRead)
def response_started(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID) -> WarningRead:
    """Record that the emergency response for this warning has started (响应联动)."""
    warning = service.mark_response_started(uow.session, actor=actor, warning_id=warning_id)
    uow.commit()
    return WarningRead.model_validate(warning)


@router.get("/api/warnings/{warning_id}/messages", response_model=list[MessageRead])
def warning_messages(uow: UoW, actor: CurrentActor, warning_id: uuid.UUID) -> list[MessageRead]:
    """The CAP messages a warning has published (or that were imported for it)."""
    service.get_warning(uow.session, actor=actor, warning_id=warning_id)
    return [
        MessageRead(
            id=m.id,
            sender=m.sender,
            identifier=m.identifier,
            msg_type=m.msg_type,
            sent=m.sent,
            signed=m.signed,
            version=m.version,
        )
        for m in service.messages(uow.session, warning_id=warning_id)
    ]


@router.post(
    "/api/warnings/import",
    response_model=ImportRead,
    openapi_extra={"requestBody": {"content": {CAP_TYPE: {"schema": {"type": "string"}}}}},
)
async def import_cap(uow: UoW, actor: CurrentActor, request: Request) -> ImportRead:
    """Import one external CAP 1.2 message (body: the XML); validated, deduplicated, applied."""
    body = await request.body()
    if not body:
        raise InvalidInput("send the CAP XML as the request body", field="body")
    if len(body) > MAX_CAP_BYTES:
        raise InvalidInput(f"a CAP message is at most {MAX_CAP_BYTES} bytes", field="body")
    result = service.import_cap(uow.session, actor=actor, data=body,
                                settings=_settings(request))  # fmt: skip
    uow.commit()
    return ImportRead(**{**asdict(result), "notes": list(result.notes)})


# --- public -----------------------------------------------------------------------------------


class PublicWarning(BaseModel):
    """A warning in force, as the public sees it."""

    id: uuid.UUID
    identifier: str
    event: str
    event_en: str | None
    level: int
    onset: Any
    expires: Any
    area_desc: str
    area_shapes: list[dict[str, Any]]
    description: str
    instruction: str
    sender_name: str
    issued_at: Any
    cap_url: str | None


@router.get("/api/public/warnings", response_model=list[PublicWarning])
def public_list(uow: UoW) -> list[PublicWarning]:
    """The warnings in force, most severe first (no login)."""
    out = []
    for w in service.public_warnings(uow.session):
        latest = service.messages(uow.session, warning_id=w.id)
        out.append(
            PublicWarning(
                id=w.id, identifier=w.identifier, event=w.event, event_en=w.event_en,
                level=w.level, onset=w.onset, expires=w.expires, area_desc=w.area_desc,
                area_shapes=w.area_shapes, description=w.description,
                instruction=w.instruction, sender_name=w.sender_name, issued_at=w.issued_at,
                cap_url=f"/api/public/warnings/cap/{latest[-1].id}" if latest else None,
            )
        )  # fmt: skip
    return out


@router.get("/api/public/warnings/feed", response_class=Response)
def public_feed(uow: UoW, request: Request) -> Response:
    """The Atom feed of the warnings in force, each linking its CAP message (no login)."""
    body = service.feed_xml(uow.session, settings=_settings(request), now=utcnow())
    return Response(body, media_type="application/atom+xml")


@router.get("/api/public/warnings/cap/{message_id}", response_class=Response)
def public_cap(uow: UoW, message_id: uuid.UUID) -> Response:
    """One published CAP 1.2 message, signed as sent (no login)."""
    message = service.public_message(uow.session, message_id=message_id)
    warning = service.warning_of_message(uow.session, message=message)
    if warning.status not in ("issued", "lifted", "cancelled") or warning.source != "local":
        raise NotFound("no such CAP message", entity="cap_message", id=str(message_id))
    return Response(message.xml.encode("utf-8"), media_type=CAP_TYPE)
