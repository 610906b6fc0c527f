"""monitoring registry and readings

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:52:15.169439
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "reading_minutes",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "minute", name=op.f("pk_reading_minutes")),
    )
    op.create_table(
        "readings",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", "ts", name=op.f("pk_readings")),
    )
    op.create_table(
        "sensor_latest",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sensor_id", name=op.f("pk_sensor_latest")),
    )
    op.create_table(
        "gateways",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_gateways_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_gateways_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateways")),
        sa.UniqueConstraint("code", name=op.f("uq_gateways_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_gateways_token_hash")),
    )
    op.create_index(
        op.f("ix_gateways_organisation_id"), "gateways", ["organisation_id"], unique=False
    )
    op.create_index(op.f("ix_gateways_region_path"), "gateways", ["region_path"], unique=False)
    op.create_table(
        "gateway_rejections",
        sa.Column("gateway_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gateway_id"],
            ["gateways.id"],
            name=op.f("fk_gateway_rejections_gateway_id_gateways"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gateway_id", "reason", name=op.f("pk_gateway_rejections")),
    )
    op.create_table(
        "monitored_objects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("risk_point_id", sa.Uuid(), nullable=True),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organisations.id"],
            name=op.f("fk_monitored_objects_enterprise_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["major_hazard_installations.id"],
            name=op.f("fk_monitored_objects_installation_id_major_hazard_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_monitored_objects_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["risk_point_id"],
            ["risk_points.id"],
            name=op.f("fk_monitored_objects_risk_point_id_risk_points"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitored_objects")),
        sa.UniqueConstraint("code", name=op.f("uq_monitored_objects_code")),
    )
    op.create_index(
        op.f("ix_monitored_objects_enterprise_id"),
        "monitored_objects",
        ["enterprise_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_monitored_objects_region_path"), "monitored_objects", ["region_path"], unique=False
    )
    op.create_table(
        "sensors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("gateway_id", sa.Uuid(), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("range_min", sa.Float(), nullable=False),
        sa.Column("range_max", sa.Float(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gateway_id"],
            ["gateways.id"],
            name=op.f("fk_sensors_gateway_id_gateways"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["monitored_objects.id"],
            name=op.f("fk_sensors_object_id_monitored_objects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors")),
    )
    op.create_index(op.f("ix_sensors_object_id"), "sensors", ["object_id"], unique=False)
    op.create_index(op.f("ix_sensors_region_path"), "sensors", ["region_path"], unique=False)
    op.create_index("uq_sensors_gateway_code", "sensors", ["gateway_id", "code"], unique=True)


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("uq_sensors_gateway_code", table_name="sensors")
    op.drop_index(op.f("ix_sensors_region_path"), table_name="sensors")
    op.drop_index(op.f("ix_sensors_object_id"), table_name="sensors")
    op.drop_table("sensors")
    op.drop_index(op.f("ix_monitored_objects_region_path"), table_name="monitored_objects")
    op.drop_index(op.f("ix_monitored_objects_enterprise_id"), table_name="monitored_objects")
    op.drop_table("monitored_objects")
    op.drop_table("gateway_rejections")
    op.drop_index(op.f("ix_gateways_region_path"), table_name="gateways")
    op.drop_index(op.f("ix_gateways_organisation_id"), table_name="gateways")
    op.drop_table("gateways")
    op.drop_table("sensor_latest")
    op.drop_table("readings")
    op.drop_table("reading_minutes")
