"""HTTP API of the audit log: search the entries and check the chain (AUDIT_READ)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from yingji.core.audit import search_entries, verify_chain
from yingji.core.auth.deps import CurrentActor
from yingji.core.auth.roles import Permission
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
    region_path: str | None
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
    """Return the audit entries of the caller's region subtree, newest first, filtered."""
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
