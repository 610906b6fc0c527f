"""Monitoring registry (objects, gateways, sensors) and reading storage.

Readings are machine data at high rates, so their tables are narrow: the sensor's integer key,
the reading's time in epoch milliseconds (as devices and MQTT brokers count it) and the value.
``readings`` keeps every accepted reading once (its key is the time and the sensor, so a
redelivered reading is stored once); ``sensor_latest`` the newest reading per sensor; and
``reading_minutes`` per-minute count, sum, minimum and maximum for charts and history.

Measured choices (README, Monitoring storage): ``readings`` is keyed time first, so new readings
land at the right edge of its index instead of in 100,000 places (PostgreSQL COPY stayed at 2-3
µs a reading up to 30 M rows, against 8.7 µs keyed sensor first); on SQLite it is a WITHOUT
ROWID table, the key being the row. ``sensor_latest`` and ``reading_minutes`` are updated in
place all the time: on PostgreSQL their pages are left half free (fillfactor 50) so the
updates stay on the page (HOT) and the tables do not bloat.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, JSONType, new_id, utcnow


class MonitoredObject(Base):
    """A thing under watch: an installation, a pipeline segment, a bridge, a dam, a slope…"""

    __tablename__ = "monitored_objects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # schemas.ObjectKind
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    risk_point_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("risk_points.id", ondelete="SET NULL")
    )
    installation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("major_hazard_installations.id", ondelete="SET NULL")
    )
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Gateway(Base):
    """A data-collection gateway (数据采集网关) that publishes its sensors' readings."""

    __tablename__ = "gateways"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the topic segment
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    region_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    region_path: Mapped[str] = mapped_column(String(600), index=True)
    # sha256 of the gateway's HTTP credential; the gateway holds the only copy of the secret.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column()
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GatewayRejection(Base):
    """How many readings or payloads of a gateway were rejected, per reason, and the last one."""

    __tablename__ = "gateway_rejections"

    gateway_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("gateways.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)  # schemas.RejectReason
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_detail: Mapped[str] = mapped_column(Text, default="")


class Sensor(Base):
    """One measuring point of a gateway, on a monitored object."""

    __tablename__ = "sensors"
    __table_args__ = (Index("uq_sensors_gateway_code", "gateway_id", "code", unique=True),)

    # A compact integer key: every reading row carries it.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))  # unique within its gateway
    gateway_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gateways.id", ondelete="RESTRICT"))
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitored_objects.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # a key of data/sensor_kinds.toml
    unit: Mapped[str] = mapped_column(String(16))
    range_min: Mapped[float] = mapped_column(Float)
    range_max: Mapped[float] = mapped_column(Float)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    status: Mapped[str] = mapped_column(String(20), default="online")  # schemas.SensorStatus
    # Fields of rules.SensorRule that differ from the kind's defaults (rules.rule_for).
    rule_override: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    region_path: Mapped[str] = mapped_column(String(600), index=True)  # the object's
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Reading(Base):
    """One accepted reading, stored once per sensor and time."""

    __tablename__ = "readings"
    __table_args__ = (PrimaryKeyConstraint("ts", "sensor_id"), {"sqlite_with_rowid": False})

    sensor_id: Mapped[int] = mapped_column(Integer)
    ts: Mapped[int] = mapped_column(BigInteger)  # epoch milliseconds, UTC
    value: Mapped[float] = mapped_column(Float)


class SensorLatest(Base):
    """The newest reading of a sensor."""

    __tablename__ = "sensor_latest"
    __table_args__ = ({"postgresql_with": {"fillfactor": 50}},)

    sensor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)


class ReadingMinute(Base):
    """Per-minute aggregate of a sensor's readings (each reading counted once)."""

    __tablename__ = "reading_minutes"
    __table_args__ = ({"postgresql_with": {"fillfactor": 50}},)

    sensor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch minutes, UTC
    count: Mapped[int] = mapped_column(Integer)
    sum: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class AlarmGroup(Base):
    """A k-of-n combination over sensors of one object (e.g. two of three gas detectors)."""

    __tablename__ = "alarm_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitored_objects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    sensor_ids: Mapped[list[int]] = mapped_column(JSONType)
    k: Mapped[int] = mapped_column(Integer)
    min_level: Mapped[int] = mapped_column(Integer)  # 1 blue … 4 red
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaintenanceWindow(Base):
    """A time when a sensor's readings raise no alarm (检修/标定)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alarm(Base):
    """An alarm of a sensor's or a group's rule, through ``states.TRANSITIONS``.

    At most one open (not yet handled) alarm per originator and rule (the partial unique
    index): the rule firing again updates or reactivates it.
    """

    __tablename__ = "alarms"
    __table_args__ = (
        Index(
            "uq_alarms_open_originator",
            "originator",
            "rule",
            unique=True,
            sqlite_where=text("handled = 0"),
            postgresql_where=text("NOT handled"),
        ),
        Index("ix_alarms_region_status", "region_path", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # "s:<sensor id>" or "g:<group id>": one key for the one-open-alarm rule.
    originator: Mapped[str] = mapped_column(String(40))
    sensor_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensors.id", ondelete="RESTRICT"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("alarm_groups.id", ondelete="RESTRICT"))
    object_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitored_objects.id", ondelete="RESTRICT"), index=True
    )
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column()  # the object's, for access
    region_path: Mapped[str] = mapped_column(String(600))
    rule: Mapped[str] = mapped_column(String(20))  # rules.RuleKind: threshold, rate, stale…
    severity: Mapped[str] = mapped_column(String(10))  # states.Severity
    peak_severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # states.AlarmStatus
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The reading that raised it, and the latest one that changed it.
    first_value: Mapped[float | None] = mapped_column(Float)
    first_ts: Mapped[int] = mapped_column(BigInteger)  # epoch ms
    last_value: Mapped[float | None] = mapped_column(Float)
    last_ts: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column()
    cleared_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column()
    assigned_to: Mapped[uuid.UUID | None] = mapped_column()  # a user
    assigned_at: Mapped[datetime | None] = mapped_column()
    disposition: Mapped[str | None] = mapped_column(String(20))  # states.Disposition
    disposition_note: Mapped[str | None] = mapped_column(Text)
    disposed_at: Mapped[datetime | None] = mapped_column()
    disposed_by: Mapped[uuid.UUID | None] = mapped_column()
    # SLA escalation (data/alarm_sla.toml): 0 none, 1 county supervisor, 2 city.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RuleEngineState(Base):
    """The rule engine's latest snapshot (rules.RuleEngine.snapshot), so it survives a restart."""

    __tablename__ = "rule_engine_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Sensor ids in engine-index order, and group ids in engine-group order.
    sensor_ids: Mapped[list[int]] = mapped_column(JSONType)
    group_ids: Mapped[list[int]] = mapped_column(JSONType)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleEngineProgress(Base):
    """What the rules worker has evaluated, written with every batch it commits.

    Its heartbeat: a rules worker that stopped (or fell behind) must be visible on the board,
    because alarms stop with it.
    """

    __tablename__ = "rule_engine_progress"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    evaluated: Mapped[int] = mapped_column(BigInteger, default=0)  # readings since it started
    alarm_changes: Mapped[int] = mapped_column(BigInteger, default=0)
    last_reading_ts: Mapped[int | None] = mapped_column(BigInteger)  # newest evaluated, epoch ms
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
