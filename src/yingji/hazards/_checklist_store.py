"""Checklists the platform offers: the official 判定标准 (as data) and custom ones in the database.

A custom checklist belongs to the organisation of the user who wrote it and to its region. It is
seen by its own organisation, by bureau users whose region subtree holds it, and, when a bureau
wrote it, by everyone below that bureau's region (its enterprises use it for self-inspection).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.hazards import inspection_events as events
from yingji.hazards.inspection_schemas import ChecklistRead, ChecklistSummary, ItemRead
from yingji.hazards.models import CustomChecklist
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.risks import checklists
from yingji.risks.checklists import Checklist

ENTITY = "custom_checklist"
ITEM_ID_MAX = 40  # inspection_findings.item_id and hazards.checklist_item_id hold 40 characters
_AUDIT_FIELDS = ("key", "name", "organisation_id", "region_code", "active")


def summary_of(checklist: Checklist, row: CustomChecklist | None = None) -> ChecklistSummary:
    """Return the list entry of a checklist."""
    return ChecklistSummary(
        id=checklist.id,
        title=checklist.title,
        official=checklist.official,
        issuer=checklist.issuer,
        document_number=checklist.document_number,
        confidence=checklist.confidence.value if checklist.confidence else None,
        complete=checklist.complete,
        item_count=len(checklist.items),
        major_item_count=sum(1 for item in checklist.items if item.major_by_definition),
        applicability_tags=list(checklist.applicability_tags),
        sources={key: f"{src.what} ({src.where})" for key, src in checklist.sources.items()},
        custom_id=row.id if row else None,
        organisation_id=row.organisation_id if row else None,
        active=row.active if row else True,
    )


def item_view(item: checklists.ChecklistItem) -> ItemRead:
    """Return the public view of a checklist item."""
    return ItemRead(
        id=item.id,
        clause=item.clause,
        text=item.text,
        applicability=list(item.applicability),
        major_by_definition=item.major_by_definition,
        missing=item.missing,
        truncated=item.truncated,
        cites=item.cites,
    )


def read_of(checklist: Checklist, row: CustomChecklist | None = None) -> ChecklistRead:
    """Return a checklist with its items."""
    return ChecklistRead(
        **summary_of(checklist, row).model_dump(),
        items=[item_view(item) for item in checklist.items],
    )


def _content(row: CustomChecklist) -> Checklist:
    return Checklist.model_validate(row.content)


def _owner_is_bureau(session: Session, row: CustomChecklist) -> bool:
    facts = orgs.organisation_facts(session, row.organisation_id)
    return facts.kind != OrgKind.ENTERPRISE


def can_see(session: Session, actor: Actor, row: CustomChecklist) -> bool:
    """Return whether the actor may use a custom checklist."""
    scope = actor.scope_for(Permission.INSPECTION_READ)
    if scope is None:
        return False
    if actor.organisation_id is not None and row.organisation_id == actor.organisation_id:
        return True
    if scope is Scope.REGION and actor.covers_path(row.region_path):
        return True
    return actor.region_path.startswith(row.region_path) and _owner_is_bureau(session, row)


def resolve(session: Session, checklist_id: str, *, field: str = "checklist_id") -> Checklist:
    """Return the official or custom checklist with this id (no permission check)."""
    try:
        return checklists.get_checklist(checklist_id)
    except checklists.UnknownChecklist:
        pass
    row = session.scalar(select(CustomChecklist).where(CustomChecklist.key == checklist_id))
    if row is None:
        raise NotFound(f"no checklist {checklist_id!r}", field=field)
    return _content(row)


def usable(session: Session, *, actor: Actor, checklist_id: str) -> Checklist:
    """Return a checklist the actor may plan with: official, or an active visible custom one."""
    try:
        return checklists.get_checklist(checklist_id)
    except checklists.UnknownChecklist:
        pass
    row = session.scalar(select(CustomChecklist).where(CustomChecklist.key == checklist_id))
    if row is None or not can_see(session, actor, row):
        raise NotFound(f"no checklist {checklist_id!r}", field="checklist_id")
    if not row.active:
        raise InvalidInput(f"checklist {checklist_id!r} is deactivated", field="checklist_id")
    return _content(row)


def list_checklists(
    session: Session, *, actor: Actor, include_inactive: bool = False
) -> list[ChecklistSummary]:
    """Return the official checklists and the custom ones the actor may see."""
    actor.require(Permission.INSPECTION_READ)
    result = [summary_of(c) for c in checklists.official_checklists()]
    stmt = select(CustomChecklist).order_by(CustomChecklist.name, CustomChecklist.key)
    if not include_inactive:
        stmt = stmt.where(CustomChecklist.active.is_(True))
    for row in session.scalars(stmt):
        if can_see(session, actor, row):
            result.append(summary_of(_content(row), row))
    return result


def get_checklist(session: Session, *, actor: Actor, checklist_id: str) -> ChecklistRead:
    """Return one checklist with its items (official, or a custom one the actor may see)."""
    actor.require(Permission.INSPECTION_READ)
    try:
        return read_of(checklists.get_checklist(checklist_id))
    except checklists.UnknownChecklist:
        pass
    row = session.scalar(select(CustomChecklist).where(CustomChecklist.key == checklist_id))
    if row is None or not can_see(session, actor, row):
        raise NotFound(f"no checklist {checklist_id!r}", field="checklist_id")
    return read_of(_content(row), row)


def _validated(content: dict[str, Any]) -> Checklist:
    checklist = checklists.validate_custom(content)
    for index, item in enumerate(checklist.items):
        if len(item.id) > ITEM_ID_MAX:
            raise InvalidInput(
                f"item id {item.id!r} is longer than {ITEM_ID_MAX} characters",
                field=f"items[{index}].id",
            )
    return checklist


def _stored(checklist: Checklist) -> dict[str, Any]:
    data: dict[str, Any] = checklist.model_dump(mode="json")
    return data


def create_custom(session: Session, *, actor: Actor, content: dict[str, Any]) -> CustomChecklist:
    """Save a new custom checklist owned by the actor's organisation, in its region."""
    actor.require(Permission.CHECKLIST_WRITE)
    if actor.organisation_id is None:
        raise Forbidden("only a user of an organisation writes a custom checklist")
    checklist = _validated(content)
    owner = orgs.organisation_facts(session, actor.organisation_id)
    taken = session.scalar(select(CustomChecklist.id).where(CustomChecklist.key == checklist.id))
    if taken is not None:
        raise Conflict(f"a checklist with id {checklist.id!r} exists already", field="id")
    row = CustomChecklist(
        key=checklist.id,
        name=checklist.title,
        organisation_id=owner.id,
        region_code=owner.region_code,
        region_path=owner.region_path,
        content=_stored(checklist),
        active=True,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "checklist.created", row, before=None)
    return row


