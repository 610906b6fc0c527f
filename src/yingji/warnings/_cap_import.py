"""Importing external CAP (a meteorological bureau's feed or file): checked, deduplicated, applied.

A message is read safely and validated (``cap.read_alert``: XSD, CAP §3 rules, the signature
when present, trusted signers from ``cap_trusted_certs``); a refused message raises
``CapRejected`` with every element-named reason. A message already imported (same sender and
identifier) changes nothing. An Alert becomes a warning of source ``imported`` awaiting
approval: relaying it to the bureau's responsible persons (叫应) is a decision, so it is not
automatic. An Update or Cancel is applied to the warning its ``references`` name: fields are
replaced (re-issued to everyone if the warning was relayed), or the warning ends. An Update
naming no known warning (a feed joined late) is imported as a new warning; a Cancel naming none
changes nothing ("unmatched").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.core.errors import DomainError
from yingji.core.events import record_event
from yingji.warnings import _dispatch
from yingji.warnings._authoring import FIELDS
from yingji.warnings.cap import (
    Alert,
    CapInvalid,
    Info,
    MsgType,
    Severity,
    level_of_severity,
    load_certificates,
    read_alert,
)
from yingji.warnings.config import rules
from yingji.warnings.events import WarningChanged
from yingji.warnings.models import EarlyWarning, WarningMessage
from yingji.warnings.states import ENTITY, WarningStatus


class CapRejected(DomainError):
    """An imported CAP message is invalid; ``details["errors"]`` names each element."""

    status_code = 422
    code = "cap_invalid"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What importing one message did."""

    outcome: str  # created | updated | ended | duplicate | unmatched
    identifier: str
    sender: str
    msg_type: str
    warning_id: uuid.UUID | None
    signature: str  # cap.SignatureStatus value
    notes: tuple[str, ...] = ()


def import_cap(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    settings: Settings,
    now: datetime | None = None,
) -> ImportResult:
    """Import one CAP message (see the module doc); never commits."""
    actor.require(Permission.WARNING_DRAFT)
    if actor.region_code is None:
        raise CapRejected("an imported warning belongs to a bureau's region; you have none")
    moment = now or utcnow()
    trusted = load_certificates(path.read_bytes() for path in settings.cap_trusted_certs)
    try:
        alert, report = read_alert(
            data, trusted=trusted, require_trusted=settings.cap_require_trusted
        )
    except CapInvalid as exc:
        errors = [{"element": e.path, "reason": e.reason} for e in exc.errors]
        first = exc.errors[0] if exc.errors else None
        message = f"{first.path}: {first.reason}" if first else "not a CAP 1.2 message"
        raise CapRejected(message, errors=errors) from None
    signature = report.signature.status.value
    existing = session.scalar(
        select(WarningMessage).where(
            WarningMessage.sender == alert.sender, WarningMessage.identifier == alert.identifier
        )
    )
    if existing is not None:
        return ImportResult("duplicate", alert.identifier, alert.sender, alert.msg_type.value,
                            existing.warning_id, signature, report.notes)  # fmt: skip
    notes = report.notes
    target = None if alert.msg_type is MsgType.ALERT else _referenced(session, alert)
    if target is not None:
        warning = target
        outcome = _apply(session, actor, warning, alert, moment)
    elif alert.msg_type is MsgType.CANCEL:  # nothing known to cancel
        notes = (*notes, "references name no known warning")
        return ImportResult("unmatched", alert.identifier, alert.sender, alert.msg_type.value,
                            None, signature, notes)  # fmt: skip
    else:
        # An Alert, or an Update of a warning whose first messages we never received (a feed
        # joined late): the warning as it now stands.
        if alert.msg_type is MsgType.UPDATE:
            notes = (*notes, "references name no known warning: imported as a new warning")
        warning = _create(session, actor, alert, moment)
        outcome = "created"
    session.add(
        WarningMessage(
            warning_id=warning.id, sender=alert.sender, identifier=alert.identifier,
            msg_type=alert.msg_type.value, sent=alert.sent, xml=data.decode("utf-8", "replace"),
            signed=signature != "absent", version=warning.version,
            references=" ".join(f"{r.sender},{r.identifier}" for r in alert.references) or None,
        )
    )  # fmt: skip
    session.flush()
    return ImportResult(outcome, alert.identifier, alert.sender, alert.msg_type.value,
                        warning.id, signature, notes)  # fmt: skip


def _info(alert: Alert) -> Info:
    """Return the Chinese info block if there is one, else the first."""
    for info in alert.infos:
        if info.language.lower().startswith("zh"):
            return info
    if not alert.infos:
        raise CapRejected("the message has no info block to import", errors=[
            {"element": "alert/info", "reason": "missing"}])  # fmt: skip
    return alert.infos[0]


def _english(alert: Alert) -> Info | None:
    return next((i for i in alert.infos if i.language.lower().startswith("en")), None)


