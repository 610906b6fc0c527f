"""Targets written in bulk: ids, nonces and reply codes drawn at once, then COPY or executemany.

100,000 targets must be written in well under two seconds, so rows are plain tuples in table
column order, encoded as the column types would encode them (``_d_bulk.Encoder``): PostgreSQL
receives them by binary ``COPY … FROM STDIN`` on the session's own connection (same
transaction), SQLite through one ``executemany`` of the driver (SQLAlchemy's per-value bind
processing alone took 5 s for 100,000 rows). Rows are built as the COPY consumes them, so the
server stores the first while the rest are being built (the two run on different cores). The
ORM does not see the rows: callers that need objects select them after.

Reply codes are digits, as short as the number of codes in use allows (four digits up to 500
open targets, one more digit per tenfold): unique among the warning's open targets and, per
mobile, distinct from the codes of that phone's open targets of other warnings in force, so a
reply "1234" from a phone names one target. They ascend in key order, as the ids do: a
fan-out's entries are appended to each of its indexes rather than scattered through them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.db import ordered_ids
from yingji.warnings._d_bulk import Encoder
from yingji.warnings._d_people import RECIPIENT_COLUMNS, Candidate, chunks
from yingji.warnings._tokens import new_nonces
from yingji.warnings.models import EarlyWarning, WarningTarget
from yingji.warnings.states import TargetStatus, WarningStatus

OPEN: Final = (TargetStatus.PENDING.value, TargetStatus.ESCALATED.value)
ISSUED: Final = WarningStatus.ISSUED.value
MIN_CODE_DIGITS: Final = 4
CODE_SPACE_FACTOR: Final = 20  # codes drawn from a space 20× the codes in use
BIG_INSERT: Final = 10_000
SQLITE_CACHE_KIB: Final = -131_072  # 128 MiB (negative: KiB, as SQLite's pragma takes it)
KEY: Final = RECIPIENT_COLUMNS.index("person_key")
MOBILE: Final = RECIPIENT_COLUMNS.index("mobile")
ASKED: Final = RECIPIENT_COLUMNS.index("must_acknowledge")

# escalated_at, acknowledged_at and ack_channel are left out: NULL, the table's default.
COLUMNS: Final = (
    "id", "warning_id", *RECIPIENT_COLUMNS, "escalated_from_id", "status", "step", "cycle",
    "next_action_at", "deadline_at", "token_nonce", "reply_code", "created_at",
)  # fmt: skip


def code_digits(in_use: int) -> int:
    """Return how many digits reply codes need when ``in_use`` codes are open."""
    digits = MIN_CODE_DIGITS
    while 10 ** (digits - 1) * 9 < in_use * CODE_SPACE_FACTOR:
        digits += 1
    return min(digits, 8)


def taken_codes(
    session: Session, *, warning_id: uuid.UUID
) -> tuple[set[str], set[tuple[str, str]]]:
    """Return the reply codes of a warning's open targets, and (mobile, code) of other warnings'.

    Only warnings in force have open targets (ending one closes them): their targets are read
    through the (warning, code) index, however many targets past warnings left. The warnings
    are found first: joined in one query, PostgreSQL scanned every target ever written when
    its statistics showed none open (a tenth of a second at 800,000, on every fan-out and
    every escalation pass).
    """
    own: set[str] = set()
    others: set[tuple[str, str]] = set()
    in_force = list(session.scalars(select(EarlyWarning.id).where(EarlyWarning.status == ISSUED)))
    rows = (
        row
        for part in chunks(in_force)
        for row in session.execute(
            select(WarningTarget.warning_id, WarningTarget.mobile, WarningTarget.reply_code).where(
                WarningTarget.warning_id.in_(part),
                WarningTarget.status.in_(OPEN),
                WarningTarget.must_acknowledge.is_(True),
            )
        )
    )
    for owner, mobile, code in rows:
        if owner == warning_id:
            own.add(code)
        elif mobile:
            others.add((mobile, code))
    return own, others


class CodePool:
    """Fresh reply codes for one fan-out, handed out in ascending order, avoiding taken ones.

    Taken in key order, the codes ascend (but for a rare clash, replaced by a random code), so
    a fan-out's rows are appended to the (warning, code) index.
    """

    def __init__(self, count: int, *, own: set[str], others: set[tuple[str, str]]) -> None:
        digits = code_digits(len(own) + count)
        self.low, self.high = 10 ** (digits - 1), 10**digits
        # Not secrets (the phone is what authenticates a reply), only distinct: a seeded PRNG
        # is a hundred times faster than drawing 100,000 codes from the OS. Equal lengths:
        # the strings sort as the numbers do.
        self.rng = np.random.default_rng(int.from_bytes(os.urandom(16)))
        want = min(self.high - self.low, count + len(own) + 64) if count else 0
        drawn = self.rng.choice(self.high - self.low, size=want, replace=False) + self.low
        ascending: list[str] = np.sort(drawn).astype(str).tolist()
        self.pool = iter([c for c in ascending if c not in own] if own else ascending)
        self.used, self.others = set(own), others

    def take(self, mobile: str | None) -> str:
        """Return the next code for a phone; a rare clash is replaced by a random code."""
        code = next(self.pool, None) or str(self.rng.integers(self.low, self.high))
        while code in self.used or (mobile is not None and (mobile, code) in self.others):
            code = str(self.rng.integers(self.low, self.high))
        self.used.add(code)
        return code


def build_rows(
    recipients: Iterable[tuple[Any, ...]],
    *,
    count: int,
    codes: CodePool,
    warning_id: uuid.UUID,
    now: datetime,
    window: timedelta,
    escalated_from: Sequence[uuid.UUID | None] | None = None,
) -> tuple[list[uuid.UUID], Iterator[tuple[Any, ...]]]:
    """Return the ids of ``count`` new pending targets whose ladder starts now, and their rows.

    ``recipients`` are ``Candidate.columns`` tuples. The rows (in ``COLUMNS`` order) are
    built as they are consumed, and the list of ids is filled as they are: it is complete
    once the rows have been written. Raises ValueError unless there are ``count`` recipients
    (as the rows are consumed).
    """
    ids: list[uuid.UUID] = []
    return ids, _rows(recipients, ids, count=count, codes=codes, warning_id=warning_id,
                      now=now, window=window, escalated_from=escalated_from)  # fmt: skip


def _rows(
    recipients: Iterable[tuple[Any, ...]],
    ids: list[uuid.UUID],
    *,
    count: int,
    codes: CodePool,
    warning_id: uuid.UUID,
    now: datetime,
    window: timedelta,
    escalated_from: Sequence[uuid.UUID | None] | None,
) -> Iterator[tuple[Any, ...]]:
    nonces = new_nonces(count)
    froms = escalated_from or [None] * count
    deadline, pending, take = now + window, TargetStatus.PENDING.value, codes.take
    made = zip(ordered_ids(count), recipients, nonces, froms, strict=True)
    for target_id, columns, nonce, from_id in made:
        ids.append(target_id)
        if columns[ASKED]:  # must acknowledge: a deadline and a reply code
            tail = (from_id, pending, 0, 0, now, deadline, nonce, take(columns[MOBILE]), now)
        else:
            tail = (from_id, pending, 0, 0, now, now, nonce, "", now)
        yield (target_id, warning_id, *columns, *tail)


def insert_rows(session: Session, rows: Iterator[tuple[Any, ...]], count: int) -> None:
    """Insert ``count`` target rows in the session's transaction (COPY on PostgreSQL)."""
    if not count:
        return
    encoder = Encoder(session)
    if encoder.postgresql or count <= BIG_INSERT:
        encoder.insert("warning_targets", COLUMNS, rows)
        return
    # The four indexes outgrow SQLite's default 2 MB page cache at this size: a larger cache
    # for the insert (restored after) saves a third of its time.
    cache = encoder.raw.execute("PRAGMA cache_size").fetchone()[0]
    encoder.raw.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        encoder.insert("warning_targets", COLUMNS, rows)
    finally:
        encoder.raw.execute(f"PRAGMA cache_size = {int(cache)}")


