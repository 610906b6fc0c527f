"""Reading storage: a batch of checked readings into ``readings``, once each, set-based.

PostgreSQL: the batch, sorted by sensor and time, is COPied (binary, built with numpy) straight
into ``readings``, and its latest value per sensor and its count, sum, minimum and maximum per
sensor and minute, computed here, are COPied into temporary tables and upserted from there. A
unique violation (a reading stored before: a redelivery) undoes the COPY, and the careful path
stages the batch, inserts only what is new (``ON CONFLICT DO NOTHING RETURNING``) and
aggregates only that; it is also taken at once when a reading repeats within the batch.

SQLite: the batch goes to a temporary table with one ``executemany``; one INSERT…SELECT moves
it into ``readings`` (on a unique violation SQLite undoes just that statement, and the careful
INSERT…ON CONFLICT DO NOTHING RETURNING takes over) and the aggregates are upserted from it.

Every statement takes its rows in key order (sensor, then time), and the tables in one order
(readings, sensor_latest, reading_minutes), so workers storing concurrently never deadlock.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import psycopg
from sqlalchemy.orm import Session

# The minute of a reading, floor(ts / 60000), with integer arithmetic only (SQL's integer
# division truncates toward zero; negative times round down as Python's // does).
_MINUTE_OF_TS: Final = "CASE WHEN ts >= 0 THEN ts / 60000 ELSE -((-(ts + 1)) / 60000) - 1 END"

# Per-connection staging tables, emptied at commit, and emptied here for a second batch within
# one transaction: the readings (careful path), those of them inserted, and the aggregates.
_PG_PREPARE: Final = """
CREATE TEMP TABLE IF NOT EXISTS yingji_ingest_stage
    (sensor_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS yingji_ingest_new
    (sensor_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS yingji_ingest_latest
    (sensor_id integer, ts bigint, value double precision) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS yingji_ingest_minutes (sensor_id integer, minute bigint,
    count integer, sum double precision, min double precision, max double precision)
    ON COMMIT DELETE ROWS;
DELETE FROM yingji_ingest_stage; DELETE FROM yingji_ingest_new;
DELETE FROM yingji_ingest_latest; DELETE FROM yingji_ingest_minutes
"""
# The upserts, from the aggregates computed here or, on the careful path, from the inserted rows.
_PG_LATEST: Final = """
INSERT INTO sensor_latest AS l (sensor_id, ts, value) {rows}
ON CONFLICT (sensor_id) DO UPDATE SET ts = excluded.ts, value = excluded.value
WHERE excluded.ts > l.ts
"""
_PG_MINUTES: Final = """
INSERT INTO reading_minutes AS m (sensor_id, minute, count, sum, min, max) {rows}
ON CONFLICT (sensor_id, minute) DO UPDATE SET
    count = m.count + excluded.count, sum = m.sum + excluded.sum,
    min = least(m.min, excluded.min), max = greatest(m.max, excluded.max)
"""
_PG_STAGED_LATEST: Final = "SELECT * FROM yingji_ingest_latest ORDER BY sensor_id"
_PG_STAGED_MINUTES: Final = "SELECT * FROM yingji_ingest_minutes ORDER BY sensor_id, minute"
_PG_NEW_LATEST: Final = (
    "SELECT DISTINCT ON (sensor_id) sensor_id, ts, value FROM yingji_ingest_new"
    " ORDER BY sensor_id, ts DESC"
)
_PG_NEW_MINUTES: Final = f"""
SELECT sensor_id, {_MINUTE_OF_TS}, count(*), sum(value), min(value), max(value)
FROM yingji_ingest_new GROUP BY 1, 2 ORDER BY 1, 2
"""
# The careful path: insert the staged readings not stored yet, keeping the inserted ones.
_PG_INSERT_NEW: Final = """
WITH new AS (
    INSERT INTO readings (sensor_id, ts, value)
    SELECT * FROM yingji_ingest_stage ORDER BY ts, sensor_id
    ON CONFLICT DO NOTHING RETURNING sensor_id, ts, value
)
INSERT INTO yingji_ingest_new SELECT * FROM new
"""
# COPY's binary format: a signature, flags and header extension, then per row the field count
# and each field as (length, big-endian value), and -1 at the end.
_COPY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER: Final = b"\xff\xff"


def _copy_dtype(*fields: tuple[str, str]) -> np.dtype[Any]:
    """Return the numpy layout of a binary COPY row of the given (name, type) fields."""
    layout = [("fields", ">i2")]
    for number, (name, kind) in enumerate(fields):
        layout += [(f"length{number}", ">i4"), (name, kind)]
    return np.dtype(layout)


_READING_ROW: Final = _copy_dtype(("sensor_id", ">i4"), ("ts", ">i8"), ("value", ">f8"))
_MINUTE_ROW: Final = _copy_dtype(
    ("sensor_id", ">i4"), ("minute", ">i8"), ("count", ">i4"), ("sum", ">f8"), ("min", ">f8"),
    ("max", ">f8"),
)  # fmt: skip

_SQLITE_STAGE: Final = (
    "CREATE TEMP TABLE IF NOT EXISTS yingji_ingest_{name}"
    " (sensor_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL)"
)
_SQLITE_MOVE_ALL: Final = (
    "INSERT INTO main.readings (sensor_id, ts, value)"
    " SELECT sensor_id, ts, value FROM temp.yingji_ingest_stage ORDER BY ts, sensor_id"
)
_SQLITE_MOVE_SOME: Final = (
    "INSERT INTO main.readings (sensor_id, ts, value)"
    " SELECT sensor_id, ts, value FROM temp.yingji_ingest_stage WHERE true"
    " ORDER BY ts, sensor_id ON CONFLICT DO NOTHING RETURNING sensor_id, ts, value"
)
# SQLite takes the bare columns beside max(ts) from the row that holds the maximum.
_SQLITE_LATEST: Final = """
INSERT INTO main.sensor_latest AS l (sensor_id, ts, value)
SELECT sensor_id, max(ts), value FROM temp.{rows} GROUP BY sensor_id
ON CONFLICT (sensor_id) DO UPDATE SET ts = excluded.ts, value = excluded.value
WHERE excluded.ts > l.ts
"""
_SQLITE_MINUTES: Final = f"""
INSERT INTO main.reading_minutes AS m (sensor_id, minute, count, sum, min, max)
SELECT sensor_id, {_MINUTE_OF_TS}, count(*), sum(value), min(value), max(value)
FROM temp.{{rows}} WHERE true GROUP BY 1, 2
ON CONFLICT (sensor_id, minute) DO UPDATE SET
    count = m.count + excluded.count, sum = m.sum + excluded.sum,
    min = min(m.min, excluded.min), max = max(m.max, excluded.max)
"""


def _dbapi(session: Session) -> Any:
    """Return the DB-API connection under the session's transaction."""
    return session.connection().connection.dbapi_connection


def store_rows(
    session: Session, sensor_ids: Sequence[int], timestamps: Sequence[int], values: Sequence[float]
) -> dict[int, int] | None:
    """Store readings once each, keeping the latest values and the minute aggregates.

    Returns None when every reading was inserted, else how many readings of each sensor were
    (the others were stored before, or repeated earlier in the same call); only the inserted
    ones enter ``sensor_latest`` and ``reading_minutes``.
    """
    if not sensor_ids:
        return None
    if session.get_bind().dialect.name == "postgresql":
        return _store_postgresql(session, sensor_ids, timestamps, values)
    return _store_sqlite(session, sensor_ids, timestamps, values)


class _Batch:
    """A batch's readings sorted by sensor and time, with their aggregates."""

    def __init__(
        self, sensor_ids: Sequence[int], timestamps: Sequence[int], values: Sequence[float]
    ) -> None:
        sensors = np.asarray(sensor_ids, dtype=np.int64)
        times = np.asarray(timestamps, dtype=np.int64)
        order = np.lexsort((times, sensors))
        self.sensors, self.times = sensors[order], times[order]
        self.values = np.asarray(values, dtype=np.float64)[order]
        new_sensor = self.sensors[1:] != self.sensors[:-1]
        self.repeated = bool(np.any(~new_sensor & (self.times[1:] == self.times[:-1])))
        self.sensor_ends = np.append(np.flatnonzero(new_sensor), len(self.sensors) - 1)

    def rows(self) -> bytes:
        """Return the readings as binary COPY data."""
        rows = np.empty(len(self.sensors), dtype=_READING_ROW)
        _fill(rows, sensor_id=self.sensors, ts=self.times, value=self.values)
        return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER

    def latest(self) -> bytes:
        """Return each sensor's newest reading as binary COPY data."""
        ends = self.sensor_ends
        rows = np.empty(len(ends), dtype=_READING_ROW)
        _fill(rows, sensor_id=self.sensors[ends], ts=self.times[ends], value=self.values[ends])
        return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER

    def minutes(self) -> bytes:
        """Return count, sum, min and max per sensor and minute as binary COPY data."""
        minutes = self.times // 60_000  # floor division, as SQL's _MINUTE_OF_TS
        new = (self.sensors[1:] != self.sensors[:-1]) | (minutes[1:] != minutes[:-1])
        starts = np.append(0, np.flatnonzero(new) + 1)
        rows = np.empty(len(starts), dtype=_MINUTE_ROW)
        _fill(
            rows,
            sensor_id=self.sensors[starts],
            minute=minutes[starts],
            count=np.diff(np.append(starts, len(self.sensors))),
            sum=np.add.reduceat(self.values, starts),
            min=np.minimum.reduceat(self.values, starts),
            max=np.maximum.reduceat(self.values, starts),
        )
        return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _fill(rows: npt.NDArray[Any], **columns: npt.NDArray[Any]) -> None:
    """Fill binary COPY rows: field count, and each field's length and value."""
    names = [name for name in rows.dtype.names or () if not name.startswith("length")][1:]
    rows["fields"] = len(names)
    for number, name in enumerate(names):
        rows[f"length{number}"] = rows.dtype[name].itemsize
        rows[name] = columns[name]


def _store_postgresql(
    session: Session, sensor_ids: Sequence[int], timestamps: Sequence[int], values: Sequence[float]
) -> dict[int, int] | None:
    batch = _Batch(sensor_ids, timestamps, values)
    with _dbapi(session).cursor() as cur:
        cur.execute(_PG_PREPARE)
        if not batch.repeated:
            # The usual case, none of the readings stored yet: COPY them into readings (a
            # unique violation sends the batch to the careful path), add the aggregates.
            cur.execute("SAVEPOINT yingji_ingest")
            try:
                _copy(cur, "readings (sensor_id, ts, value)", batch.rows())
            except psycopg.errors.UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT yingji_ingest")
            else:
                cur.execute("RELEASE SAVEPOINT yingji_ingest")
                _copy(cur, "yingji_ingest_latest", batch.latest())
                _copy(cur, "yingji_ingest_minutes", batch.minutes())
                cur.execute(_PG_LATEST.format(rows=_PG_STAGED_LATEST))
                cur.execute(_PG_MINUTES.format(rows=_PG_STAGED_MINUTES))
                return None
        # Some readings stored before (a redelivery) or repeated: insert the others, and
        # aggregate only those.
        _copy(cur, "yingji_ingest_stage", batch.rows())
        cur.execute(_PG_INSERT_NEW)
        cur.execute(_PG_LATEST.format(rows=_PG_NEW_LATEST))
        cur.execute(_PG_MINUTES.format(rows=_PG_NEW_MINUTES))
        cur.execute("SELECT sensor_id, count(*) FROM yingji_ingest_new GROUP BY sensor_id")
        return {int(sensor): int(count) for sensor, count in cur.fetchall()}


def _copy(cursor: Any, table: str, data: bytes) -> None:
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(data)


def _store_sqlite(
    session: Session, sensor_ids: Sequence[int], timestamps: Sequence[int], values: Sequence[float]
) -> dict[int, int] | None:
    cur = _dbapi(session).cursor()
    try:
        cur.execute(_SQLITE_STAGE.format(name="stage"))
        cur.execute(_SQLITE_STAGE.format(name="new"))
        cur.execute("DELETE FROM temp.yingji_ingest_stage")
        cur.executemany(
            "INSERT INTO temp.yingji_ingest_stage VALUES (?, ?, ?)",
            zip(sensor_ids, timestamps, values, strict=True),
        )
        inserted: dict[int, int] | None = None
        rows = "yingji_ingest_stage"
        try:
            cur.execute(_SQLITE_MOVE_ALL)
        except sqlite3.IntegrityError:  # SQLite undoes the failed statement, not the transaction
            new = cur.execute(_SQLITE_MOVE_SOME).fetchall()
            cur.execute("DELETE FROM temp.yingji_ingest_new")
            cur.executemany("INSERT INTO temp.yingji_ingest_new VALUES (?, ?, ?)", new)
            inserted = dict(Counter(row[0] for row in new))
            rows = "yingji_ingest_new"
        cur.execute(_SQLITE_LATEST.format(rows=rows))
        cur.execute(_SQLITE_MINUTES.format(rows=rows))
    finally:
        cur.close()
    return inserted
