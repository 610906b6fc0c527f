"""Organisation, person and responsibility tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, JSONType, new_id, utcnow


class Organisation(Base):
    """A bureau, department, member unit, enterprise or rescue team."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # orgs.schemas.OrgKind
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)  # GB 32100-2015
    industry_code: Mapped[str | None] = mapped_column(String(5))  # GB/T 4754-2017
    address: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(20))
    team_type: Mapped[str | None] = mapped_column(String(40))  # rescue teams only
    headcount: Mapped[int | None] = mapped_column(Integer)
    # A department's supervised industries (GB/T 4754 prefixes, e.g. ["C26", "G"]); None: all.
    supervised_industries: Mapped[list[str] | None] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Person(Base):
    """Someone the platform must be able to reach: staff, responsible persons, team members."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    position: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164, e.g. +8613812345678
    phone: Mapped[str | None] = mapped_column(String(20))  # landline, E.164
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Responsibility(Base):
    """A responsible-person assignment (包保责任人): a person answers for a region and duty."""

    __tablename__ = "responsibilities"
    __table_args__ = (UniqueConstraint("person_id", "region_code", "duty_type", name="uq_resp"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT"), index=True
    )
    duty_type: Mapped[str] = mapped_column(String(40), index=True)  # orgs.schemas.DutyType
    title: Mapped[str | None] = mapped_column(String(100))  # e.g. 村级防汛责任人
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
