"""Sending committed attempts, storing their receipts, and re-sending what a crash left behind.

Attempts are sent outside any transaction, grouped by channel through ``Channel.send_many``
(the adapters batch and parallelise), and each receipt is stored on its attempt in one short
transaction: sent (with the provider's id), delivered, or failed with the reason. A receipt
only ever describes the message: it never acknowledges anything.

An asking attempt of a warning lifted or cancelled after the attempt was planned is not sent
(failed, "warning ended before sending"); notices are.

**After a crash.** An attempt is committed as ``sending`` before it is sent. If the process
dies before storing the receipt, the attempt stays ``sending``; ``claim_stale`` finds such
attempts once they are ``resend_after`` old (the attempt's ``updated_at`` is its lease: a
claim renews it, so two dispatchers never re-send the same attempt at once) and they are sent
again with the SAME delivery id. The adapters pass that id to the provider as the message
reference and, where configured (``idempotency_header``), as the idempotency key, so a
provider that deduplicates turns a re-send of a message it already accepted into nothing; a
provider that does not may deliver that one message twice, never a different rung. A
configured batch API is keyed by a hash of the batch's delivery ids, which a re-sent batch
may not share: such providers must deduplicate per message reference.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from yingji.warnings._d_bulk import Encoder
from yingji.warnings._d_messages import Purpose, build_delivery
from yingji.warnings._d_people import chunks
from yingji.warnings._d_plan import (
    SENDING,
    Context,
    Outgoing,
    facts_of,
    recipient_of,
    silent_names,
)
from yingji.warnings._ladder import NOTICE_CYCLE
from yingji.warnings.channels import (
    Channel,
    ChannelName,
    DeliveryReport,
    Receipt,
    ReceiptStatus,
)
from yingji.warnings.channels.base import failed_receipt
from yingji.warnings.models import DeliveryAttempt, EarlyWarning, WarningTarget
from yingji.warnings.states import WarningStatus

log = logging.getLogger(__name__)
ENDED = "warning ended before sending"
NO_CHANNEL = "channel not available in this dispatcher"
SEND_CHUNK = 400  # a chunk keeps 4 provider connections × batches of 100 busy
RECEIPT_UPDATE = (
    ("status", "varchar"), ("provider_message_id", "varchar"), ("reason", "text"),
    ("retryable", "bool"), ("updated_at", "timestamptz"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending a batch came to."""

    sent: int
    failed: int


