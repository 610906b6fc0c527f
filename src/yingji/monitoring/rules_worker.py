"""The rules worker: evaluates every gateway's readings from the broker and keeps the alarms.

Rule state is per sensor and order-dependent (durations, hysteresis, rates), so one process
holds it: the rules worker has its own persistent, non-shared subscription to
``yingji/v1/+/readings`` and sees every payload, whichever ingest worker stores it. It checks a
payload with the ingest checks (a reading ingestion rejects is never evaluated; counting
rejections stays the ingest workers' job), evaluates the good readings, applies the level
changes as alarms, commits, and only then acknowledges the messages. Every few seconds it
ticks (stale sensors, the end of maintenance windows), follows registry changes, and saves
the engine's snapshot, from which a restarted worker resumes; the broker keeps what arrived
meanwhile in the persistent session. Each commit also moves its heartbeat
(``_rule_progress``), which the board watches.

A batch is at most 100 messages (50,000 readings of 500-reading messages, about 0.25 s of
work): an alarm is committed only with its batch, so a smaller batch keeps publish → alarm
latency short, and the per-batch cost (one commit, one heartbeat row) stays small beside it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yingji.monitoring._evaluator import RuleRuntime
from yingji.monitoring._ingest import Checked, check_payload
from yingji.monitoring._rule_progress import record_progress
from yingji.monitoring._sensor_table import SensorSpec, SensorTable
from yingji.monitoring.models import Gateway, Sensor
from yingji.monitoring.mqtt import (
    SESSION_EXPIRY_SECONDS,
    TOPIC_FILTER,
    BatchConsumer,
    Message,
    gateway_of,
)

log = logging.getLogger(__name__)
RETRY_SECONDS: Final = 2.0
UNKNOWN_RECHECK_SECONDS: Final = 60.0


@dataclass(slots=True)
class RulesTotals:
    """What the worker has done since it started."""

    messages: int = 0
    evaluated: int = 0
    alarm_changes: int = 0


class RulesWorker(BatchConsumer):
    """Evaluate readings from the broker into alarms; commit, then acknowledge."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str = "yingji-rules",
        session_expiry_seconds: int = SESSION_EXPIRY_SECONDS,
        batch_messages: int = 100,
        linger_seconds: float = 0.02,
        receive_maximum: int = 1000,
        tick_seconds: float = 5.0,
        save_seconds: float = 30.0,
    ) -> None:
        super().__init__(
            host=host, port=port, client_id=client_id, subscription=TOPIC_FILTER,
            batch_messages=batch_messages, linger_seconds=linger_seconds,
            receive_maximum=receive_maximum, session_expiry_seconds=session_expiry_seconds,
        )  # fmt: skip
        self._factory = factory
        self._tick_every, self._save_every = tick_seconds, save_seconds
        self._runtime: RuleRuntime | None = None
        self._specs: dict[str, SensorTable] = {}
        self._unknown: dict[str, float] = {}  # gateway code -> when to look it up again
        self.totals = RulesTotals()

    def start(self, *, timeout: float = 10.0) -> None:
        """Load the rule state, then connect and wait for the subscription."""
        self._load()
        super().start(timeout=timeout)

    def stop(self) -> None:
        """Save the rule state and disconnect."""
        if self._runtime is not None:
            try:
                self._save()
            except Exception:  # the database is gone: the last saved snapshot stands
                log.exception("saving the rule engine state failed")
        super().stop()

    def _load(self) -> None:
        with self._factory() as session:
            self._runtime = RuleRuntime.load(session)
            self._load_specs(session)
            record_progress(session, started=True)
            session.commit()

    def _load_specs(self, session: Session) -> None:
        specs: dict[str, SensorTable] = defaultdict(SensorTable)
        rows = session.execute(
            select(Gateway.code, Sensor.code, Sensor.id, Sensor.unit, Sensor.range_min,
                   Sensor.range_max)
            .join(Sensor, Sensor.gateway_id == Gateway.id)
            .where(Gateway.active)
        )  # fmt: skip
        for gateway, code, sid, unit, low, high in rows:
            specs[gateway][code] = SensorSpec(sid, unit, low, high)
        self._specs = dict(specs)

    def _save(self) -> None:
        assert self._runtime is not None
        with self._factory() as session:
            self._runtime.save(session)
            session.commit()

    def run(self, stop: threading.Event) -> None:
        """Process batches until ``stop`` is set, ticking and saving on the way."""
        next_tick = time.monotonic() + self._tick_every
        next_save = time.monotonic() + self._save_every
        while not stop.is_set():
            batch = self._take_batch()
            if batch:
                self._process(batch, stop)
            now = time.monotonic()
            if now >= next_tick:
                self._guarded(self._tick)
                next_tick = now + self._tick_every
            if now >= next_save:
                self._guarded(self._save)
                next_save = now + self._save_every

    def _guarded(self, work: Any) -> None:
        try:
            work()
        except Exception:
            log.exception("rules worker: %s failed; it runs again later", work.__name__)

    def _tick(self) -> None:
        assert self._runtime is not None
        with self._factory() as session:
            if self._runtime.sync(session):
                self._load_specs(session)
            changes = len(self._runtime.tick(session))
            record_progress(session, alarm_changes=changes)  # also the heartbeat
            session.commit()
        self.totals.alarm_changes += changes

    def _process(self, batch: list[Message], stop: threading.Event) -> None:
        while True:
            try:
                self._evaluate(batch)
                break
            except Exception:
                # The engine may have moved on without its alarms being stored: resume from
                # the saved snapshot (alarm changes are idempotent) and try the batch again.
                log.exception("evaluating %d MQTT messages failed; retrying", len(batch))
                if stop.wait(RETRY_SECONDS):
                    return
                self._guarded(self._load)
        self._ack(batch)
        self.totals.messages += len(batch)

    def _evaluate(self, batch: list[Message]) -> None:
        assert self._runtime is not None
        now_ms = int(time.time() * 1000)
        with self._factory() as session:
            codes = {code for m in batch if (code := gateway_of(m.topic)) is not None}
            now = time.monotonic()
            fresh = [c for c in codes if c not in self._specs and self._unknown.get(c, 0) < now]
            if fresh:  # registered since the last look? (asked again at most every minute)
                self._runtime.sync(session, force=True)
                self._load_specs(session)
                for code in fresh:
                    if code not in self._specs:
                        self._unknown[code] = now + UNKNOWN_RECHECK_SECONDS
            checked = Checked()
            for message in batch:
                specs = self._specs.get(gateway_of(message.topic) or "")
                if specs is not None:  # an unknown gateway's readings are never stored
                    check_payload(message.payload, specs, now_ms=now_ms, into=checked)
            changed = self._runtime.evaluate(
                session, checked.sensor_ids, checked.timestamps, checked.values
            )
            record_progress(
                session, evaluated=checked.accepted, alarm_changes=len(changed),
                last_reading_ts=max(checked.timestamps, default=None),
            )  # fmt: skip
            session.commit()
        self.totals.evaluated += checked.accepted
        self.totals.alarm_changes += len(changed)
