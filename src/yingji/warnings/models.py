"""Early warnings (预警) and their 叫应: warnings, CAP messages, targets, attempts, feedback.

An ``EarlyWarning`` is the bureau's record of one warning through its life (draft → issued → updated
→ lifted or cancelled, ``states``); every issued, updated, lifted or cancelled version is a
``WarningMessage`` holding the signed CAP 1.2 XML sent. Issuing resolves the area to the
responsible persons (包保责任人) on duty, one ``WarningTarget`` each, whose ladder of channels
(``DeliveryAttempt``, one per target, step and cycle: nobody is messaged twice for the same
step) runs until they acknowledge; silence escalates to the superior (a new target). Persons
report evacuations (``EvacuationReport``) as often as needed; members of the public subscribe
(``WarningSubscription``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, JSONType, new_id, new_ordered_id, utcnow


class EarlyWarning(Base):
    """One warning through its life; the fields of 突发事件应对法 第64条第二款 are required."""

    __tablename__ = "warnings"
    __table_args__ = (Index("ix_warnings_status_region", "status", "region_path"),)

    # Time-ordered: a new warning's targets are appended at the ends of the indexes that
    # begin with the warning (uq_warning_target, ix_warning_targets_reply), a third of a
    # county's fan-out on PostgreSQL when they went among the other warnings' entries.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_ordered_id)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)  # GB/T 35965.1, first alert
    hazard_type: Mapped[str] = mapped_column(String(30))  # schemas.HazardType (the template)
    duty_type: Mapped[str] = mapped_column(String(30))  # orgs DutyType: whom it targets
    event: Mapped[str] = mapped_column(String(100))  # 预警类别, e.g. 暴雨
    event_en: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)  # 1 红 … 4 蓝 (第63条)
    status: Mapped[str] = mapped_column(String(20))  # states.WarningStatus
    onset: Mapped[datetime] = mapped_column()  # 起始时间
    expires: Mapped[datetime | None] = mapped_column()
    area_desc: Mapped[str] = mapped_column(String(500))  # 可能影响的范围, in words
    area_region_codes: Mapped[list[str]] = mapped_column(JSONType)  # chosen or resolved
    area_shapes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)  # polygons, circles
    description: Mapped[str] = mapped_column(Text)  # 警示事项
    instruction: Mapped[str] = mapped_column(Text)  # 应当采取的措施
    description_en: Mapped[str | None] = mapped_column(Text)
    instruction_en: Mapped[str | None] = mapped_column(Text)
    sender_name: Mapped[str] = mapped_column(String(200))  # 发布单位
    sender_name_en: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(32))  # the issuing bureau's region
    region_path: Mapped[str] = mapped_column(String(600))
    source: Mapped[str] = mapped_column(String(20), default="local")  # local | imported
    external_sender: Mapped[str | None] = mapped_column(String(200))  # CAP sender if imported
    origin_alarm_id: Mapped[uuid.UUID | None] = mapped_column()  # drafted from an alarm
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    submitted_by: Mapped[uuid.UUID | None] = mapped_column()
    approved_by: Mapped[uuid.UUID | None] = mapped_column()
    issued_at: Mapped[datetime | None] = mapped_column()  # 发布时间 (of the first issue)
    updated_issue_at: Mapped[datetime | None] = mapped_column()  # of the latest update
    ended_at: Mapped[datetime | None] = mapped_column()  # lifted or cancelled
    response_started_at: Mapped[datetime | None] = mapped_column()  # 响应联动
    supervision_flagged_at: Mapped[datetime | None] = mapped_column()  # 督导 (cn-rules §2.3)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WarningMessage(Base):
    """One CAP 1.2 message of a warning (Alert, Update or Cancel), as sent or as received."""

    __tablename__ = "warning_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    warning_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("warnings.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(200))
    identifier: Mapped[str] = mapped_column(String(200))
    msg_type: Mapped[str] = mapped_column(String(10))  # Alert | Update | Cancel
    sent: Mapped[datetime] = mapped_column()
    references: Mapped[str | None] = mapped_column(Text)
    xml: Mapped[str] = mapped_column(Text)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)  # the warning's version it carries
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("sender", "identifier", name="uq_warning_message"),)


class WarningTarget(Base):
    """A person a warning must reach and who must answer it (叫应), with their ladder."""

    __tablename__ = "warning_targets"
    __table_args__ = (
        UniqueConstraint("warning_id", "person_key", name="uq_warning_target"),
        # The ladder's queue: due targets in time order.
        # (A warning's targets are found through uq_warning_target, whose prefix is warning_id:
        # a (warning_id, status) index cost a 100,000-person fan-out 0.3 s for nothing more.)
        Index("ix_warning_targets_due", "next_action_at"),
        # An SMS reply names its target by code among the warnings in force (few), then phone;
        # a fan-out draws its codes ascending in row order, so its entries are appended here
        # (an index on (mobile, reply_code) took random places: a third of a fan-out's writes).
        # The inbox lists a user's targets (nine in ten have no account: not in the index).
        Index("ix_warning_targets_reply", "warning_id", "reply_code"),
        Index(
            "ix_warning_targets_user", "user_id",
            sqlite_where=text("user_id IS NOT NULL"), postgresql_where=text("user_id IS NOT NULL"),
        ),
    )  # fmt: skip

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # No foreign key: its check was a third of a county's fan-out (0.5 s a 100,000 targets on
    # PostgreSQL, one parent lookup and row lock per target). Targets are only written by the
    # fan-out and escalation, in the transaction that loaded their warning, and warnings are
    # never deleted (issued ones are records; drafts have no targets).
    warning_id: Mapped[uuid.UUID] = mapped_column()
    person_key: Mapped[uuid.UUID] = mapped_column()  # the person's id, or the subscription's
    person_id: Mapped[uuid.UUID | None] = mapped_column()
    subscription_id: Mapped[uuid.UUID | None] = mapped_column()
    user_id: Mapped[uuid.UUID | None] = mapped_column()  # for in-app delivery
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10), default="zh")
    kind: Mapped[str] = mapped_column(String(20))  # schemas.TargetKind
    region_code: Mapped[str] = mapped_column(String(32))
    region_path: Mapped[str] = mapped_column(String(600))
    title: Mapped[str | None] = mapped_column(String(100))
    escalated_from_id: Mapped[uuid.UUID | None] = mapped_column()  # whose silence brought it
    must_acknowledge: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20))  # states.TargetStatus
    step: Mapped[int] = mapped_column(Integer, default=0)  # next rung of the ladder
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    next_action_at: Mapped[datetime | None] = mapped_column()  # None: nothing more to do
    deadline_at: Mapped[datetime] = mapped_column()  # acknowledge by, else escalate
    escalated_at: Mapped[datetime | None] = mapped_column()  # 未叫应
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    ack_channel: Mapped[str | None] = mapped_column(String(20))
    token_nonce: Mapped[str] = mapped_column(String(32))  # in the signed acknowledgement link
    reply_code: Mapped[str] = mapped_column(String(8))  # for SMS replies
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryAttempt(Base):
    """One message to one target on one rung of its ladder; its receipt, never an answer."""

    __tablename__ = "warning_deliveries"
    __table_args__ = (
        UniqueConstraint("target_id", "cycle", "step", name="uq_warning_delivery_step"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    target_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("warning_targets.id", ondelete="CASCADE"), index=True
    )
    warning_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # channels ReceiptStatus, or "sending"
    provider_message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvacuationReport(Base):
    """People evacuated (转移人数) and where they were sheltered, reported for a region."""

    __tablename__ = "warning_evacuations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    warning_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("warnings.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[uuid.UUID | None] = mapped_column()
    reported_by: Mapped[uuid.UUID | None] = mapped_column()  # a user, if logged in
    reporter_name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(32))
    region_path: Mapped[str] = mapped_column(String(600))
    evacuated: Mapped[int] = mapped_column(Integer)
    shelter: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class WarningSubscription(Base):
    """A member of the public who asked to hear of warnings for a region."""

    __tablename__ = "warning_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(32), index=True)
    region_path: Mapped[str] = mapped_column(String(600))
    hazard_types: Mapped[list[str]] = mapped_column(JSONType)  # empty: every hazard
    language: Mapped[str] = mapped_column(String(10), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