def still_active(session: Session, warning_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Return which of the warnings are still in force."""
    if not warning_ids:
        return set()
    rows = session.scalars(
        select(EarlyWarning.id).where(
            EarlyWarning.id.in_(list(warning_ids)),
            EarlyWarning.status == WarningStatus.ISSUED.value,
        )
    )
    return set(rows)


def send(
    outgoing: Sequence[Outgoing],
    channels: Mapping[ChannelName, Channel],
    *,
    active: Collection[uuid.UUID],
) -> list[Receipt]:
    """Send attempts through their channels; return one receipt each (never raises)."""
    receipts: list[Receipt] = []
    by_channel: dict[ChannelName, list[Outgoing]] = defaultdict(list)
    for item in outgoing:
        if item.purpose != "notice" and item.warning_id not in active:
            receipts.append(failed_receipt(item.delivery, ENDED, retryable=False))
        else:
            by_channel[item.delivery.channel].append(item)
    for name, items in by_channel.items():
        channel = channels.get(name)
        if channel is None:
            receipts.extend(failed_receipt(i.delivery, NO_CHANNEL, retryable=False) for i in items)
            continue
        receipts.extend(channel.send_many([i.delivery for i in items]))
    return receipts


def store(session: Session, receipts: Sequence[Receipt]) -> Sent:
    """Store receipts on their attempts (only attempts still ``sending``); no commit."""
    if not receipts:
        return Sent(0, 0)
    rows = [
        (uuid.UUID(r.delivery_id), r.status.value, r.provider_message_id, r.reason,
         r.retryable, r.at)
        for r in receipts
    ]  # fmt: skip
    Encoder(session).update("warning_deliveries", RECEIPT_UPDATE, rows, only_status=(SENDING,))
    failed = sum(r.status is ReceiptStatus.FAILED for r in receipts)
    return Sent(len(receipts) - failed, failed)


def claim_stale(
    session: Session,
    *,
    ctx: Context,
    now: datetime,
    resend_after: timedelta,
    limit: int,
    exclude: Collection[uuid.UUID] = (),
) -> list[Outgoing]:
    """Return attempts left ``sending`` too long, leased to this caller; no commit.

    Each comes back as it was first built (same id, same text): the caller sends it again.
    ``exclude`` names attempts this process is still sending.
    """
    T = WarningTarget
    query = (
        select(
            DeliveryAttempt.id.label("attempt_id"), DeliveryAttempt.channel,
            DeliveryAttempt.cycle, T.id, T.warning_id, T.user_id, T.mobile, T.email,
            T.language, T.must_acknowledge, T.token_nonce, T.reply_code, T.escalated_from_id,
        )
        .join(T, T.id == DeliveryAttempt.target_id)
        .where(DeliveryAttempt.status == SENDING, DeliveryAttempt.updated_at < now - resend_after)
        .order_by(DeliveryAttempt.updated_at)
        .limit(limit + len(exclude))
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=DeliveryAttempt, skip_locked=True)
    rows = [r for r in session.execute(query).all() if r.attempt_id not in exclude][:limit]
    if not rows:
        return []
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id.in_([r.attempt_id for r in rows]))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    warnings = {
        w.id: facts_of(w)
        for w in session.scalars(
            select(EarlyWarning).where(EarlyWarning.id.in_({r.warning_id for r in rows}))
        )
    }
    origins = silent_names(session, (r.escalated_from_id for r in rows))
    out: list[Outgoing] = []
    for row in rows:
        purpose: Purpose = "ask" if row.must_acknowledge else "tell"
        if row.cycle == NOTICE_CYCLE:
            purpose = "notice"
        delivery = build_delivery(
            delivery_id=row.attempt_id, channel=ChannelName(row.channel),
            recipient=recipient_of(row, origins.get(row.escalated_from_id)),
            warning=warnings[row.warning_id], purpose=purpose, key=ctx.key, base_url=ctx.base_url,
        )  # fmt: skip
        out.append(Outgoing(row.attempt_id, row.warning_id, purpose, delivery))
    log.warning("re-sending %d attempts left %r (crash or timeout)", len(out), SENDING)
    return out


def deliver(
    factory: sessionmaker[Session],
    outgoing: Sequence[Outgoing],
    channels: Mapping[ChannelName, Channel],
    *,
    chunk: int = SEND_CHUNK,
) -> Sent:
    """Send attempts and store their receipts, ``chunk`` at a time; return the counts.

    Each chunk's receipts are committed before the next chunk is sent, so a crash leaves at
    most one chunk sent without its receipts (re-sent under the same ids after a restart).
    """
    if not outgoing:
        return Sent(0, 0)
    sent = failed = 0
    with factory() as session:
        active = still_active(session, {o.warning_id for o in outgoing})
        session.rollback()  # no transaction stays open while the providers answer
        for start in range(0, len(outgoing), chunk):
            receipts = send(outgoing[start : start + chunk], channels, active=active)
            done = store(session, receipts)
            session.commit()
            sent, failed = sent + done.sent, failed + done.failed
    return Sent(sent, failed)


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def apply_reports(session: Session, reports: Sequence[DeliveryReport]) -> tuple[int, int]:
    """Store providers' delivery reports on their attempts; return (updated, unmatched).

    A report names the attempt by our delivery id (echoed reference) or the provider's message
    id. It may arrive before the send receipt is stored: it then settles the attempt, and the
    receipt (which only updates attempts still ``sending``) leaves it. A late "sent" never
    undoes "delivered" or "failed". Reports never acknowledge anything.
    """
    ours = {u for r in reports if (u := _as_uuid(r.delivery_id)) is not None}
    theirs = {r.provider_message_id for r in reports if r.provider_message_id}
    by_id: dict[uuid.UUID, DeliveryAttempt] = {}
    by_provider: dict[str, DeliveryAttempt] = {}
    for part in chunks(sorted(ours)):
        by_id.update((a.id, a) for a in session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.id.in_(part))
        ))  # fmt: skip
    for provider_part in chunks(sorted(theirs)):
        by_provider.update((a.provider_message_id or "", a) for a in session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.provider_message_id.in_(provider_part))
        ))  # fmt: skip
    updated = unmatched = 0
    for report in reports:
        attempt = by_id.get(_as_uuid(report.delivery_id) or uuid.UUID(int=0)) or by_provider.get(
            report.provider_message_id or ""
        )
        if attempt is None or attempt.channel != report.channel.value:
            unmatched += 1
            continue
        final = attempt.status in (ReceiptStatus.DELIVERED.value, ReceiptStatus.FAILED.value)
        if report.status is ReceiptStatus.SENT and final:
            continue
        attempt.status = report.status.value
        attempt.reason = report.reason
        attempt.provider_message_id = attempt.provider_message_id or report.provider_message_id
        attempt.updated_at = report.at
        updated += 1
    session.flush()
    return updated, unmatched
