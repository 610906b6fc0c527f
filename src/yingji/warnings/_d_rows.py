"""Targets written in bulk: ids, nonces and reply codes drawn at once, then COPY or executemany.

100,000 targets must be written in well under two seconds, so rows are plain tuples in table
column order, encoded here as the column types would encode them: PostgreSQL receives them as
``COPY … FROM STDIN`` text on the session's own connection (same transaction), SQLite through
one ``executemany`` of the driver (SQLAlchemy's per-value bind processing alone took 5 s for
100,000 rows). The ORM does not see the rows: callers that need objects select them after.

Reply codes are digits, as short as the number of codes in use allows (four digits up to 500
open targets, one more digit per tenfold): unique among the warning's open targets and, per
mobile, distinct from the codes of that phone's open targets of other warnings, so a reply
"1234" from a phone names one target.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.warnings._d_bulk import Encoder
from yingji.warnings._d_people import Candidate
from yingji.warnings._tokens import new_nonces
from yingji.warnings.models import WarningTarget
from yingji.warnings.schemas import TargetKind
from yingji.warnings.states import TargetStatus

OPEN: Final = (TargetStatus.PENDING.value, TargetStatus.ESCALATED.value)
MIN_CODE_DIGITS: Final = 4
CODE_SPACE_FACTOR: Final = 20  # codes drawn from a space 20× the codes in use
BIG_INSERT: Final = 10_000
SQLITE_CACHE_KIB: Final = -131_072  # 128 MiB (negative: KiB, as SQLite's pragma takes it)

COLUMNS: Final = (
    "id", "warning_id", "person_key", "person_id", "subscription_id", "user_id", "name",
    "mobile", "email", "language", "kind", "region_code", "region_path", "title",
    "escalated_from_id", "must_acknowledge", "status", "step", "cycle", "next_action_at",
    "deadline_at", "escalated_at", "acknowledged_at", "ack_channel", "token_nonce",
    "reply_code", "created_at",
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
    """Return the reply codes of a warning's open targets, and (mobile, code) of other warnings'."""
    own: set[str] = set()
    others: set[tuple[str, str]] = set()
    rows = session.execute(
        select(WarningTarget.warning_id, WarningTarget.mobile, WarningTarget.reply_code).where(
            WarningTarget.status.in_(OPEN), WarningTarget.must_acknowledge.is_(True)
        )
    )
    for owner, mobile, code in rows:
        if owner == warning_id:
            own.add(code)
        elif mobile:
            others.add((mobile, code))
    return own, others


def draw_codes(
    mobiles: Sequence[str | None], *, own: set[str], others: set[tuple[str, str]]
) -> list[str]:
    """Return one fresh reply code per mobile (as many as given), avoiding the taken ones."""
    count = len(mobiles)
    if count == 0:
        return []
    digits = code_digits(len(own) + count)
    low, high = 10 ** (digits - 1), 10**digits
    # Not secrets (the phone is what authenticates a reply), only distinct: a seeded PRNG is
    # a hundred times faster than drawing 100,000 codes from the OS.
    rng = random.Random(os.urandom(16))
    pool = iter(rng.sample(range(low, high), min(high - low, count + len(own) + 64)))
    codes: list[str] = []
    used = set(own)
    for mobile in mobiles:
        while True:
            code = str(next(pool, None) or rng.randrange(low, high))
            if code not in used and (mobile is None or (mobile, code) not in others):
                break
        used.add(code)
        codes.append(code)
    return codes


def new_ids(count: int) -> list[uuid.UUID]:
    """Return ``count`` ascending time-ordered ids (RFC 9562 version 7), from one random draw.

    Milliseconds since the epoch, then the id's place in the batch, then 42 random bits: a
    batch's ids are ascending, so its rows go to the end of the primary-key index rather
    than to 100,000 random places in it.
    """
    head = (time.time_ns() // 1_000_000) << 80 | 7 << 76 | 0b10 << 62
    raw = os.urandom(6 * count)
    return [
        uuid.UUID(int=head | (i >> 20 & 0xFFF) << 64 | (i & 0xFFFFF) << 42
                  | int.from_bytes(raw[6 * i : 6 * i + 6]) >> 6)
        for i in range(count)
    ]  # fmt: skip


def build_rows(
    candidates: Sequence[Candidate],
    *,
    warning_id: uuid.UUID,
    now: datetime,
    window: timedelta,
    codes: Sequence[str],
    escalated_from: Sequence[uuid.UUID | None] | None = None,
) -> list[tuple[Any, ...]]:
    """Return the rows (in ``COLUMNS`` order) of new pending targets whose ladder starts now."""
    nonces = new_nonces(len(candidates))
    ids = new_ids(len(candidates))
    deadline = now + window
    pending = TargetStatus.PENDING.value
    kinds = {kind: kind.value for kind in TargetKind}
    froms = escalated_from or [None] * len(candidates)
    return [
        (
            target_id, warning_id, c.person_key, c.person_id, c.subscription_id, c.user_id,
            c.name, c.mobile, c.email, c.language, kinds[c.kind], c.region_code, c.region_path,
            c.title, from_id, c.must_acknowledge, pending, 0, 0, now,
            deadline if c.must_acknowledge else now, None, None, None, nonce,
            code if c.must_acknowledge else "", now,
        )
        for c, target_id, nonce, code, from_id in zip(
            candidates, ids, nonces, codes, froms, strict=True
        )
    ]  # fmt: skip


def insert_rows(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert target rows in the session's transaction (COPY on PostgreSQL)."""
    if not rows:
        return
    encoder = Encoder(session)
    if encoder.postgresql or len(rows) <= BIG_INSERT:
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
    if not candidates:
        return []
    if escalated_from is None:
        # In key order, with ascending ids: both unique indexes are filled at their ends.
        candidates = sorted(candidates, key=lambda c: c.person_key)
    own, others = taken_codes(session, warning_id=warning_id)
    askers = [c for c in candidates if c.must_acknowledge]
    drawn = iter(draw_codes([c.mobile for c in askers], own=own, others=others))
    codes = [next(drawn) if c.must_acknowledge else "" for c in candidates]
    rows = build_rows(
        candidates, warning_id=warning_id, now=now, window=window, codes=codes,
        escalated_from=escalated_from,
    )  # fmt: skip
    insert_rows(session, rows)
    return [row[0] for row in rows]
