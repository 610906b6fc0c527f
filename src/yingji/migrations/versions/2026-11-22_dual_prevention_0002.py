"""dual prevention

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:00:24.101984
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yingji.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("region_path", sa.String(length=600), nullable=True),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("is_public_upload", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(
        "ix_attachments_entity", "attachments", ["entity_type", "entity_id"], unique=False
    )
    op.create_index(
        op.f("ix_attachments_organisation_id"), "attachments", ["organisation_id"], unique=False
    )
    op.create_index(
        op.f("ix_attachments_region_path"), "attachments", ["region_path"], unique=False
    )
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"], unique=False)
    op.create_table(
        "hazard_stats",
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("supervised", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("days_to_close_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "region_code",
            "industry_code",
            "source",
            "grade",
            "status",
            "overdue",
            "supervised",
            name=op.f("pk_hazard_stats"),
        ),
    )
    op.create_index(
        op.f("ix_hazard_stats_region_path"), "hazard_stats", ["region_path"], unique=False
    )
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("window_start", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_windows")),
    )
    op.create_table(
        "reward_rule_sets",
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("basis", sa.String(length=300), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_reward_rule_sets_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("region_code", name=op.f("pk_reward_rule_sets")),
    )
    op.create_index(
        op.f("ix_reward_rule_sets_region_path"), "reward_rule_sets", ["region_path"], unique=False
    )
    op.create_table(
        "custom_checklists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_custom_checklists_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_custom_checklists_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_checklists")),
        sa.UniqueConstraint("key", name=op.f("uq_custom_checklists_key")),
    )
    op.create_index(
        op.f("ix_custom_checklists_organisation_id"),
        "custom_checklists",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_custom_checklists_region_path"), "custom_checklists", ["region_path"], unique=False
    )
    op.create_table(
        "inspection_plans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_org_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("checklist_id", sa.String(length=80), nullable=False),
        sa.Column(
            "applicability",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "enterprise_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "assignee_user_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("unannounced", sa.Boolean(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("task_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_org_id"],
            ["organisations.id"],
            name=op.f("fk_inspection_plans_owner_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_inspection_plans_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plans")),
    )
    op.create_index(
        op.f("ix_inspection_plans_next_due_on"), "inspection_plans", ["next_due_on"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_plans_owner_org_id"), "inspection_plans", ["owner_org_id"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_plans_region_path"), "inspection_plans", ["region_path"], unique=False
    )
    op.create_table(
        "inspection_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("checklist_id", sa.String(length=80), nullable=False),
        sa.Column(
            "applicability",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("assignee_user_id", sa.Uuid(), nullable=True),
        sa.Column("unannounced", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organisations.id"],
            name=op.f("fk_inspection_tasks_enterprise_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["inspection_plans.id"],
            name=op.f("fk_inspection_tasks_plan_id_inspection_plans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_inspection_tasks_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_tasks")),
    )
    op.create_index(
        "ix_inspection_tasks_assignee",
        "inspection_tasks",
        ["assignee_user_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inspection_tasks_due_on"), "inspection_tasks", ["due_on"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_tasks_enterprise_id"),
        "inspection_tasks",
        ["enterprise_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_inspection_tasks_plan_id"), "inspection_tasks", ["plan_id"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_tasks_region_path"), "inspection_tasks", ["region_path"], unique=False
    )
    op.create_table(
        "major_hazard_installations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_kind", sa.String(length=12), nullable=False),
        sa.Column("exposed_people", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("s_exact", sa.String(length=80), nullable=False),
        sa.Column("s_value", sa.Float(), nullable=False),
        sa.Column("is_major", sa.Boolean(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=True),
        sa.Column("r_exact", sa.String(length=80), nullable=True),
        sa.Column("r_value", sa.Float(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("last_change_reason", sa.Text(), nullable=True),
        sa.Column("responsible_person_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_major_hazard_installations_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_major_hazard_installations_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_person_id"],
            ["persons.id"],
            name=op.f("fk_major_hazard_installations_responsible_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_major_hazard_installations")),
    )
    op.create_index(
        op.f("ix_major_hazard_installations_grade"),
        "major_hazard_installations",
        ["grade"],
        unique=False,
    )
    op.create_index(
        op.f("ix_major_hazard_installations_is_major"),
        "major_hazard_installations",
        ["is_major"],
        unique=False,
    )
    op.create_index(
        op.f("ix_major_hazard_installations_organisation_id"),
        "major_hazard_installations",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_major_hazard_installations_region_path"),
        "major_hazard_installations",
        ["region_path"],
        unique=False,
    )
    op.create_table(
        "risk_points",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column(
            "hazard_factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "accident_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column(
            "factors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("bands", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("level_confirmed", sa.Boolean(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.Uuid(), nullable=True),
        sa.Column("reassess_on", sa.Date(), nullable=True),
        sa.Column("control_level", sa.String(length=12), nullable=False),
        sa.Column("responsible_person_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_risk_points_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_risk_points_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_person_id"],
            ["persons.id"],
            name=op.f("fk_risk_points_responsible_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_points")),
    )
    op.create_index(
        op.f("ix_risk_points_industry_code"), "risk_points", ["industry_code"], unique=False
    )
    op.create_index(
        "ix_risk_points_org", "risk_points", ["organisation_id", "active"], unique=False
    )
    op.create_index(
        op.f("ix_risk_points_reassess_on"), "risk_points", ["reassess_on"], unique=False
    )
    op.create_index(
        "ix_risk_points_region_level", "risk_points", ["region_path", "level"], unique=False
    )
    op.create_table(
        "control_measures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("risk_point_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("control_level", sa.String(length=12), nullable=False),
        sa.Column("responsible_person_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["responsible_person_id"],
            ["persons.id"],
            name=op.f("fk_control_measures_responsible_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["risk_point_id"],
            ["risk_points.id"],
            name=op.f("fk_control_measures_risk_point_id_risk_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_measures")),
    )
    op.create_index(
        op.f("ix_control_measures_risk_point_id"),
        "control_measures",
        ["risk_point_id"],
        unique=False,
    )
    op.create_table(
        "hazards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=True),
        sa.Column("major_by_definition", sa.Boolean(), nullable=False),
        sa.Column("checklist_id", sa.String(length=80), nullable=True),
        sa.Column("checklist_item_id", sa.String(length=40), nullable=True),
        sa.Column("clause", sa.String(length=200), nullable=True),
        sa.Column("risk_point_id", sa.Uuid(), nullable=True),
        sa.Column("inspection_task_id", sa.Uuid(), nullable=True),
        sa.Column("public_report_id", sa.Uuid(), nullable=True),
        sa.Column("external_ref", sa.String(length=100), nullable=True),
        sa.Column("reported_by", sa.Uuid(), nullable=True),
        sa.Column("reported_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column("responsible_person_id", sa.Uuid(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column(
            "plan",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "rectification_started_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("rectified_by", sa.Uuid(), nullable=True),
        sa.Column("rectified_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("verification_rounds", sa.Integer(), nullable=False),
        sa.Column("verified_by", sa.Uuid(), nullable=True),
        sa.Column("verified_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verification_note", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("supervised", sa.Boolean(), nullable=False),
        sa.Column("supervising_org_id", sa.Uuid(), nullable=True),
        sa.Column("supervision_deadline", sa.Date(), nullable=True),
        sa.Column(
            "supervision_listed_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "supervision_lifted_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "reported_to_department_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organisations.id"],
            name=op.f("fk_hazards_enterprise_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_task_id"],
            ["inspection_tasks.id"],
            name=op.f("fk_hazards_inspection_task_id_inspection_tasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_hazards_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_person_id"],
            ["persons.id"],
            name=op.f("fk_hazards_responsible_person_id_persons"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["risk_point_id"],
            ["risk_points.id"],
            name=op.f("fk_hazards_risk_point_id_risk_points"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supervising_org_id"],
            ["organisations.id"],
            name=op.f("fk_hazards_supervising_org_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazards")),
        sa.UniqueConstraint("number", name=op.f("uq_hazards_number")),
    )
    op.create_index(
        "ix_hazards_board", "hazards", ["region_path", "status", "reported_at", "id"], unique=False
    )
    op.create_index("ix_hazards_due", "hazards", ["status", "deadline"], unique=False)
    op.create_index("ix_hazards_enterprise", "hazards", ["enterprise_id", "status"], unique=False)
    op.create_index(op.f("ix_hazards_industry_code"), "hazards", ["industry_code"], unique=False)
    op.create_index(
        op.f("ix_hazards_inspection_task_id"), "hazards", ["inspection_task_id"], unique=False
    )
    op.create_index(
        op.f("ix_hazards_public_report_id"), "hazards", ["public_report_id"], unique=False
    )
    op.create_index(
        "ix_hazards_region_reported", "hazards", ["region_path", "reported_at", "id"], unique=False
    )
    op.create_index(op.f("ix_hazards_source"), "hazards", ["source"], unique=False)
    op.create_table(
        "installation_substances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("cas", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column(
            "hazard_classes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("quantity_t", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["major_hazard_installations.id"],
            name=op.f("fk_installation_substances_installation_id_major_hazard_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation_substances")),
    )
    op.create_index(
        op.f("ix_installation_substances_installation_id"),
        "installation_substances",
        ["installation_id"],
        unique=False,
    )
    op.create_table(
        "inspection_findings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "attachment_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("hazard_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_inspection_findings_hazard_id_hazards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["inspection_tasks.id"],
            name=op.f("fk_inspection_findings_task_id_inspection_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_findings")),
        sa.UniqueConstraint("task_id", "item_id", name="uq_finding_item"),
    )
    op.create_index(
        op.f("ix_inspection_findings_task_id"), "inspection_findings", ["task_id"], unique=False
    )
    op.create_table(
        "public_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tracking_hash", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("region_code", sa.String(length=32), nullable=True),
        sa.Column("region_path", sa.String(length=600), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("reporter_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column(
            "attachment_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("triaged_by", sa.Uuid(), nullable=True),
        sa.Column("triaged_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("hazard_id", sa.Uuid(), nullable=True),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column("concluded_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reward_status", sa.String(length=20), nullable=False),
        sa.Column("reward_basis", sa.String(length=40), nullable=True),
        sa.Column(
            "reward_inputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("reward_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("reward_proposed_by", sa.Uuid(), nullable=True),
        sa.Column("reward_approved_by", sa.Uuid(), nullable=True),
        sa.Column("reward_notified_on", sa.Date(), nullable=True),
        sa.Column("reward_claim_by", sa.Date(), nullable=True),
        sa.Column("reward_paid_at", yingji.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organisations.id"],
            name=op.f("fk_public_reports_enterprise_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazards.id"],
            name=op.f("fk_public_reports_hazard_id_hazards"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_public_reports_region_code_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_reports")),
        sa.UniqueConstraint("tracking_hash", name=op.f("uq_public_reports_tracking_hash")),
    )
    op.create_index(
        op.f("ix_public_reports_hazard_id"), "public_reports", ["hazard_id"], unique=False
    )
    op.create_index(
        "ix_public_reports_region_status", "public_reports", ["region_path", "status"], unique=False
    )
    op.create_index(op.f("ix_public_reports_status"), "public_reports", ["status"], unique=False)
    op.add_column(
        "organisations",
        sa.Column(
            "supervised_industries",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    """Revert this migration."""
    op.drop_column("organisations", "supervised_industries")
    op.drop_index(op.f("ix_public_reports_status"), table_name="public_reports")
    op.drop_index("ix_public_reports_region_status", table_name="public_reports")
    op.drop_index(op.f("ix_public_reports_hazard_id"), table_name="public_reports")
    op.drop_table("public_reports")
    op.drop_index(op.f("ix_inspection_findings_task_id"), table_name="inspection_findings")
    op.drop_table("inspection_findings")
    op.drop_index(
        op.f("ix_installation_substances_installation_id"), table_name="installation_substances"
    )
    op.drop_table("installation_substances")
    op.drop_index(op.f("ix_hazards_source"), table_name="hazards")
    op.drop_index("ix_hazards_region_reported", table_name="hazards")
    op.drop_index(op.f("ix_hazards_public_report_id"), table_name="hazards")
    op.drop_index(op.f("ix_hazards_inspection_task_id"), table_name="hazards")
    op.drop_index(op.f("ix_hazards_industry_code"), table_name="hazards")
    op.drop_index("ix_hazards_enterprise", table_name="hazards")
    op.drop_index("ix_hazards_due", table_name="hazards")
    op.drop_index("ix_hazards_board", table_name="hazards")
    op.drop_table("hazards")
    op.drop_index(op.f("ix_control_measures_risk_point_id"), table_name="control_measures")
    op.drop_table("control_measures")
    op.drop_index("ix_risk_points_region_level", table_name="risk_points")
    op.drop_index(op.f("ix_risk_points_reassess_on"), table_name="risk_points")
    op.drop_index("ix_risk_points_org", table_name="risk_points")
    op.drop_index(op.f("ix_risk_points_industry_code"), table_name="risk_points")
    op.drop_table("risk_points")
    op.drop_index(
        op.f("ix_major_hazard_installations_region_path"), table_name="major_hazard_installations"
    )
    op.drop_index(
        op.f("ix_major_hazard_installations_organisation_id"),
        table_name="major_hazard_installations",
    )
    op.drop_index(
        op.f("ix_major_hazard_installations_is_major"), table_name="major_hazard_installations"
    )
    op.drop_index(
        op.f("ix_major_hazard_installations_grade"), table_name="major_hazard_installations"
    )
    op.drop_table("major_hazard_installations")
    op.drop_index(op.f("ix_inspection_tasks_region_path"), table_name="inspection_tasks")
    op.drop_index(op.f("ix_inspection_tasks_plan_id"), table_name="inspection_tasks")
    op.drop_index(op.f("ix_inspection_tasks_enterprise_id"), table_name="inspection_tasks")
    op.drop_index(op.f("ix_inspection_tasks_due_on"), table_name="inspection_tasks")
    op.drop_index("ix_inspection_tasks_assignee", table_name="inspection_tasks")
    op.drop_table("inspection_tasks")
    op.drop_index(op.f("ix_inspection_plans_region_path"), table_name="inspection_plans")
    op.drop_index(op.f("ix_inspection_plans_owner_org_id"), table_name="inspection_plans")
    op.drop_index(op.f("ix_inspection_plans_next_due_on"), table_name="inspection_plans")
    op.drop_table("inspection_plans")
    op.drop_index(op.f("ix_custom_checklists_region_path"), table_name="custom_checklists")
    op.drop_index(op.f("ix_custom_checklists_organisation_id"), table_name="custom_checklists")
    op.drop_table("custom_checklists")
    op.drop_index(op.f("ix_reward_rule_sets_region_path"), table_name="reward_rule_sets")
    op.drop_table("reward_rule_sets")
    op.drop_table("rate_limit_windows")
    op.drop_index(op.f("ix_hazard_stats_region_path"), table_name="hazard_stats")
    op.drop_table("hazard_stats")
    op.drop_index(op.f("ix_attachments_sha256"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_region_path"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_organisation_id"), table_name="attachments")
    op.drop_index("ix_attachments_entity", table_name="attachments")
    op.drop_table("attachments")
