"""Writing, approving, issuing, updating, lifting and cancelling warnings (states.TRANSITIONS).

Drafting needs warning:draft and issuing warning:issue, in the actor's region subtree: a
bureau warns only its own area. Issuing (第64条) fixes the 发布时间, identifies and publishes
the CAP Alert and starts the 叫应 of everyone the area covers (``_dispatch``); an update
(第70条 调整) publishes an Update and tells everyone again; lifting (第70条 解除) and
cancelling an issued warning publish a Cancel and close the 叫应. Every step is audited with
before and after, and staged as a ``WarningChanged`` event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.db import new_ordered_id, utcnow
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.regions import service as regions
from yingji.warnings import _dispatch
from yingji.warnings._cap_export import area_geometry, publish_message
from yingji.warnings.cap import MsgType
from yingji.warnings.config import rules
from yingji.warnings.events import WarningChanged
from yingji.warnings.models import EarlyWarning, WarningMessage
from yingji.warnings.schemas import Shape, WarningDraft, WarningUpdate
from yingji.warnings.states import ENTITY, WarningAction, WarningStatus, next_status

FIELDS: Final = (
    "identifier", "hazard_type", "event", "level", "status", "onset", "expires", "area_desc",
    "area_region_codes", "area_shapes", "description", "instruction", "sender_name", "version",
    "issued_at", "ended_at", "event_en", "description_en", "instruction_en",
)  # fmt: skip
DRAFT_PREFIX: Final = "draft:"


def _shapes(shapes: list[Shape]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in shapes]


def _check_area(
    session: Session, actor: Actor, region_codes: list[str], shapes: list[dict[str, Any]]
) -> list[str]:
    """Refuse an area outside the actor's region; return the chosen codes, checked."""
    codes = sorted(set(region_codes))
    for code in codes:
        try:
            path = regions.path_of(session, code)
        except NotFound:
            raise InvalidInput(f"unknown region code {code!r}", field="region_codes") from None
        actor.require_region(path, what="warning area")
    if shapes:
        geometry = area_geometry(shapes)
        if geometry is None or not geometry.is_valid:
            raise InvalidInput("the drawn area is not a valid shape", field="shapes")
        covered = regions.covered_regions(session, geometry=geometry)
        if not any(actor.covers_path(r.path) for r in covered):
            raise InvalidInput("the drawn area lies outside your region", field="shapes")
    return codes


def _english(
    chinese: str | None, english: str | None, template_zh: str, template_en: str | None
) -> str | None:
    """Return a field's English: as given, else the template's if the Chinese is the template's.

    A Chinese text the author wrote is not what the template's English says: such a field has
    no English until the author writes one (the CAP message then has no en block).
    """
    if english:
        return english
    return template_en if chinese in (None, "", template_zh) else None


def create_draft(
    session: Session, *, actor: Actor, data: WarningDraft, settings: Settings
) -> EarlyWarning:
    """Write a new draft from its hazard type's template and the given fields."""
    actor.require(Permission.WARNING_DRAFT)
    template = rules().templates.get(data.hazard_type)
    if template is None:
        known = ", ".join(sorted(rules().templates))
        raise InvalidInput(f"unknown hazard type; one of {known}", field="hazard_type")
    if actor.region_code is None:
        raise Forbidden("a warning is issued by a bureau of a region; you have none")
    shapes = _shapes(data.shapes)
    codes = _check_area(session, actor, data.region_codes, shapes)
    warning_id = new_ordered_id()  # time-ordered: see EarlyWarning.id
    warning = EarlyWarning(
        id=warning_id, identifier=f"{DRAFT_PREFIX}{warning_id}", hazard_type=data.hazard_type,
        duty_type=template.duty_type.value, event=data.event or template.event,
        event_en=_english(data.event, data.event_en, template.event, template.event_en),
        level=data.level,
        status=WarningStatus.DRAFT.value, onset=data.onset, expires=data.expires,
        area_desc=data.area_desc, area_region_codes=codes, area_shapes=shapes,
        description=data.description or template.description,
        instruction=data.instruction or template.instruction,
        description_en=_english(data.description, data.description_en, template.description,
                                template.description_en),
        instruction_en=_english(data.instruction, data.instruction_en, template.instruction,
                                template.instruction_en),
        sender_name=data.sender_name or settings.cap_sender_name,
        sender_name_en=data.sender_name_en or settings.cap_sender_name_en,
        region_code=actor.region_code, region_path=actor.region_path, source="local",
        version=1, created_by=actor.user_id,
    )  # fmt: skip
    session.add(warning)
    session.flush()
    _record(session, actor, warning, "created", None, None)
    return warning


