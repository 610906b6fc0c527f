"""Public reports (举报) and the per-region reward rules (安监总财〔2018〕19号, as configuration).

The reporter's identity is confidential: name and phone live only here, are never in an event
payload, and are shown only to roles that triage reports. The tracking code is stored as a hash;
the reporter holds the only copy of the code itself.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, JSONType, new_id, utcnow


class PublicReport(Base):
    """One report from the public, and what became of it."""

    __tablename__ = "public_reports"
    __table_args__ = (Index("ix_public_reports_region_status", "region_path", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the code
    category: Mapped[str] = mapped_column(String(30))  # reports.schemas.ReportCategory
    text: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(300))  # as the reporter describes it
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    region_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600))  # the located region, or the root
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    attachment_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)  # reports.states.ReportStatus
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)  # 核查处理 time limit (configurable)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    triaged_by: Mapped[uuid.UUID | None] = mapped_column()
    triaged_at: Mapped[datetime | None] = mapped_column()
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    hazard_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("hazards.id", ondelete="SET NULL"), index=True
    )
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    public_note: Mapped[str | None] = mapped_column(Text)  # what the reporter may read
    concluded_at: Mapped[datetime | None] = mapped_column()
    # Reward (举报奖励): proposed → approved → notified → paid, or lapsed / refused.
    reward_status: Mapped[str] = mapped_column(String(20), default="none")
    reward_basis: Mapped[str | None] = mapped_column(String(40))  # reports.schemas.RewardBasis
    reward_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    reward_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reward_proposed_by: Mapped[uuid.UUID | None] = mapped_column()
    reward_approved_by: Mapped[uuid.UUID | None] = mapped_column()
    reward_notified_on: Mapped[date | None] = mapped_column(Date)
    reward_claim_by: Mapped[date | None] = mapped_column(Date)
    reward_paid_at: Mapped[datetime | None] = mapped_column()
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RewardRuleSet(Base):
    """A region's reward rules, overriding the national defaults shipped as data."""

    __tablename__ = "reward_rule_sets"

    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT"), primary_key=True
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    basis: Mapped[str] = mapped_column(String(300))  # the local document, e.g. 黔府办函〔2022〕49号
    updated_by: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
