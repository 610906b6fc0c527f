"""warning targets: the person key is a UUID (the person's id, or the subscription's)

It was text: the person's id, or "sub:" and the subscription's. As a UUID the key is the
identifier itself: a county's fan-out no longer formats 100,000 identifiers as text, and the
unique (warning, key) index holds 16 bytes a key instead of 37.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BARE = "CASE WHEN person_key LIKE 'sub:%' THEN substr(person_key, 5) ELSE person_key END"
# SQLite stores UUIDs as 32 hex digits (SQLAlchemy's Uuid there); back to the dashed text.
_DASHED = (
    "substr(person_key, 1, 8) || '-' || substr(person_key, 9, 4) || '-' ||"
    " substr(person_key, 13, 4) || '-' || substr(person_key, 17, 4) || '-' ||"
    " substr(person_key, 21)"
)


def upgrade() -> None:
    """Apply this migration."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE warning_targets ALTER COLUMN person_key TYPE uuid"
            f" USING CAST({_BARE} AS uuid)"
        )
        return
    op.execute(f"UPDATE warning_targets SET person_key = lower(replace({_BARE}, '-', ''))")
    with op.batch_alter_table("warning_targets") as batch:  # SQLite: the table is rebuilt
        batch.alter_column("person_key", type_=sa.Uuid(), existing_type=sa.String(80))


def downgrade() -> None:
    """Revert this migration."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE warning_targets ALTER COLUMN person_key TYPE varchar(80) USING"
            " CASE WHEN subscription_id IS NOT NULL THEN 'sub:' || person_key::text"
            " ELSE person_key::text END"
        )
        return
    with op.batch_alter_table("warning_targets") as batch:
        batch.alter_column("person_key", type_=sa.String(80), existing_type=sa.Uuid())
    op.execute(
        f"UPDATE warning_targets SET person_key = CASE WHEN subscription_id IS NOT NULL"
        f" THEN 'sub:' || {_DASHED} ELSE {_DASHED} END"
    )