def edit_draft(
    session: Session, *, actor: Actor, warning_id: uuid.UUID, data: WarningDraft
) -> EarlyWarning:
    """Replace the fields of a draft (only a draft can be edited freely)."""
    warning = _writable(session, actor, warning_id, Permission.WARNING_DRAFT)
    if WarningStatus(warning.status) is not WarningStatus.DRAFT:
        raise InvalidInput("only a draft can be edited; update an issued warning", field="status")
    template = rules().templates.get(data.hazard_type)
    if template is None:
        raise InvalidInput("unknown hazard type", field="hazard_type")
    before = snapshot(warning, FIELDS)
    shapes = _shapes(data.shapes)
    warning.area_region_codes = _check_area(session, actor, data.region_codes, shapes)
    warning.area_shapes = shapes
    warning.hazard_type, warning.duty_type = data.hazard_type, template.duty_type.value
    warning.event = data.event or template.event
    warning.event_en = _english(data.event, data.event_en, template.event, template.event_en)
    warning.level, warning.onset, warning.expires = data.level, data.onset, data.expires
    warning.area_desc = data.area_desc
    warning.description = data.description or template.description
    warning.instruction = data.instruction or template.instruction
    warning.description_en = _english(
        data.description, data.description_en, template.description, template.description_en
    )
    warning.instruction_en = _english(
        data.instruction, data.instruction_en, template.instruction, template.instruction_en
    )
    if data.sender_name:
        warning.sender_name = data.sender_name
    session.flush()
    _record(session, actor, warning, "edited", None, before)
    return warning


def submit(session: Session, *, actor: Actor, warning_id: uuid.UUID) -> EarlyWarning:
    """Send a draft for approval."""
    warning = _writable(session, actor, warning_id, Permission.WARNING_DRAFT)
    _move(session, actor, warning, WarningAction.SUBMIT)
    warning.submitted_by = actor.user_id
    return warning


def reject(
    session: Session, *, actor: Actor, warning_id: uuid.UUID, note: str | None = None
) -> EarlyWarning:
    """Send a submitted warning back to its author as a draft."""
    warning = _writable(session, actor, warning_id, Permission.WARNING_ISSUE)
    _move(session, actor, warning, WarningAction.REJECT, note=note)
    return warning


def approve(
    session: Session,
    *,
    actor: Actor,
    warning_id: uuid.UUID,
    settings: Settings,
    now: datetime | None = None,
) -> EarlyWarning:
    """Approve and issue: the 发布时间 is now, the CAP Alert is published, 叫应 starts."""
    moment = now or utcnow()
    warning = _writable(session, actor, warning_id, Permission.WARNING_ISSUE)
    status = WarningStatus(warning.status)
    issued = next_status(status, WarningAction.APPROVE)
    if warning.expires is not None and warning.expires <= moment:
        raise InvalidInput("this warning has already expired; change expires", field="expires")
    before = snapshot(warning, FIELDS)
    warning.status = issued.value
    warning.approved_by, warning.issued_at = actor.user_id, moment
    message = publish_message(
        session, warning=warning, msg_type=MsgType.ALERT, at=moment, settings=settings
    )
    if warning.identifier.startswith(DRAFT_PREFIX):
        warning.identifier = message.identifier
    session.flush()
    _record(session, actor, warning, WarningAction.APPROVE.value, status, before)
    _dispatch.start_targets(session, warning_id=warning.id, now=moment)
    return warning


