"""The MQTT ingestion worker: gateways' readings from the broker into storage, at least once.

Topic scheme (MQTT 5, QoS 1): a gateway publishes its payloads (see ``monitoring._ingest``) on
``yingji/v1/{gateway code}/readings``. The broker must let a gateway publish only under its own
code (Mosquitto: an ACL ``pattern write yingji/v1/%u/readings`` with per-gateway accounts);
the worker trusts the topic's gateway segment.

Workers subscribe through the shared subscription ``$share/{group}/yingji/v1/+/readings`` with
a persistent session (fixed client id, ``clean_start`` off, a session expiry), so several
workers split the load and a restarted worker gets what arrived while it was away. A message is
acknowledged only after the transaction storing it has committed: a worker killed before that
leaves the message unacknowledged, the broker delivers it again, and idempotent storage keeps
each reading once.

A worker takes whatever has arrived, up to ``batch_messages`` messages, as one batch, checks it
(``_ingest_batch.prepare_batch``: one pass for all its gateways) and stores it in one
transaction (``store_batch``) on a writer thread, so the next batch is checked meanwhile. Since
nothing is acknowledged before its commit, the broker's send quota must exceed the batch: the
worker announces a receive maximum (MQTT 5) of ``receive_maximum`` unacknowledged messages, so
the next batch arrives while one is being stored.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.orm import Session, sessionmaker

from yingji.monitoring._ingest_batch import PreparedBatch, SensorCache, prepare_batch, store_batch

log = logging.getLogger(__name__)

TOPIC_PREFIX: Final = "yingji/v1/"
TOPIC_FILTER: Final = "yingji/v1/+/readings"
SESSION_EXPIRY_SECONDS: Final = 3600
RETRY_SECONDS: Final = 2.0


def readings_topic(gateway_code: str) -> str:
    """Return the topic a gateway publishes its readings on."""
    return f"{TOPIC_PREFIX}{gateway_code}/readings"


def gateway_of(topic: str) -> str | None:
    """Return the gateway code of a readings topic, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) == 4 and parts[0] == "yingji" and parts[1] == "v1" and parts[3] == "readings":
        return parts[2] or None
    return None


@dataclass(slots=True)
class Totals:
    """What a worker has done since it started (for its log and its tests)."""

    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    unknown_gateways: int = 0


@dataclass(frozen=True, slots=True)
class Message:
    """One received MQTT message, kept until its batch is acknowledged."""

    topic: str
    payload: bytes
    mid: int