def _owned(session: Session, actor: Actor, custom_id: uuid.UUID) -> CustomChecklist:
    actor.require(Permission.CHECKLIST_WRITE)
    row = session.get(CustomChecklist, custom_id)
    if row is None or not can_see(session, actor, row):
        raise NotFound(f"no custom checklist {custom_id}", field="checklist_id")
    actor.require_org(row.organisation_id, what="checklist")
    return row


def update_custom(
    session: Session, *, actor: Actor, custom_id: uuid.UUID, content: dict[str, Any]
) -> CustomChecklist:
    """Replace the content of a custom checklist of the actor's organisation (same id)."""
    row = _owned(session, actor, custom_id)
    checklist = _validated(content)
    if checklist.id != row.key:
        raise InvalidInput(f"the checklist id stays {row.key!r}", field="id")
    before = snapshot(row, _AUDIT_FIELDS)
    row.name = checklist.title
    row.content = _stored(checklist)
    session.flush()
    _audit(session, actor, "checklist.updated", row, before=before)
    return row


def deactivate_custom(session: Session, *, actor: Actor, custom_id: uuid.UUID) -> CustomChecklist:
    """Stop offering a custom checklist for new plans; existing tasks keep it."""
    row = _owned(session, actor, custom_id)
    before = snapshot(row, _AUDIT_FIELDS)
    row.active = False
    session.flush()
    _audit(session, actor, "checklist.deactivated", row, before=before)
    return row


def custom_by_key(session: Session, keys: Sequence[str]) -> dict[str, CustomChecklist]:
    """Return the custom checklist rows with these ids."""
    if not keys:
        return {}
    rows = session.scalars(select(CustomChecklist).where(CustomChecklist.key.in_(list(keys))))
    return {row.key: row for row in rows}


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    row: CustomChecklist,
    *,
    before: dict[str, Any] | None,
) -> None:
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=row.id,
        region_path=row.region_path,
        before=before,
        after={**snapshot(row, _AUDIT_FIELDS), "items": len(row.content.get("items", []))},
    )
    record_event(
        session,
        events.ChecklistSaved(checklist_id=row.id, key=row.key, active=row.active),
        actor=actor,
    )