def update_issued(
    session: Session,
    *,
    actor: Actor,
    warning_id: uuid.UUID,
    data: WarningUpdate,
    settings: Settings,
    now: datetime | None = None,
) -> EarlyWarning:
    """Change an issued warning (第70条 调整) and publish the CAP Update; tell everyone again."""
    moment = now or utcnow()
    warning = _writable(session, actor, warning_id, Permission.WARNING_ISSUE)
    status = WarningStatus(warning.status)
    next_status(status, WarningAction.UPDATE)
    changes = data.model_dump(exclude_unset=True, exclude={"note"})
    if not changes:
        raise InvalidInput("nothing to change", field="level")
    before = snapshot(warning, FIELDS)
    old_level = warning.level
    area_changed = False
    if data.region_codes is not None or data.shapes is not None:
        codes = warning.area_region_codes if data.region_codes is None else data.region_codes
        shapes = warning.area_shapes if data.shapes is None else _shapes(data.shapes)
        if not codes and not shapes:
            raise InvalidInput("a warning needs an area", field="region_codes")
        warning.area_region_codes = _check_area(session, actor, codes, shapes)
        warning.area_shapes = shapes
        area_changed = True
    for name in ("level", "expires", "area_desc", "description", "instruction",
                 "description_en", "instruction_en"):  # fmt: skip
        value = getattr(data, name)
        if value is not None:
            setattr(warning, name, value)
    # The English of a changed Chinese text, unless given anew, no longer says the same: it is
    # dropped, and the CAP Update carries the zh-CN block alone until English is written.
    if data.description is not None and data.description_en is None:
        warning.description_en = None
    if data.instruction is not None and data.instruction_en is None:
        warning.instruction_en = None
    if warning.expires is not None and warning.expires <= warning.onset:
        raise InvalidInput("expires must be after onset", field="expires")
    warning.version += 1
    warning.updated_issue_at = moment
    publish_message(
        session, warning=warning, msg_type=MsgType.UPDATE, at=moment, settings=settings,
        note=data.note,
    )  # fmt: skip
    session.flush()
    _record(session, actor, warning, WarningAction.UPDATE.value, status, before, note=data.note)
    _dispatch.warning_updated(
        session, warning_id=warning.id, now=moment, level_raised=warning.level < old_level,
        area_changed=area_changed,
    )  # fmt: skip
    return warning


def lift(
    session: Session,
    *,
    actor: Actor,
    warning_id: uuid.UUID,
    settings: Settings,
    note: str | None = None,
    now: datetime | None = None,
) -> EarlyWarning:
    """Lift (解除, 第70条) an issued warning: the danger has passed; publish the all-clear."""
    return _end(session, actor, warning_id, WarningAction.LIFT, settings, note, now)


def cancel(
    session: Session,
    *,
    actor: Actor,
    warning_id: uuid.UUID,
    settings: Settings,
    note: str | None = None,
    now: datetime | None = None,
) -> EarlyWarning:
    """Withdraw a draft, or cancel an issued warning (issued in error): publish a Cancel."""
    return _end(session, actor, warning_id, WarningAction.CANCEL, settings, note, now)


def _end(
    session: Session,
    actor: Actor,
    warning_id: uuid.UUID,
    action: WarningAction,
    settings: Settings,
    note: str | None,
    now: datetime | None,
) -> EarlyWarning:
    moment = now or utcnow()
    warning = _load(session, warning_id)
    status = WarningStatus(warning.status)
    needed = Permission.WARNING_ISSUE if status.active else Permission.WARNING_DRAFT
    warning = _writable(session, actor, warning_id, needed)
    before = snapshot(warning, FIELDS)
    warning.status = next_status(status, action).value
    warning.ended_at = moment
    if status.active:
        warning.version += 1
        publish_message(
            session, warning=warning, msg_type=MsgType.CANCEL, at=moment, settings=settings,
            note=note or ("解除 / lifted" if action is WarningAction.LIFT else "撤销 / cancelled"),
            all_clear=action is WarningAction.LIFT,
        )  # fmt: skip
    session.flush()
    _record(session, actor, warning, action.value, status, before, note=note)
    if status.active:
        _dispatch.close_targets(session, warning_id=warning.id, now=moment)
    return warning


def mark_response_started(
    session: Session, *, actor: Actor, warning_id: uuid.UUID, now: datetime | None = None
) -> EarlyWarning:
    """Record that an emergency response has started for an issued warning (响应联动)."""
    warning = _writable(session, actor, warning_id, Permission.WARNING_ISSUE)
    if not WarningStatus(warning.status).active:
        raise InvalidInput("only a warning in force starts a response", field="status")
    if warning.response_started_at is None:
        before = snapshot(warning, FIELDS)
        warning.response_started_at = now or utcnow()
        session.flush()
        _record(session, actor, warning, "response_started", None, before)
    return warning


# --- reading ----------------------------------------------------------------------------------