class BatchConsumer:
    """An MQTT 5 consumer of the readings topics: a persistent session, batches, manual acks.

    Subclasses take batches with ``_take_batch`` and acknowledge them with ``_ack`` once what
    they did with them has committed.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        subscription: str,
        batch_messages: int,
        linger_seconds: float,
        receive_maximum: int,
        session_expiry_seconds: int,
    ) -> None:
        self._host, self._port = host, port
        self._client_id, self._subscription = client_id, subscription
        self._batch, self._linger = batch_messages, linger_seconds
        self._receive_maximum = max(receive_maximum, batch_messages + 1)
        self._expiry = session_expiry_seconds
        self._inbox: queue.Queue[Message] = queue.Queue()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    # --- broker side (paho's network thread) ---------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(self._subscription, qos=1)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        if all(not code.is_failure for code in codes):
            log.info("%s subscribed to %s", self._client_id, self._subscription)
            self._subscribed.set()
        else:
            log.error("MQTT subscription refused: %s", codes)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(Message(message.topic, bytes(message.payload), message.mid))

    # --- consumer side -------------------------------------------------------------------

    def start(self, *, timeout: float = 10.0) -> None:
        """Connect with a persistent session and wait until the subscription stands."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._expiry
        properties.ReceiveMaximum = self._receive_maximum
        self._client.connect(self._host, self._port, clean_start=False, properties=properties)
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            self.stop()
            raise RuntimeError(f"no MQTT subscription at {self._host}:{self._port}")

    def stop(self) -> None:
        """Disconnect; what was received and not yet acknowledged is delivered again later."""
        self._client.disconnect()
        self._client.loop_stop()

    def _take_batch(self) -> list[Message]:
        """Return what has arrived, up to a batch, waiting briefly for the first message."""
        try:
            batch = [self._inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self._linger
        while len(batch) < self._batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _ack(self, batch: list[Message]) -> None:
        """Acknowledge a batch (after its commit)."""
        for message in batch:
            self._client.ack(message.mid, 1)


class IngestWorker(BatchConsumer):
    """Consume readings from the broker in batches; store, commit, then acknowledge."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        client_id: str = "yingji-ingest-1",
        group: str = "yingji-ingest",
        batch_messages: int = 200,
        linger_seconds: float = 0.02,
        receive_maximum: int = 600,
        session_expiry_seconds: int = SESSION_EXPIRY_SECONDS,
    ) -> None:
        super().__init__(
            host=host, port=port, client_id=client_id,
            subscription=f"$share/{group}/{TOPIC_FILTER}", batch_messages=batch_messages,
            linger_seconds=linger_seconds, receive_maximum=receive_maximum,
            session_expiry_seconds=session_expiry_seconds,
        )  # fmt: skip
        self._factory = factory
        self._sensors = SensorCache()
        self.totals = Totals()

    def run(self, stop: threading.Event) -> None:
        """Process batches until ``stop`` is set: check one while the previous one is stored.

        This thread takes batches from the broker and checks them against the registry (reads,
        Python work); a writer thread stores each checked batch in one transaction, commits and
        acknowledges it, in the order checked. So the checking of a batch overlaps the database
        work of the one before, with one writing transaction at a time.
        """
        ready: queue.Queue[tuple[list[Message], PreparedBatch] | None] = queue.Queue(maxsize=2)
        writer = threading.Thread(
            target=self._write_loop, args=(ready, stop), name="ingest-writer", daemon=True
        )
        writer.start()
        try:
            while not stop.is_set() and writer.is_alive():
                batch = self._take_batch()
                if not batch:
                    continue
                prepared = self._prepare(batch, stop)
                while prepared is not None and not stop.is_set():
                    try:
                        ready.put((batch, prepared), timeout=0.2)
                        break
                    except queue.Full:
                        continue
        finally:
            while writer.is_alive():
                try:
                    ready.put(None, timeout=0.2)
                    break
                except queue.Full:
                    continue
            writer.join(timeout=30)

    def _by_gateway(self, batch: list[Message]) -> dict[str | None, list[bytes]]:
        by_gateway: dict[str | None, list[bytes]] = defaultdict(list)
        for message in batch:
            by_gateway[gateway_of(message.topic)].append(message.payload)
        return by_gateway

    def _prepare(self, batch: list[Message], stop: threading.Event) -> PreparedBatch | None:
        """Check a batch (retrying while the database fails); None when stopping."""
        by_gateway = self._by_gateway(batch)
        payloads = {code: items for code, items in by_gateway.items() if code is not None}
        if None in by_gateway:  # not a readings topic: counted with the unknown gateways
            payloads[""] = by_gateway[None]
        while True:
            try:
                with self._factory() as session:
                    return prepare_batch(
                        session, payloads, now_ms=int(time.time() * 1000), sensors=self._sensors
                    )
            except Exception:  # the database is down or failing: keep the batch, try again
                log.exception("checking %d MQTT messages failed; retrying", len(batch))
                if stop.wait(RETRY_SECONDS):
                    return None  # stopping: unacknowledged messages are delivered again

    def _write_loop(
        self,
        ready: queue.Queue[tuple[list[Message], PreparedBatch] | None],
        stop: threading.Event,
    ) -> None:
        """Store, commit and acknowledge checked batches in order until told to finish."""
        while True:
            item = ready.get()
            if item is None:
                return
            batch, prepared = item
            while True:
                try:
                    self._store(prepared)
                    break
                except Exception:  # the database is down or failing: keep the batch, retry
                    log.exception("storing %d MQTT messages failed; retrying", len(batch))
                    if stop.wait(RETRY_SECONDS):
                        return  # stopping: unacknowledged messages are delivered again
            self._ack(batch)
            self.totals.messages += len(batch)

    def _store(self, prepared: PreparedBatch) -> None:
        """Store a checked batch in one transaction and add its outcome to the totals."""
        with self._factory() as session:
            if session.get_bind().dialect.name == "sqlite":
                # Take SQLite's write lock first: a read snapshot that another worker's commit
                # made stale could not be upgraded to a write, and the batch would fail.
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            outcome = store_batch(session, prepared)
            session.commit()
        for code in outcome.unknown_gateways:
            if code:  # "" holds messages on topics that are not a readings topic
                log.warning("readings from unknown or inactive gateway %r dropped", code)
        self.totals.unknown_gateways += sum(outcome.unknown_gateways.values())
        for result in outcome.gateways.values():
            self.totals.stored += result.stored
            self.totals.duplicates += result.duplicates
            for reason, count in result.rejected.items():
                self.totals.rejected[reason] = self.totals.rejected.get(reason, 0) + count
