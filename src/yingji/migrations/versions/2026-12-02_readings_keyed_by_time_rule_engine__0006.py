"""readings keyed by time, rule engine progress

``readings`` is keyed (ts, sensor_id) instead of (sensor_id, ts): new readings append at the
right edge of the key's index (measured in the README's Monitoring storage notes). On SQLite
the table is rebuilt WITHOUT ROWID. On PostgreSQL ``sensor_latest`` and ``reading_minutes``
get fillfactor 50, so their constant in-place updates stay HOT; the setting applies to pages
written from now on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:28:46.994121
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "rule_engine_progress",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("evaluated", sa.BigInteger(), nullable=False),
        sa.Column("alarm_changes", sa.BigInteger(), nullable=False),
        sa.Column("last_reading_ts", sa.BigInteger(), nullable=True),
        sa.Column("started_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yingji.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rule_engine_progress")),
    )
    _rekey_readings(("ts", "sensor_id"), without_rowid=True)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("sensor_latest", "reading_minutes"):
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade() -> None:
    """Revert this migration."""
    if op.get_bind().dialect.name == "postgresql":
        for table in ("sensor_latest", "reading_minutes"):
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    _rekey_readings(("sensor_id", "ts"), without_rowid=False)
    op.drop_table("rule_engine_progress")


def _rekey_readings(key: tuple[str, str], *, without_rowid: bool) -> None:
    """Give ``readings`` the primary key ``key`` (SQLite: rebuild the table)."""
    columns = ", ".join(key)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE readings DROP CONSTRAINT pk_readings")
        op.execute(f"ALTER TABLE readings ADD CONSTRAINT pk_readings PRIMARY KEY ({columns})")
        return
    op.execute(
        "CREATE TABLE readings_rekeyed (sensor_id INTEGER NOT NULL, ts BIGINT NOT NULL,"
        f" value FLOAT NOT NULL, CONSTRAINT pk_readings PRIMARY KEY ({columns}))"
        + (" WITHOUT ROWID" if without_rowid else "")
    )
    op.execute(
        "INSERT INTO readings_rekeyed (sensor_id, ts, value)"
        f" SELECT sensor_id, ts, value FROM readings ORDER BY {columns}"
    )
    op.execute("DROP TABLE readings")
    op.execute("ALTER TABLE readings_rekeyed RENAME TO readings")
