"""HTTP API of the audit log: search the entries and check the chain (AUDIT_READ)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.audit import AuditEntry, verify_chain
from yingji.core.auth.actor import Actor
from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
from yingji.core.errors import InvalidInput
from yingji.core.http import UoW

router = APIRouter(prefix="/api/audit", tags=["audit"])
MAX_PAGE = 500
MAX_OFFSET = 2**31 - 1


class AuditEntryRead(BaseModel):
    """One audit entry as shown to auditors."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    actor: str
    role: str
    source: str
    request_id: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class AuditPage(BaseModel):
    """A page of audit entries, newest first."""

    items: list[AuditEntryRead]
    total: int
    limit: int
    offset: int


class ChainCheck(BaseModel):
    """The result of checking the audit chain."""

    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None


def search_entries(
    session: Session,
    *,
    actor: Actor,
    entity_type: str | None = None,
    entity_id: str | None = None,
    by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Return a page of entries matching the filters (newest first) and the total count."""
    actor.require(Permission.AUDIT_READ)
    for name, value in (("since", since), ("until", until)):
        if value is None:
            continue
        if value.utcoffset() is None:
            raise InvalidInput(
                f"{name} needs a time zone, e.g. 2024-05-01T08:00:00+08:00", field=name
            )
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise InvalidInput(f"{name} is out of range", field=name) from None
    for name, text in (("entity_type", entity_type), ("entity_id", entity_id), ("actor", by)):
        if text is not None and "\x00" in text:  # PostgreSQL text cannot hold NUL
            raise InvalidInput(f"{name} contains a NUL character", field=name)
    if since is not None and until is not None and since > until:
        raise InvalidInput("since must not be after until", field="since")
    conditions = []
    if entity_type:
        conditions.append(AuditEntry.entity_type == entity_type)
    if entity_id:
        conditions.append(AuditEntry.entity_id == entity_id)
    if by:
        conditions.append(AuditEntry.actor == by)
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if until is not None:
        conditions.append(AuditEntry.at < until)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


@router.get("", response_model=AuditPage, summary="Search the audit log")
def list_audit_entries(
    uow: UoW,
    caller: CurrentActor,
    entity_type: Annotated[str | None, Query(max_length=80)] = None,
    entity_id: Annotated[str | None, Query(max_length=120)] = None,
    actor: Annotated[str | None, Query(max_length=200, description="Username")] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditPage:
    """Return audit entries, newest first, filtered by record, user and time."""
    rows, total = search_entries(
        uow.session,
        actor=caller,
        entity_type=entity_type,
        entity_id=entity_id,
        by=actor,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    items = [AuditEntryRead.model_validate(row) for row in rows]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/verify", response_model=ChainCheck, summary="Check the audit chain")
def verify_audit_chain(uow: UoW, caller: CurrentActor) -> ChainCheck:
    """Recompute every entry's hash and link; name the first broken entry."""
    caller.require(Permission.AUDIT_READ)
    result = verify_chain(uow.session)
    return ChainCheck(
        ok=result.ok,
        checked=result.checked,
        first_broken_seq=result.first_broken_seq,
        reason=result.reason,
    )
