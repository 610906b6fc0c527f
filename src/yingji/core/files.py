"""Attachments (photos, scanned documents): files on disk by content hash, rows in the database.

A file is written once under ``<data_dir>/attachments/ab/abcdef…`` (its SHA-256) and never
changed; the row records who uploaded it, what it is attached to and the region it belongs to,
so reading it follows the same region rules as the record it documents.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import BigInteger, Boolean, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.db import Base, new_id, utcnow
from yingji.core.errors import Forbidden, InvalidInput, NotFound


class Attachment(Base):
    """One uploaded file."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_entity", "entity_type", "entity_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(200), default="")
    # What the file documents ("hazard", "inspection_finding", "public_report"); set on linking.
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    region_path: Mapped[str | None] = mapped_column(String(600), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column()  # users.id; None = the public
    is_public_upload: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# What may be uploaded: photos and PDFs, recognised by their first bytes, not by the name.
MAX_BYTES: Final = 10 * 1024 * 1024
_MAGIC: Final[tuple[tuple[bytes, int, str], ...]] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
)
_NAME_UNSAFE: Final = re.compile(r"[\x00-\x1f\x7f/\\]")


def sniff_type(data: bytes) -> str | None:
    """Return the MIME type of a supported file from its content, or None."""
    for magic, offset, mime in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if mime == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return mime
    return None


def storage_path(data_dir: Path, sha256: str) -> Path:
    """Return where the file with this hash lives."""
    return data_dir / "attachments" / sha256[:2] / sha256


def store(
    session: Session,
    *,
    data_dir: Path,
    data: bytes,
    filename: str = "",
    actor: Actor,
) -> Attachment:
    """Save an uploaded file (JPEG, PNG, WebP or PDF, at most 10 MiB) and describe it.

    The file is unlinked until a record claims it with :func:`link`; the public may upload only
    for a report, and such files are marked so that only a report can claim them.
    """
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB", field="file"
        )
    content_type = sniff_type(data)
    if content_type is None:
        raise InvalidInput("only JPEG, PNG, WebP photos and PDF files are accepted", field="file")
    digest = hashlib.sha256(data).hexdigest()
    path = storage_path(data_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{uuid.uuid4().hex}.part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    is_public = actor.user_id is None
    attachment = Attachment(
        sha256=digest,
        content_type=content_type,
        size=len(data),
        filename=_NAME_UNSAFE.sub("_", filename)[-200:],
        uploaded_by=actor.user_id,
        organisation_id=actor.organisation_id,
        is_public_upload=is_public,
    )
    session.add(attachment)
    session.flush()
    return attachment


def link(
    session: Session,
    ids: Iterable[uuid.UUID],
    *,
    actor: Actor,
    entity_type: str,
    entity_id: uuid.UUID,
    region_path: str,
    organisation_id: uuid.UUID | None = None,
    field: str = "attachment_ids",
) -> list[Attachment]:
    """Attach uploaded files to a record; each must be the actor's own, unclaimed upload.

    A file already linked to this same record is accepted again (a resubmitted form). The
    files take the record's region and organisation, so they are read under the record's rules.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = {a.id: a for a in session.scalars(select(Attachment).where(Attachment.id.in_(wanted)))}
    linked: list[Attachment] = []
    for attachment_id in wanted:
        attachment = rows.get(attachment_id)
        if attachment is None:
            raise InvalidInput(f"unknown attachment {attachment_id}", field=field)
        same_record = attachment.entity_type == entity_type and attachment.entity_id == str(
            entity_id
        )
        if attachment.entity_type is not None and not same_record:
            raise InvalidInput(f"attachment {attachment_id} belongs to another record", field=field)
        if attachment.uploaded_by != actor.user_id or (
            actor.user_id is None and not attachment.is_public_upload
        ):
            raise InvalidInput(f"attachment {attachment_id} was not uploaded by you", field=field)
        attachment.entity_type = entity_type
        attachment.entity_id = str(entity_id)
        attachment.region_path = region_path
        attachment.organisation_id = organisation_id
        linked.append(attachment)
    session.flush()
    return linked


def get_readable(session: Session, attachment_id: uuid.UUID, *, actor: Actor) -> Attachment:
    """Return an attachment the actor may read: their own upload, or one in their reach.

    A linked file is readable by whoever's region subtree holds its record; an enterprise user
    reads the files of their own organisation's records. Public uploads are never served back
    to the public.
    """
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} does not exist", field="attachment_id")
    if actor.user_id is not None and attachment.uploaded_by == actor.user_id:
        return attachment
    if actor.user_id is None or attachment.region_path is None:
        raise Forbidden("you may not read this attachment")
    if attachment.organisation_id is not None and attachment.organisation_id == (
        actor.organisation_id
    ):
        return attachment
    if actor.organisation_id is not None and actor.role is Role.ENTERPRISE:
        raise Forbidden("this attachment belongs to another organisation")
    actor.require_region(attachment.region_path, what="attachment")
    return attachment


def attachment_meta(attachment: Attachment) -> dict[str, Any]:
    """Return the JSON description of an attachment (no path on disk)."""
    return {
        "id": str(attachment.id),
        "content_type": attachment.content_type,
        "size": attachment.size,
        "filename": attachment.filename,
        "sha256": attachment.sha256,
    }
