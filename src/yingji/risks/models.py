"""Risk points with their control measures, and major hazard installations with their stock.

Every row carries the enterprise (``organisation_id``), its region code and the region's
materialised path (``region_path``, copied on write) so that a region subtree is one indexed
range, and the enterprise's GB/T 4754 industry code so that a department sees the industries it
supervises. Other contexts reach these tables only through ``yingji.risks.service``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, JSONType, new_id, utcnow


class RiskPoint(Base):
    """A place, installation, device or activity of an enterprise, assessed and graded (风险点)."""

    __tablename__ = "risk_points"
    __table_args__ = (
        Index("ix_risk_points_region_level", "region_path", "level"),
        Index("ix_risk_points_org", "organisation_id", "active"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600))
    industry_code: Mapped[str | None] = mapped_column(String(5), index=True)
    code: Mapped[str | None] = mapped_column(String(40))  # the enterprise's own numbering
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # risks.schemas.RiskPointKind
    location: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    hazard_factors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    accident_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The latest assessment (cn-rules §3.3-3.5); history is in the audit log.
    method: Mapped[str] = mapped_column(String(8))  # lec, ls, mes
    factors: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    bands: Mapped[str] = mapped_column(String(40))  # the band set used, e.g. "default"
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(12))  # risks.assessment.RiskLevel
    level_confirmed: Mapped[bool] = mapped_column(Boolean, default=True)  # False: [U] bands
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_by: Mapped[uuid.UUID | None] = mapped_column()  # users.id
    reassess_on: Mapped[date | None] = mapped_column(Date, index=True)
    control_level: Mapped[str] = mapped_column(String(12))  # risks.schemas.ControlLevel
    responsible_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ControlMeasure(Base):
    """One control measure of a risk point, held at a control level by a responsible person."""

    __tablename__ = "control_measures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    risk_point_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("risk_points.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # risks.schemas.MeasureKind
    description: Mapped[str] = mapped_column(Text)
    control_level: Mapped[str] = mapped_column(String(12))
    responsible_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MajorHazardInstallation(Base):
    """A unit (生产单元 or 储存单元) identified under GB 18218-2018, with its computed grade."""

    __tablename__ = "major_hazard_installations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    unit_kind: Mapped[str] = mapped_column(String(12))  # major_hazard.UnitKind
    exposed_people: Mapped[int] = mapped_column(Integer, default=0)  # for α (GB 18218 table 4)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    # The computation, kept as exact fractions ("37/20") and as floats for sorting and display.
    s_exact: Mapped[str] = mapped_column(String(80), default="0")
    s_value: Mapped[float] = mapped_column(Float, default=0.0)
    is_major: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    alpha: Mapped[float | None] = mapped_column(Float)
    r_exact: Mapped[str | None] = mapped_column(String(80))
    r_value: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[int | None] = mapped_column(Integer, index=True)  # 1..4 = 一级..四级
    last_change_reason: Mapped[str | None] = mapped_column(Text)
    responsible_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="RESTRICT")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InstallationSubstance(Base):
    """A hazardous chemical held in an installation, with its maximum quantity in tonnes."""

    __tablename__ = "installation_substances"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    installation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("major_hazard_installations.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))  # as the enterprise names it
    seq: Mapped[int | None] = mapped_column(Integer)  # GB 18218 table 1 序号
    cas: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))  # table 1 name
    hazard_classes: Mapped[list[str]] = mapped_column(JSONType, default=list)  # table 2 classes
    quantity_t: Mapped[str] = mapped_column(String(40))  # decimal text, exact
    position: Mapped[int] = mapped_column(Integer, default=0)
