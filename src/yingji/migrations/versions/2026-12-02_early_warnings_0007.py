"""early warnings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 20:15:11.588633
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yingji.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "warning_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column(
            "hazard_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_subscriptions")),
    )
    op.create_index(
        op.f("ix_warning_subscriptions_mobile"), "warning_subscriptions", ["mobile"], unique=False
    )
    op.create_index(
        op.f("ix_warning_subscriptions_region_code"),
        "warning_subscriptions",
        ["region_code"],
        unique=False,
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("hazard_type", sa.String(length=30), nullable=False),
        sa.Column("duty_type", sa.String(length=30), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.Column("event_en", sa.String(length=100), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("onset", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("area_desc", sa.String(length=500), nullable=False),
        sa.Column(
            "area_region_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "area_shapes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("instruction_en", sa.Text(), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("sender_name_en", sa.String(length=200), nullable=True),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_sender", sa.String(length=200), nullable=True),
        sa.Column("origin_alarm_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("issued_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_issue_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_started_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "supervision_flagged_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
        sa.UniqueConstraint("identifier", name=op.f("uq_warnings_identifier")),
    )
    op.create_index(
        "ix_warnings_status_region", "warnings", ["status", "region_path"], unique=False
    )
    op.create_table(
        "warning_evacuations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=True),
        sa.Column("reported_by", sa.Uuid(), nullable=True),
        sa.Column("reporter_name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("evacuated", sa.Integer(), nullable=False),
        sa.Column("shelter", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warnings.id"],
            name=op.f("fk_warning_evacuations_warning_id_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_evacuations")),
    )
    op.create_index(
        op.f("ix_warning_evacuations_warning_id"),
        "warning_evacuations",
        ["warning_id"],
        unique=False,
    )
    op.create_table(
        "warning_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("msg_type", sa.String(length=10), nullable=False),
        sa.Column("sent", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("references", sa.Text(), nullable=True),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warnings.id"],
            name=op.f("fk_warning_messages_warning_id_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_messages")),
        sa.UniqueConstraint("sender", "identifier", name="uq_warning_message"),
    )
    op.create_index(
        op.f("ix_warning_messages_warning_id"), "warning_messages", ["warning_id"], unique=False
    )
    op.create_table(
        "warning_targets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("person_key", sa.String(length=80), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("escalated_from_id", sa.Uuid(), nullable=True),
        sa.Column("must_acknowledge", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("next_action_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_channel", sa.String(length=20), nullable=True),
        sa.Column("token_nonce", sa.String(length=32), nullable=False),
        sa.Column("reply_code", sa.String(length=8), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warnings.id"],
            name=op.f("fk_warning_targets_warning_id_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_targets")),
        sa.UniqueConstraint("warning_id", "person_key", name="uq_warning_target"),
    )
    op.create_index("ix_warning_targets_due", "warning_targets", ["next_action_at"], unique=False)
    op.create_index(
        "ix_warning_targets_mobile", "warning_targets", ["mobile", "reply_code"], unique=False
    )
    # Partial: nine in ten targets have no account, and a fan-out writes every index entry.
    op.create_index(
        "ix_warning_targets_user",
        "warning_targets",
        ["user_id"],
        unique=False,
        sqlite_where=sa.text("user_id IS NOT NULL"),
        postgresql_where=sa.text("user_id IS NOT NULL"),
    )
    op.create_table(
        "warning_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["warning_targets.id"],
            name=op.f("fk_warning_deliveries_target_id_warning_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_deliveries")),
        sa.UniqueConstraint("target_id", "cycle", "step", name="uq_warning_delivery_step"),
    )
    op.create_index(
        op.f("ix_warning_deliveries_provider_message_id"),
        "warning_deliveries",
        ["provider_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_warning_deliveries_target_id"), "warning_deliveries", ["target_id"], unique=False
    )
    op.create_index(
        op.f("ix_warning_deliveries_warning_id"), "warning_deliveries", ["warning_id"], unique=False
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index(op.f("ix_warning_deliveries_warning_id"), table_name="warning_deliveries")
    op.drop_index(op.f("ix_warning_deliveries_target_id"), table_name="warning_deliveries")
    op.drop_index(
        op.f("ix_warning_deliveries_provider_message_id"), table_name="warning_deliveries"
    )
    op.drop_table("warning_deliveries")
    op.drop_index("ix_warning_targets_user", table_name="warning_targets")
    op.drop_index("ix_warning_targets_mobile", table_name="warning_targets")
    op.drop_index("ix_warning_targets_due", table_name="warning_targets")
    op.drop_table("warning_targets")
    op.drop_index(op.f("ix_warning_messages_warning_id"), table_name="warning_messages")
    op.drop_table("warning_messages")
    op.drop_index(op.f("ix_warning_evacuations_warning_id"), table_name="warning_evacuations")
    op.drop_table("warning_evacuations")
    op.drop_index("ix_warnings_status_region", table_name="warnings")
    op.drop_table("warnings")
    op.drop_index(op.f("ix_warning_subscriptions_region_code"), table_name="warning_subscriptions")
    op.drop_index(op.f("ix_warning_subscriptions_mobile"), table_name="warning_subscriptions")
    op.drop_table("warning_subscriptions")
