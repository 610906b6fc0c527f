"""Board indexes: the rollup cells as an equality prefix, and every hazard newest first

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 14:34:40.596456
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.drop_index(op.f("ix_hazards_board"), table_name="hazards")
    op.drop_index(op.f("ix_hazards_region_reported"), table_name="hazards")
    op.create_index(
        "ix_hazards_cells",
        "hazards",
        [
            "region_path",
            "status",
            "source",
            "grade",
            "industry_code",
            "overdue",
            "supervised",
            "reported_at",
            "id",
        ],
        unique=False,
    )
    op.create_index(
        "ix_hazards_recent",
        "hazards",
        [
            "reported_at",
            "id",
            "region_path",
            "status",
            "source",
            "grade",
            "industry_code",
            "overdue",
            "supervised",
        ],
        unique=False,
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_hazards_recent", table_name="hazards")
    op.drop_index("ix_hazards_cells", table_name="hazards")
    op.create_index(
        op.f("ix_hazards_region_reported"),
        "hazards",
        ["region_path", "reported_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_hazards_board"),
        "hazards",
        ["region_path", "status", "reported_at", "id"],
        unique=False,
    )