def _hazard_type(event: str) -> str:
    """Return the template whose event name the CAP event contains (else urban_gas … general)."""
    for key, template in rules().templates.items():
        if template.event in event or event in template.event:
            return key
    return next(iter(rules().templates))


def _fields(alert: Alert) -> dict[str, Any]:
    info, english = _info(alert), _english(alert)
    level = level_of_severity(info.severity) or 4
    if info.severity is Severity.UNKNOWN:
        level = 4
    shapes: list[dict[str, Any]] = []
    codes: list[str] = []
    descriptions = []
    for area in info.areas:
        descriptions.append(area.area_desc)
        for polygon in area.polygons:
            shapes.append({"type": "polygon", "coordinates": [[p.lon, p.lat] for p in polygon]})
        for circle in area.circles:
            shapes.append({"type": "circle", "center": [circle.center.lon, circle.center.lat],
                           "radius_km": circle.radius_km})  # fmt: skip
        codes.extend(g.value for g in area.geocodes if g.value.isdigit() and len(g.value) >= 6)
    return {
        "event": info.event[:100],
        "event_en": english.event[:100] if english else None,
        "level": level,
        "onset": info.onset or info.effective or alert.sent,
        "expires": info.expires,
        "area_desc": "；".join(descriptions)[:500] or "—",
        "area_shapes": shapes,
        "area_region_codes": sorted(set(codes)),
        "description": info.description or info.headline or info.event,
        "instruction": info.instruction or "—",
        "description_en": english.description if english else None,
        "instruction_en": english.instruction if english else None,
        "sender_name": (info.sender_name or alert.sender)[:200],
        "sender_name_en": english.sender_name[:200] if english and english.sender_name else None,
    }


def _create(session: Session, actor: Actor, alert: Alert, moment: datetime) -> EarlyWarning:
    fields = _fields(alert)
    hazard = _hazard_type(fields["event"])
    template = rules().templates[hazard]
    identifier = alert.identifier
    taken = session.scalar(select(EarlyWarning.id).where(EarlyWarning.identifier == identifier))
    if len(identifier) > 64 or taken is not None:  # another sender used it: keep ours apart
        identifier = f"ext:{uuid.uuid4()}"
    warning = EarlyWarning(
        identifier=identifier,
        hazard_type=hazard, duty_type=template.duty_type.value,
        status=WarningStatus.PENDING_APPROVAL.value, region_code=actor.region_code or "",
        region_path=actor.region_path, source="imported", external_sender=alert.sender[:200],
        version=1, created_by=actor.user_id, **fields,
    )  # fmt: skip
    session.add(warning)
    session.flush()
    _audit(session, actor, warning, "imported", None)
    return warning


def _referenced(session: Session, alert: Alert) -> EarlyWarning | None:
    for reference in reversed(alert.references):
        message = session.scalar(
            select(WarningMessage).where(
                WarningMessage.sender == reference.sender,
                WarningMessage.identifier == reference.identifier,
            )
        )
        if message is not None:
            return session.get(EarlyWarning, message.warning_id)
    return None


def _apply(
    session: Session, actor: Actor, warning: EarlyWarning, alert: Alert, moment: datetime
) -> str:
    before = snapshot(warning, FIELDS)
    status = WarningStatus(warning.status)
    if alert.msg_type is MsgType.CANCEL:
        if status in (WarningStatus.LIFTED, WarningStatus.CANCELLED):
            return "ended"
        ended = WarningStatus.LIFTED if status.active else WarningStatus.CANCELLED
        warning.status = ended.value
        warning.ended_at = moment
        warning.version += 1
        session.flush()
        _audit(session, actor, warning, "imported_cancel", before)
        if status.active:
            _dispatch.close_targets(session, warning_id=warning.id, now=moment)
        return "ended"
    fields = _fields(alert)
    old_level = warning.level
    area_changed = (fields["area_shapes"], fields["area_region_codes"]) != (
        warning.area_shapes, warning.area_region_codes)  # fmt: skip
    for name, value in fields.items():
        setattr(warning, name, value)
    warning.version += 1
    if status.active:
        warning.updated_issue_at = moment
    session.flush()
    _audit(session, actor, warning, "imported_update", before)
    if status.active:
        _dispatch.warning_updated(
            session, warning_id=warning.id, now=moment, level_raised=warning.level < old_level,
            area_changed=area_changed,
        )  # fmt: skip
    return "updated"


def _audit(
    session: Session,
    actor: Actor,
    warning: EarlyWarning,
    action: str,
    before: dict[str, Any] | None,
) -> None:
    record_change(
        session, actor=actor, action=f"warning.{action}", entity_type=ENTITY,
        entity_id=warning.id, region_path=warning.region_path, before=before,
        after=snapshot(warning, FIELDS),
    )  # fmt: skip
    record_event(
        session,
        WarningChanged(
            warning_id=warning.id, identifier=warning.identifier, action=action,
            status=warning.status, level=warning.level, hazard_type=warning.hazard_type,
            region_code=warning.region_code, version=warning.version,
        ),
        actor=actor,
    )  # fmt: skip
