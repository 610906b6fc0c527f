"""Hazards, inspections (plans, tasks, findings), custom checklists and the statistics rollup.

Rows carry the enterprise (``enterprise_id``), the region code and path (copied on write so a
subtree is one indexed range) and the enterprise's GB/T 4754 industry code, so that the board's
filters and a department's industry scope are plain indexed comparisons.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, JSONType, new_id, utcnow


class Hazard(Base):
    """One 事故隐患 from any source, moving through ``hazards.states.TRANSITIONS``."""

    __tablename__ = "hazards"
    __table_args__ = (
        # The board (hazards._board): the rollup's cells as an equality prefix, and every
        # hazard newest first; both carry the filtered columns so that no row is read.
        Index(
            "ix_hazards_cells",
            "region_path",
            "status",
            "source",
            "grade",
            "industry_code",
            "overdue",
            "supervised",
            "reported_at",
            "id",
        ),
        Index(
            "ix_hazards_recent",
            "reported_at",
            "id",
            "region_path",
            "status",
            "source",
            "grade",
            "industry_code",
            "overdue",
            "supervised",
        ),
        Index("ix_hazards_enterprise", "enterprise_id", "status"),
        Index("ix_hazards_due", "status", "deadline"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. YH-420502-2026-000123
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600))
    industry_code: Mapped[str | None] = mapped_column(String(5), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(30), index=True)  # states.HazardSource
    status: Mapped[str] = mapped_column(String(20))  # states.HazardStatus
    # Proposed by the reporter (a failed 判定标准 item proposes major); fixed on confirmation.
    grade: Mapped[str | None] = mapped_column(String(10))  # states.HazardGrade
    major_by_definition: Mapped[bool] = mapped_column(Boolean, default=False)
    checklist_id: Mapped[str | None] = mapped_column(String(80))
    checklist_item_id: Mapped[str | None] = mapped_column(String(40))
    clause: Mapped[str | None] = mapped_column(String(200))
    risk_point_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("risk_points.id", ondelete="SET NULL")
    )
    inspection_task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inspection_tasks.id", ondelete="SET NULL"), index=True
    )
    public_report_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    external_ref: Mapped[str | None] = mapped_column(String(100))  # e.g. a monitoring alarm id
    reported_by: Mapped[uuid.UUID | None] = mapped_column()  # users.id
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    # Rectification: who answers for it and by when (五落实 for major: the whole plan).
    responsible_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT")
    )
    deadline: Mapped[date | None] = mapped_column(Date)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    rectification_started_at: Mapped[datetime | None] = mapped_column()
    rectified_by: Mapped[uuid.UUID | None] = mapped_column()
    rectified_at: Mapped[datetime | None] = mapped_column()
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    verification_rounds: Mapped[int] = mapped_column(Integer, default=0)
    verified_by: Mapped[uuid.UUID | None] = mapped_column()
    verified_at: Mapped[datetime | None] = mapped_column()
    verification_note: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[uuid.UUID | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Overdue escalation (set by the deadline job): 0 none, 1 superior, 2 supervising department.
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column()
    # 挂牌督办 (安全生产法 第四十一条第三款).
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    supervising_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    supervision_deadline: Mapped[date | None] = mapped_column(Date)
    supervision_listed_at: Mapped[datetime | None] = mapped_column()
    supervision_lifted_at: Mapped[datetime | None] = mapped_column()
    reported_to_department_at: Mapped[datetime | None] = mapped_column()
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HazardStats(Base):
    """Running counts of hazards per combination of the board's dimensions (kept by the service).

    Statistics and the board's totals read this small table instead of scanning every hazard;
    ``yingji.hazards.service.rebuild_stats`` recomputes it from the hazards table.
    """

    __tablename__ = "hazard_stats"

    region_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    industry_code: Mapped[str] = mapped_column(String(5), primary_key=True)  # "" if unknown
    source: Mapped[str] = mapped_column(String(30), primary_key=True)
    grade: Mapped[str] = mapped_column(String(10), primary_key=True)  # "" until confirmed
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    overdue: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    supervised: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    # For closed hazards: the sum of days from report to close, for the mean days to close.
    days_to_close_sum: Mapped[float] = mapped_column(Float, default=0.0)


class CustomChecklist(Base):
    """A checklist written by a bureau or an enterprise; ``content`` is a validated Checklist."""

    __tablename__ = "custom_checklists"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # the Checklist.id
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InspectionPlan(Base):
    """A schedule of inspections: an enterprise's self-inspection or a bureau's supervision."""

    __tablename__ = "inspection_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # hazards.schemas.InspectionKind
    name: Mapped[str] = mapped_column(String(200))
    owner_org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    checklist_id: Mapped[str] = mapped_column(String(80))
    applicability: Mapped[list[str]] = mapped_column(JSONType, default=list)
    enterprise_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    assignee_user_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    unannounced: Mapped[bool] = mapped_column(Boolean, default=False)  # 四不两直
    every_days: Mapped[int | None] = mapped_column(Integer)  # None: once
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    next_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    task_days: Mapped[int] = mapped_column(Integer, default=7)  # time to carry a task out
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InspectionTask(Base):
    """One inspection of one enterprise against one checklist, by an assignee, by a due date."""

    __tablename__ = "inspection_tasks"
    __table_args__ = (Index("ix_inspection_tasks_assignee", "assignee_user_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inspection_plans.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(5))
    checklist_id: Mapped[str] = mapped_column(String(80))
    applicability: Mapped[list[str]] = mapped_column(JSONType, default=list)
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column()
    unannounced: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))  # hazards.schemas.TaskStatus
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by: Mapped[uuid.UUID | None] = mapped_column()
    summary: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InspectionFinding(Base):
    """The result of one checklist item in a task: pass, fail or not applicable."""

    __tablename__ = "inspection_findings"
    __table_args__ = (UniqueConstraint("task_id", "item_id", name="uq_finding_item"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspection_tasks.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(10))  # pass, fail, na
    note: Mapped[str] = mapped_column(Text, default="")
    attachment_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hazard_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hazards.id", ondelete="SET NULL")
    )
    recorded_by: Mapped[uuid.UUID | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
