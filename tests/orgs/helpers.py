"""Small helpers shared by the orgs tests: actors, audit rows and outbox events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.events import OutboxEvent
from yingji.regions import service as regions


def actor(
    session: Session, role: Role, region_code: str, organisation_id: uuid.UUID | None = None
) -> Actor:
    """Return an actor of a role in a region (and organisation)."""
    return Actor(
        role=role, user_id=uuid.uuid4(), username=f"t-{role}", organisation_id=organisation_id,
        region_code=region_code, region_path=regions.path_of(session, region_code),
        source="tests",
    )  # fmt: skip


def audit_rows(session: Session, entity_id: object) -> list[AuditEntry]:
    """Return the audit entries about one entity, oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.entity_id == str(entity_id)).order_by(AuditEntry.seq)
    return list(session.scalars(stmt))


def audit_count(session: Session) -> int:
    """Return the number of audit entries."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def events(session: Session, event_type: str) -> list[dict[str, Any]]:
    """Return the payloads of the staged events of a type, oldest first."""
    stmt = (
        select(OutboxEvent.payload)
        .where(OutboxEvent.event_type == event_type)
        .order_by(OutboxEvent.created_at)
    )
    return list(session.scalars(stmt))
