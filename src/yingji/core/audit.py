"""The audit log: every state change with who, when, from what, before and after, hash-chained."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, String, and_, or_, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Role
from yingji.core.db import Base, JSONType, fetch_page, utcnow
from yingji.core.errors import InvalidInput

GENESIS_HASH = "0" * 64
# One key for PostgreSQL's advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x59494E474A49  # "YINGJI"


class AuditEntry(Base):
    """One recorded change; ``hash`` covers every other column and the previous hash."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str] = mapped_column(String(120))
    # Materialised path of the changed record's region: readers see only their subtree's entries.
    region_path: Mapped[str | None] = mapped_column(String(600), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the chain's tip, so truncating the log is detectable too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _jsonable(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    # Round-trip through JSON so what we hash is exactly what the database returns.
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=str, ensure_ascii=False))
    return result


def compute_hash(entry: AuditEntry) -> str:
    """Return the SHA-256 of an entry's content and its predecessor's hash."""
    body = {
        "seq": entry.seq,
        "at": _canonical_time(entry.at),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor": entry.actor,
        "role": entry.role,
        "source": entry.source,
        "request_id": entry.request_id,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "region_path": entry.region_path,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    raw = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    else:
        # SQLite: a write first turns this into a write transaction, serialising appenders.
        session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(seq=AuditHead.seq)
            # Without this, every append scans the whole session: imports turn quadratic.
            .execution_options(synchronize_session=False)
        )
    head = session.get(AuditHead, 1, populate_existing=True)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def record_change(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    region_path: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append a change to the audit log in the caller's transaction.

    ``region_path`` is the materialised path of the changed record's region (None only when
    no region applies, e.g. a failed login for an unknown username): it decides who may read
    the entry.
    """
    head = _lock_head(session)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=actor.user_id,
        actor=actor.username,
        role=str(actor.role),
        source=actor.source,
        request_id=actor.request_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        region_path=region_path,
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=head.hash,
    )
    entry.hash = compute_hash(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the chain."""

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify_chain(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Check every entry's hash and link; name the first broken entry."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq > last_seq)
            .order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(
                    False, checked, expected_seq, f"entry {expected_seq} is missing"
                )
            if entry.prev_hash != prev:
                return VerifyResult(
                    False, checked, entry.seq, "link to the previous entry does not match"
                )
            if compute_hash(entry) != entry.hash:
                return VerifyResult(False, checked, entry.seq, "content does not match its hash")
            prev = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
        # Free memory between batches, but only of our rows: the caller may have pending work.
        for entry in rows:
            session.expunge(entry)
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev:
        return VerifyResult(
            False, checked, checked + 1, f"log ends at {checked} but the head says {head_seq}"
        )
    return VerifyResult(True, checked)


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """Return the named attributes of a record, for ``before``/``after``."""
    return {name: getattr(obj, name) for name in fields}


def within_paths(path: str, *, unplaced: bool) -> ColumnElement[bool]:
    """Return a SQL condition: an entry's region path lies in a subtree, or it has none.

    ``unplaced`` adds the entries that belong to no region.
    """
    low, high = subtree_range(path)
    placed = and_(AuditEntry.region_path >= low, AuditEntry.region_path < high)
    return or_(placed, AuditEntry.region_path.is_(None)) if unplaced else placed


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
    """Return a page of the entries the actor may read matching the filters, newest first.

    Only entries of records in the actor's region subtree are returned, plus, for
    administrators, the entries that belong to no region. Also returns the total count.
    """
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
    for name, value_text in (("entity_type", entity_type), ("entity_id", entity_id), ("actor", by)):
        if value_text is not None and "\x00" in value_text:  # PostgreSQL text cannot hold NUL
            raise InvalidInput(f"{name} contains a NUL character", field=name)
    if since is not None and until is not None and since > until:
        raise InvalidInput("since must not be after until", field="since")
    conditions = [within_paths(actor.region_path, unplaced=actor.role is Role.ADMIN)]
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
    stmt = select(AuditEntry).where(*conditions)
    return fetch_page(session, stmt, order_by=(AuditEntry.seq.desc(),), limit=limit, offset=offset)
