"""warning targets: SMS replies found by (warning, code); no foreign key to warnings

Both cut a county's fan-out: the (warning, code) index is appended to, where the (mobile,
code) index took random places; the key's check cost a parent lookup and lock per target.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("warning_targets") as batch:  # SQLite: the table is rebuilt
        batch.drop_constraint("fk_warning_targets_warning_id_warnings", type_="foreignkey")
        batch.drop_index("ix_warning_targets_mobile")
        batch.create_index("ix_warning_targets_reply", ["warning_id", "reply_code"])


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("warning_targets") as batch:
        batch.drop_index("ix_warning_targets_reply")
        batch.create_index("ix_warning_targets_mobile", ["mobile", "reply_code"])
        batch.create_foreign_key(
            "fk_warning_targets_warning_id_warnings", "warnings", ["warning_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
