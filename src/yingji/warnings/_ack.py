"""Acknowledgements (叫应): a tap on the signed link, an SMS reply code, a key press, in-app.

Only a person's act acknowledges; a delivery receipt never does. Every way ends in
``acknowledge``: the target moves along the transition table (pending or escalated →
acknowledged; an answer after escalation is recorded as late), its ladder stops, one audit
entry per warning and call lists the answers, and each answer is a ``TargetAcknowledged``
event. Answering twice changes nothing and says "already acknowledged"; a target closed by
the warning's end cannot answer any more. Targets are read ``FOR UPDATE`` (PostgreSQL), so an
answer and the dispatcher never overwrite each other's change.

Opening the link (``target_for_token``, a GET) only shows the warning: link previewers and
mail scanners fetch links, so acknowledging takes a POST.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.errors import Forbidden, NotFound
from yingji.warnings._d_bulk import Encoder, record_events
from yingji.warnings._d_people import chunks
from yingji.warnings._tokens import key_of, target_id_of, verify_token
from yingji.warnings.channels import ChannelName, Reply
from yingji.warnings.events import TargetAcknowledged
from yingji.warnings.models import DeliveryAttempt, EarlyWarning, WarningTarget
from yingji.warnings.schemas import TargetKind
from yingji.warnings.states import (
    ENTITY,
    TARGET_ENTITY,
    TargetAction,
    TargetStatus,
    WarningStatus,
    next_target_status,
)

LINK = "link"  # the channel recorded for an answer by the signed link


class AckOutcome(StrEnum):
    """What an acknowledgement came to."""

    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already_acknowledged"
    CLOSED = "closed"  # the warning ended first: nothing to answer
    NOT_ASKED = "not_asked"  # a member of the public: told, never asked


class AckResult(BaseModel):
    """The outcome of one acknowledgement."""

    model_config = ConfigDict(frozen=True)

    target_id: uuid.UUID
    warning_id: uuid.UUID
    outcome: AckOutcome
    late: bool
    channel: str | None
    acknowledged_at: datetime | None


class TargetView(BaseModel):
    """What the acknowledgement page shows before the person taps."""

    target_id: uuid.UUID
    name: str
    kind: TargetKind
    title: str | None
    region_code: str
    status: TargetStatus
    must_acknowledge: bool
    deadline_at: datetime
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    warning_id: uuid.UUID
    identifier: str
    warning_status: WarningStatus
    event: str
    level: int
    area_desc: str
    description: str
    instruction: str
    sender_name: str
    issued_at: datetime | None
    updated_issue_at: datetime | None
    # The English block of the warning (CAP's en info), where the author wrote one.
    event_en: str | None = None
    description_en: str | None = None
    instruction_en: str | None = None
    sender_name_en: str | None = None


@dataclass(slots=True)
class Answerable:
    """A target row read for an answer (locked ``FOR UPDATE`` on PostgreSQL)."""

    id: uuid.UUID
    warning_id: uuid.UUID
    status: str
    must_acknowledge: bool
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    ack_channel: str | None
    name: str
    region_code: str
    region_path: str
    mobile: str | None
    reply_code: str
    user_id: uuid.UUID | None


T = WarningTarget
_ANSWERABLE = (
    T.id, T.warning_id, T.status, T.must_acknowledge, T.escalated_at, T.acknowledged_at,
    T.ack_channel, T.name, T.region_code, T.region_path, T.mobile, T.reply_code, T.user_id,
)  # fmt: skip
_ANSWER = (
    ("status", "varchar"), ("acknowledged_at", "timestamptz"), ("ack_channel", "varchar"),
    ("next_action_at", "timestamptz"),
)  # fmt: skip


def _answerable(session: Session, *where: Any, join_warning: bool = False) -> list[Answerable]:
    """Return the target rows matching conditions, locked for this transaction."""
    query = select(*_ANSWERABLE).where(*where).with_for_update(of=WarningTarget)
    if join_warning:
        query = query.join(EarlyWarning, EarlyWarning.id == WarningTarget.warning_id)
    return [Answerable(**row._asdict()) for row in session.execute(query)]


def _actor(name: str, source: str, target: Answerable | None = None) -> Actor:
    """Return the actor of an answer given without a login (link, SMS, call)."""
    return Actor(
        role=Role.PUBLIC,
        username=name[:200],
        region_code=target.region_code if target else None,
        region_path=target.region_path if target else "\x00",
        source=source,
    )


def acknowledge(
    session: Session,
    targets: Sequence[Answerable],
    *,
    channel: str,
    now: datetime,
    actor: Actor,
    detail: dict[str, object] | None = None,
) -> list[AckResult]:
    """Acknowledge locked targets; audit and stage events; never commits."""
    results: list[AckResult] = []
    changed: dict[uuid.UUID, list[tuple[Answerable, bool]]] = defaultdict(list)
    for target in targets:
        status = TargetStatus(target.status)
        late = target.escalated_at is not None
        if not target.must_acknowledge:
            outcome, late = AckOutcome.NOT_ASKED, False
        elif status is TargetStatus.ACKNOWLEDGED:
            outcome = AckOutcome.ALREADY
        elif status is TargetStatus.CLOSED:
            outcome, late = AckOutcome.CLOSED, False
        else:
            new = next_target_status(status, TargetAction.ACKNOWLEDGE)
            late = status is TargetStatus.ESCALATED
            target.status, target.acknowledged_at, target.ack_channel = new.value, now, channel
            changed[target.warning_id].append((target, late))
            outcome = AckOutcome.ACKNOWLEDGED
        results.append(
            AckResult.model_construct(
                target_id=target.id, warning_id=target.warning_id, outcome=outcome, late=late,
                channel=target.ack_channel, acknowledged_at=target.acknowledged_at,
            )
        )  # fmt: skip
    answered = [t for group in changed.values() for t, _ in group]
    if answered:
        rows = [(t.id, t.status, t.acknowledged_at, t.ack_channel, None) for t in answered]
        Encoder(session).update("warning_targets", _ANSWER, rows)
        _forget(session, [t.id for t in answered])
        for warning_id, answers in changed.items():
            _record(session, warning_id, answers, channel=channel, now=now, actor=actor,
                    detail=detail or {})  # fmt: skip
    return results


def _forget(session: Session, target_ids: Sequence[uuid.UUID]) -> None:
    """Expire loaded copies of rows changed behind the ORM's back."""
    for target_id in target_ids:
        loaded = session.identity_map.get(identity_key(WarningTarget, target_id))
        if loaded is not None:
            session.expire(loaded)