def _load(session: Session, warning_id: uuid.UUID) -> EarlyWarning:
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise NotFound("no such warning", entity=ENTITY, id=str(warning_id))
    return warning


def _writable(
    session: Session, actor: Actor, warning_id: uuid.UUID, permission: Permission
) -> EarlyWarning:
    actor.require(permission)
    warning = _load(session, warning_id)
    actor.require_region(warning.region_path, what="warning")
    return warning


def readable(actor: Actor) -> Select[EarlyWarning]:
    """Return the select of warnings an actor may read.

    Those issued in the actor's subtree, in any state if they may draft there; and warnings in
    force (or ended) issued by a region above theirs, which apply to them.
    """
    actor.require(Permission.WARNING_READ)
    own = EarlyWarning.region_path.startswith(actor.region_path)
    parts = actor.region_path.strip("/").split("/")
    ancestors = ["/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts))]
    issued = EarlyWarning.status.in_(
        [WarningStatus.ISSUED.value, WarningStatus.LIFTED.value, WarningStatus.CANCELLED.value]
    )
    if actor.scope_for(Permission.WARNING_DRAFT) is None:
        own = own & issued
    above = EarlyWarning.region_path.in_(ancestors) & issued & EarlyWarning.issued_at.is_not(None)
    return select(EarlyWarning).where(or_(own, above))


def get_warning(session: Session, *, actor: Actor, warning_id: uuid.UUID) -> EarlyWarning:
    """Return a warning the actor may read (NotFound otherwise: existence is not disclosed)."""
    warning = session.scalar(readable(actor).where(EarlyWarning.id == warning_id))
    if warning is None:
        raise NotFound("no such warning", entity=ENTITY, id=str(warning_id))
    return warning


def list_warnings(
    session: Session,
    *,
    actor: Actor,
    status: WarningStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[EarlyWarning]:
    """Return the warnings an actor may read, newest first."""
    query = readable(actor)
    if status is not None:
        query = query.where(EarlyWarning.status == status.value)
    query = query.order_by(EarlyWarning.created_at.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def public_warnings(session: Session) -> list[EarlyWarning]:
    """Return the warnings in force, for everyone (public page and feed), most severe first."""
    return list(
        session.scalars(
            select(EarlyWarning)
            .where(EarlyWarning.status == WarningStatus.ISSUED.value)
            .order_by(EarlyWarning.level, EarlyWarning.issued_at.desc())
        )
    )


def messages(session: Session, *, warning_id: uuid.UUID) -> list[WarningMessage]:
    """Return a warning's CAP messages in the order they were sent."""
    return list(
        session.scalars(
            select(WarningMessage)
            .where(WarningMessage.warning_id == warning_id)
            .order_by(WarningMessage.sent, WarningMessage.created_at)
        )
    )


def public_message(session: Session, *, message_id: uuid.UUID) -> WarningMessage:
    """Return a published CAP message (any message of an issued or ended warning)."""
    message = session.get(WarningMessage, message_id)
    if message is None:
        raise NotFound("no such CAP message", entity="cap_message", id=str(message_id))
    return message


# --- audit and events -------------------------------------------------------------------------


def _move(
    session: Session,
    actor: Actor,
    warning: EarlyWarning,
    action: WarningAction,
    *,
    note: str | None = None,
) -> None:
    before = snapshot(warning, FIELDS)
    status = WarningStatus(warning.status)
    warning.status = next_status(status, action).value
    session.flush()
    _record(session, actor, warning, action.value, status, before, note=note)


def _record(
    session: Session,
    actor: Actor,
    warning: EarlyWarning,
    action: str,
    previous: WarningStatus | None,
    before: dict[str, Any] | None,
    *,
    note: str | None = None,
) -> None:
    after = snapshot(warning, FIELDS)
    if note:
        after["note"] = note
    record_change(
        session, actor=actor, action=f"warning.{action}", entity_type=ENTITY,
        entity_id=warning.id, region_path=warning.region_path, before=before, after=after,
    )  # fmt: skip
    record_event(
        session,
        WarningChanged(
            warning_id=warning.id, identifier=warning.identifier, action=action,
            status=warning.status, previous_status=previous.value if previous else None,
            level=warning.level, hazard_type=warning.hazard_type,
            region_code=warning.region_code, version=warning.version,
        ),
        actor=actor,
    )  # fmt: skip
