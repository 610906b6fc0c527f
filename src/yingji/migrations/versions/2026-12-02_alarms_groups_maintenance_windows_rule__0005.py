"""alarms, groups, maintenance windows, rule engine state

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:20:38.021221
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yingji.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "rule_engine_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column(
            "sensor_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "group_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("saved_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rule_engine_state")),
    )
    op.create_table(
        "alarm_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "sensor_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["monitored_objects.id"],
            name=op.f("fk_alarm_groups_object_id_monitored_objects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_groups")),
    )
    op.create_index(op.f("ix_alarm_groups_object_id"), "alarm_groups", ["object_id"], unique=False)
    op.create_table(
        "alarms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("originator", sa.String(length=40), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("peak_severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("first_value", sa.Float(), nullable=True),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("started_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("assigned_to", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(length=20), nullable=True),
        sa.Column("disposition_note", sa.Text(), nullable=True),
        sa.Column("disposed_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disposed_by", sa.Uuid(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alarm_groups.id"],
            name=op.f("fk_alarms_group_id_alarm_groups"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["monitored_objects.id"],
            name=op.f("fk_alarms_object_id_monitored_objects"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.id"],
            name=op.f("fk_alarms_sensor_id_sensors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    op.create_index(op.f("ix_alarms_object_id"), "alarms", ["object_id"], unique=False)
    op.create_index("ix_alarms_region_status", "alarms", ["region_path", "status"], unique=False)
    op.create_index(op.f("ix_alarms_sensor_id"), "alarms", ["sensor_id"], unique=False)
    op.create_index(
        "uq_alarms_open_originator",
        "alarms",
        ["originator", "rule"],
        unique=True,
        sqlite_where=sa.text("handled = 0"),
        postgresql_where=sa.text("NOT handled"),
    )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.id"],
            name=op.f("fk_maintenance_windows_sensor_id_sensors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(
        op.f("ix_maintenance_windows_sensor_id"), "maintenance_windows", ["sensor_id"], unique=False
    )
    op.add_column(
        "sensors",
        sa.Column(
            "rule_override",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_column("sensors", "rule_override")
    op.drop_index(op.f("ix_maintenance_windows_sensor_id"), table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index(
        "uq_alarms_open_originator",
        table_name="alarms",
        sqlite_where=sa.text("handled = 0"),
        postgresql_where=sa.text("NOT handled"),
    )
    op.drop_index(op.f("ix_alarms_sensor_id"), table_name="alarms")
    op.drop_index("ix_alarms_region_status", table_name="alarms")
    op.drop_index(op.f("ix_alarms_object_id"), table_name="alarms")
    op.drop_table("alarms")
    op.drop_index(op.f("ix_alarm_groups_object_id"), table_name="alarm_groups")
    op.drop_table("alarm_groups")
    op.drop_table("rule_engine_state")