def _record(
    session: Session,
    warning_id: uuid.UUID,
    answers: list[tuple[Answerable, bool]],
    *,
    channel: str,
    now: datetime,
    actor: Actor,
    detail: dict[str, object],
) -> None:
    entries = [
        {"target": str(t.id), "name": t.name, "region": t.region_code, "late": late}
        for t, late in answers
    ]
    after = {"channel": channel, "at": now.isoformat(), "acknowledged": entries, **detail}
    path: str | None
    if len(answers) == 1:
        target = answers[0][0]
        kind, entity_id, path = TARGET_ENTITY, target.id, target.region_path
    else:
        warning = session.get(EarlyWarning, warning_id)
        kind, entity_id = ENTITY, warning_id
        path = warning.region_path if warning is not None else None
    record_change(
        session, actor=actor, action="warning_target.acknowledged", entity_type=kind,
        entity_id=entity_id, region_path=path, before={"status": "pending or escalated"},
        after=after,
    )  # fmt: skip
    record_events(
        session,
        [
            TargetAcknowledged(warning_id=warning_id, target_id=target.id, channel=channel,
                               late=late, region_code=target.region_code)
            for target, late in answers
        ],
        actor=actor,
    )  # fmt: skip


def _locked(session: Session, target_id: uuid.UUID) -> Answerable | None:
    found = _answerable(session, WarningTarget.id == target_id)
    return found[0] if found else None


def target_by_token(session: Session, *, token: str, settings: Settings) -> WarningTarget:
    """Return the target a signed token names, or raise NotFound (bad, forged or revoked)."""
    target_id = target_id_of(token)
    target = session.get(WarningTarget, target_id) if target_id is not None else None
    if target is None or not verify_token(key_of(settings), token, target.id, target.token_nonce):
        raise NotFound("this acknowledgement link is not valid", entity=TARGET_ENTITY)
    return target


def target_for_token(session: Session, *, token: str, settings: Settings) -> TargetView:
    """Return what the link's page shows; reading it never acknowledges anything."""
    target = target_by_token(session, token=token, settings=settings)
    warning = session.get(EarlyWarning, target.warning_id)
    assert warning is not None  # warnings are never deleted (models.WarningTarget.warning_id)
    return TargetView(
        target_id=target.id, name=target.name, kind=TargetKind(target.kind), title=target.title,
        region_code=target.region_code, status=TargetStatus(target.status),
        must_acknowledge=target.must_acknowledge, deadline_at=target.deadline_at,
        escalated_at=target.escalated_at, acknowledged_at=target.acknowledged_at,
        warning_id=warning.id, identifier=warning.identifier,
        warning_status=WarningStatus(warning.status), event=warning.event, level=warning.level,
        area_desc=warning.area_desc, description=warning.description,
        instruction=warning.instruction, sender_name=warning.sender_name,
        event_en=warning.event_en, description_en=warning.description_en,
        instruction_en=warning.instruction_en, sender_name_en=warning.sender_name_en,
        issued_at=warning.issued_at, updated_issue_at=warning.updated_issue_at,
    )  # fmt: skip


