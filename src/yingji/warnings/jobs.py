"""The 叫应 dispatcher: the process that runs every target's ladder (``yingji warnings dispatch``).

A loop plans and a sender thread sends. Planning (``_d_plan``) claims due targets, escalates
the silent, records the rungs due as attempts and commits; the committed batch goes to the
sender, which sends it through the channels and stores the receipts (``_d_send``), while the
planner is already claiming the next due targets: a long fan-out does not hold up a deadline
that falls due meanwhile. The queue between them holds two batches; a slower sender holds up
the planner rather than letting ``sending`` attempts pile up.

Between passes the planner sleeps until the earliest ``next_action_at`` (at most
``poll_seconds``), so an escalation fires within that of its due time when the dispatcher
keeps up. Every ``recover_every`` seconds it re-sends attempts left ``sending`` for longer
than ``resend_after`` by a dispatcher that died (same delivery ids: see ``_d_send``).

Several dispatchers may run against PostgreSQL (targets and stale attempts are claimed with
``FOR UPDATE SKIP LOCKED``); against SQLite they take turns on the database's write lock.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from yingji.core.config import Settings
from yingji.core.db import utcnow
from yingji.warnings._d_escalate import SuperiorCache
from yingji.warnings._d_plan import Context, Outgoing, Planned, next_due, plan_due
from yingji.warnings._d_send import Sent, claim_stale, deliver
from yingji.warnings._dispatch import dispatch_actor
from yingji.warnings._ladder import Ladder
from yingji.warnings._tokens import key_of
from yingji.warnings.channels import Channel, ChannelName, ChannelsConfig, build_channels
from yingji.warnings.config import rules

log = logging.getLogger(__name__)
# Passes have a fixed cost (claim, audit entry, commit): when targets fall due one by one,
# waiting this long gathers them into a pass instead of paying it for each.
MIN_IDLE_SECONDS = 0.05


@dataclass(slots=True)
class PassResult:
    """What one synchronous pass (plan, send, store) did."""

    claimed: int = 0
    attempts: int = 0
    in_app: int = 0
    escalated: int = 0
    notices: int = 0
    sent: int = 0
    failed: int = 0
    resent: int = 0


def channels_of(settings: Settings) -> dict[ChannelName, Channel]:
    """Return the sending channels configured in the settings."""
    return build_channels(ChannelsConfig.model_validate(settings.channels))


class Dispatcher:
    """Run the ladders of every warning's targets."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        channels: Mapping[ChannelName, Channel] | None = None,
        batch_size: int = 1000,
        poll_seconds: float = 0.25,
        resend_after_seconds: float = 120.0,
        recover_every_seconds: float = 5.0,
        superiors_ttl_seconds: float = 60.0,
    ) -> None:
        self.factory = factory
        self.channels = dict(channels) if channels is not None else channels_of(settings)
        self._own_channels = channels is None
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.resend_after = timedelta(seconds=resend_after_seconds)
        self.recover_every = recover_every_seconds
        self._key = key_of(settings)
        self._base_url = settings.public_base_url
        self._in_flight: set[uuid.UUID] = set()
        self._superiors = SuperiorCache(ttl=superiors_ttl_seconds)
        self._lock = threading.Lock()
        self.totals = PassResult()

    def context(self) -> Context:
        """Return the rules and keys of a pass (the rules file is read once per process)."""
        current = rules()
        return Context(rules=current, ladder=Ladder.of(current), key=self._key,
                       base_url=self._base_url, actor=dispatch_actor(),
                       superiors=self._superiors)  # fmt: skip

    def plan(self, now: datetime | None = None) -> Planned:
        """Claim and plan due targets, commit; return the attempts to send."""
        moment = now or utcnow()
        with self.factory() as session:
            planned = plan_due(session, ctx=self.context(), now=moment, limit=self.batch_size)
            session.commit()
        self._track(planned.outgoing, add=True)
        return planned

    def stale(self, now: datetime | None = None) -> list[Outgoing]:
        """Lease attempts left ``sending`` by a dead dispatcher, commit; return them."""
        moment = now or utcnow()
        with self._lock:
            mine = set(self._in_flight)
        with self.factory() as session:
            found = claim_stale(
                session, ctx=self.context(), now=moment, resend_after=self.resend_after,
                limit=self.batch_size, exclude=mine,
            )  # fmt: skip
            session.commit()
        self._track(found, add=True)
        return found

    def send(self, outgoing: list[Outgoing]) -> Sent:
        """Send committed attempts and store their receipts."""
        try:
            return deliver(self.factory, outgoing, self.channels)
        finally:
            self._track(outgoing, add=False)

    def _track(self, outgoing: list[Outgoing], *, add: bool) -> None:
        with self._lock:
            for item in outgoing:
                if add:
                    self._in_flight.add(item.attempt_id)
                else:
                    self._in_flight.discard(item.attempt_id)

    def run_pass(self, now: datetime | None = None, *, recover: bool = False) -> PassResult:
        """Plan, send and store in the calling thread (tests, and the benchmark's probes)."""
        result = PassResult()
        if recover:
            stale = self.stale(now)
            done = self.send(stale)
            result.resent, result.sent, result.failed = len(stale), done.sent, done.failed
        planned = self.plan(now)
        done = self.send(planned.outgoing)
        result.claimed, result.attempts, result.in_app = (
            planned.claimed, planned.attempts, planned.in_app
        )  # fmt: skip
        result.escalated, result.notices = planned.escalated, planned.notices
        result.sent += done.sent
        result.failed += done.failed
        return result

    def check(self) -> None:
        """Raise if the database cannot be used (unreachable, or not upgraded)."""
        with self.factory() as session:
            next_due(session)

    def _idle_seconds(self) -> float:
        try:
            with self.factory() as session:
                due = next_due(session)
        except Exception:
            log.exception("dispatcher: reading the next due time failed")
            return self.poll_seconds
        if due is None:
            return self.poll_seconds
        # Due already yet not claimed: another dispatcher holds it. Do not spin.
        return max(MIN_IDLE_SECONDS, min(self.poll_seconds, (due - utcnow()).total_seconds()))

    def _sender(self, batches: queue.Queue[list[Outgoing] | None]) -> None:
        while True:
            batch = batches.get()
            if batch is None:
                return
            try:
                done = self.send(batch)
                self.totals.sent += done.sent
                self.totals.failed += done.failed
            except Exception:  # the attempts stay "sending": recovered after resend_after
                log.exception("dispatcher: sending %d attempts failed", len(batch))

    def run(self, stop: threading.Event) -> None:
        """Plan and send until ``stop`` is set; a failing pass is logged and retried."""
        batches: queue.Queue[list[Outgoing] | None] = queue.Queue(maxsize=2)
        sender = threading.Thread(
            target=self._sender, args=(batches,), name="yingji-warnings-sender", daemon=True
        )
        sender.start()
        next_recover = 0.0  # at once: a restart picks up what a crash left
        try:
            while not stop.is_set():
                busy = False
                try:
                    if time.monotonic() >= next_recover:
                        next_recover = time.monotonic() + self.recover_every
                        stale = self.stale()
                        self.totals.resent += len(stale)
                        if stale:
                            batches.put(stale)
                    planned = self.plan()
                    self.totals.claimed += planned.claimed
                    self.totals.attempts += planned.attempts
                    self.totals.escalated += planned.escalated
                    if planned.outgoing:
                        batches.put(planned.outgoing)
                    busy = planned.claimed >= self.batch_size
                except Exception:
                    log.exception("dispatcher: a pass failed; trying again")
                    stop.wait(self.poll_seconds)
                    continue
                if not busy:
                    stop.wait(self._idle_seconds())
        finally:
            batches.put(None)
            sender.join()

    def close(self) -> None:
        """Release the channels' connections (those this dispatcher built)."""
        if self._own_channels:
            for channel in self.channels.values():
                channel.close()


class BackgroundDispatcher:
    """A dispatcher on its own thread, for the web server's process (``run_worker_in_server``)."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.dispatcher = Dispatcher(factory, settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.dispatcher.run, args=(self._stop,), name="yingji-warnings", daemon=True
        )

    def start(self) -> None:
        """Start dispatching."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the pass under way (its sends included) and release the channels."""
        self._stop.set()
        self._thread.join(timeout)
        self.dispatcher.close()