def write_targets(
    session: Session,
    recipients: Iterable[tuple[Any, ...]],
    *,
    count: int,
    askers: int,
    warning_id: uuid.UUID,
    now: datetime,
    window: timedelta,
    escalated_from: Sequence[uuid.UUID | None] | None = None,
) -> list[uuid.UUID]:
    """Create pending targets for ``count`` recipients in key order, ``askers`` must answer.

    ``recipients`` are ``Candidate.columns`` tuples, which may be made as they are iterated
    (``_d_people.Reach.recipients``): each row is built and sent as the COPY takes it.
    Returns the ids, in the recipients' order.
    """
    if not count:
        return []
    own, others = taken_codes(session, warning_id=warning_id)
    codes = CodePool(askers, own=own, others=others)
    ids, rows = build_rows(
        recipients, count=count, codes=codes, warning_id=warning_id, now=now,
        window=window, escalated_from=escalated_from,
    )  # fmt: skip
    insert_rows(session, rows, count)  # raises unless there were exactly ``count``
    return ids


def insert_candidates(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    warning_id: uuid.UUID,
    now: datetime,
    window: timedelta,
    escalated_from: Sequence[uuid.UUID | None] | None = None,
) -> list[uuid.UUID]:
    """Create pending targets for candidates (their ladders start now); return their ids."""
    if escalated_from is None:
        # In key order, with ascending ids and codes: the indexes are filled at their ends.
        candidates = sorted(candidates, key=lambda c: c.person_key)
    return write_targets(
        session, (c.columns() for c in candidates), count=len(candidates),
        askers=sum(c.must_acknowledge for c in candidates),
        warning_id=warning_id, now=now, window=window, escalated_from=escalated_from,
    )  # fmt: skip