def acknowledge_by_token(
    session: Session, *, token: str, now: datetime, ip: str | None, settings: Settings
) -> AckResult:
    """Acknowledge by the signed link (POST); a second use says "already acknowledged"."""
    found = target_by_token(session, token=token, settings=settings)
    target = _locked(session, found.id)
    assert target is not None
    actor = _actor(f"{target.name} (link)", "ack-link", target)
    [result] = acknowledge(session, [target], channel=LINK, now=now, actor=actor,
                           detail={"ip": ip})  # fmt: skip
    return result


def acknowledge_replies(
    session: Session, *, replies: Sequence[Reply], now: datetime
) -> list[AckResult]:
    """Acknowledge by SMS replies: a reply's code names the phone's target of a warning in force.

    A reply without a known code acknowledges nothing (it is not an error: people write
    anything). Returns the outcome of each matched target.
    """
    wanted = [(r.phone, code) for r in replies for code in r.codes]
    if not wanted:
        return []
    phones = sorted({p for p, _ in wanted})
    codes = sorted({c for _, c in wanted})
    found: dict[tuple[str, str], list[Answerable]] = defaultdict(list)
    for part in chunks(phones):
        rows = _answerable(
            session,
            WarningTarget.mobile.in_(part),
            WarningTarget.reply_code.in_(codes),
            WarningTarget.must_acknowledge.is_(True),
            EarlyWarning.status == WarningStatus.ISSUED.value,
            join_warning=True,
        )
        for target in rows:
            found[(target.mobile or "", target.reply_code)].append(target)
    chosen: dict[uuid.UUID, Answerable] = {}
    for reply in replies:
        for code in reply.codes:
            matches = found.get((reply.phone, code), [])
            if matches:
                for target in matches:
                    chosen.setdefault(target.id, target)
                break
    if not chosen:
        return []
    actor = _actor("sms-reply", "sms")
    return acknowledge(session, list(chosen.values()), channel=ChannelName.SMS.value, now=now,
                       actor=actor)  # fmt: skip


def acknowledge_by_reply(
    session: Session, *, phone: str, code: str, now: datetime
) -> list[AckResult]:
    """Acknowledge by one SMS reply code from a phone; empty when the code names nothing."""
    reply = Reply(phone=phone, text=code, received_at=now, codes=(code.strip(),))
    return acknowledge_replies(session, replies=[reply], now=now)


def attempt_of_call(
    session: Session, *, delivery_id: str | None, call_id: str | None
) -> DeliveryAttempt | None:
    """Return the voice attempt a key press names: our delivery id, else the provider's call id."""
    if delivery_id:
        try:
            attempt = session.get(DeliveryAttempt, uuid.UUID(delivery_id))
        except ValueError:
            attempt = None
        if attempt is not None:
            return attempt if attempt.channel == ChannelName.VOICE.value else None
    provider_id = call_id or delivery_id
    if not provider_id:
        return None
    return session.scalar(
        select(DeliveryAttempt).where(
            DeliveryAttempt.provider_message_id == provider_id,
            DeliveryAttempt.channel == ChannelName.VOICE.value,
        )
    )


def acknowledge_by_key(
    session: Session,
    *,
    delivery_id: str | None,
    digits: str,
    now: datetime,
    call_id: str | None = None,
    ack_digits: Collection[str] = ("1",),
) -> AckResult | None:
    """Acknowledge by a key press during a warning call; None if no acknowledging key was pressed.

    Raises NotFound when the call is not one of ours.
    """
    attempt = attempt_of_call(session, delivery_id=delivery_id, call_id=call_id)
    if attempt is None:
        raise NotFound("no such warning call", entity="warning_delivery")
    if not any(key in ack_digits for key in digits):
        return None
    target = _locked(session, attempt.target_id)
    assert target is not None  # a foreign key
    actor = _actor(f"{target.name} (voice)", "voice", target)
    [result] = acknowledge(session, [target], channel=ChannelName.VOICE.value, now=now,
                           actor=actor, detail={"digits": digits})  # fmt: skip
    return result


def acknowledge_in_app(
    session: Session, *, actor: Actor, target_id: uuid.UUID, now: datetime
) -> AckResult:
    """Acknowledge in the app: only the user the warning was sent to may."""
    target = _locked(session, target_id)
    if target is None:
        raise NotFound("no such warning notification", entity=TARGET_ENTITY, id=str(target_id))
    if actor.user_id is None or target.user_id != actor.user_id:
        raise Forbidden("this warning was sent to someone else")
    [result] = acknowledge(session, [target], channel=ChannelName.INAPP.value, now=now,
                           actor=actor)  # fmt: skip
    return result
