"""``yingji simulate sensors``: publish simulated readings of the registered sensors over MQTT.

Readings go, QoS 1, on each gateway's topic (``mqtt.readings_topic``) in the ingestion payload
format, at most ``--batch`` readings a payload. Every tick (the time a gateway takes to fill a
batch, ``batch × gateways / rate`` seconds, kept between 0.05 and 1 s) the publisher generates
the readings that have fallen due and publishes them, one or more payloads per gateway; if it
cannot keep up, it publishes as fast as it can and its summary shows the rate it reached.
At most ``MAX_PENDING`` payloads wait for the broker's acknowledgement at a time.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Annotated, Final

import orjson
import paho.mqtt.client as mqtt
import typer
from paho.mqtt.enums import CallbackAPIVersion

from yingji.monitoring._ingest import limits
from yingji.monitoring.mqtt import readings_topic
from yingji.monitoring.simulator import (
    Anomalies,
    Payload,
    SimSensor,
    Simulator,
    interleave,
    load_registry,
)

app = typer.Typer(no_args_is_help=True, add_completion=False)

MAX_PENDING: Final = 200
MAX_CHUNK: Final = 50_000  # readings generated at once when catching up
CONNECT_TIMEOUT: Final = 5.0
FLUSH_TIMEOUT: Final = 10.0


@dataclass(slots=True)
class RunStats:
    """What a run published."""

    readings: int = 0  # handed to the broker
    acknowledged: int = 0  # in payloads the broker acknowledged (PUBACK)
    payloads: int = 0
    dropped: int = 0  # refused by a full client queue (broker away)
    seconds: float = 0.0
    anomalies: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Return the readings published per second."""
        return self.readings / self.seconds if self.seconds > 0 else 0.0


def connect(host: str, port: int, *, client_id: str | None = None) -> mqtt.Client:
    """Connect a publishing client; raise OSError or TimeoutError if the broker is away."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"yingji-sim-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv5,
    )
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(10_000)
    connected = threading.Event()
    client.on_connect = lambda *_args: connected.set()
    client.connect(host, port)
    client.loop_start()
    if not connected.wait(CONNECT_TIMEOUT):
        client.loop_stop()
        raise TimeoutError(f"no answer from the MQTT broker at {host}:{port}")
    return client


def publish(
    sim: Simulator,
    client: mqtt.Client,
    *,
    batch: int,
    stop: threading.Event,
    duration: float | None = None,
    parent_pid: int | None = None,
) -> RunStats:
    """Publish the simulator's readings at its rate until ``stop``, ``duration`` or the parent ends.

    The simulator's clock starts now. Returns once the last payloads are acknowledged (or
    ``FLUSH_TIMEOUT`` has passed).
    """
    stats = RunStats()
    topics = {code: readings_topic(code) for code in sim.gateways}
    pending: deque[tuple[mqtt.MQTTMessageInfo, int]] = deque()
    tick = min(1.0, max(0.05, batch * len(sim.gateways) / sim.rate))  # a full batch per gateway
    limit = round(sim.rate * duration) if duration else None
    sim.t0_ms = int(time.time() * 1000) - round(sim.generated * 1000 / sim.rate)
    start = next_tick = time.monotonic()
    end = start + duration if duration else math.inf
    while not stop.is_set():
        if parent_pid is not None and os.getppid() != parent_pid:
            break  # the demo server that started us is gone
        due = int((time.monotonic() - start) * sim.rate) + 1
        if limit is not None:
            due = min(due, limit)
        while sim.generated < due and not stop.is_set():
            block = sim.generate(min(due - sim.generated, MAX_CHUNK))
            for payload in sim.payloads(block, batch=batch):
                _send(client, topics[payload.gateway], payload, pending, stats)
        if limit is not None and sim.generated >= limit:
            break
        next_tick = min(next_tick + tick, end)
        delay = next_tick - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            next_tick = time.monotonic()  # behind: catch up, do not accumulate ticks
    _flush(pending, stats, deadline=time.monotonic() + FLUSH_TIMEOUT)
    stats.seconds = time.monotonic() - start  # until the broker acknowledged the last payload
    stats.anomalies = dict(sorted(sim.counts.items()))
    return stats


def _send(
    client: mqtt.Client,
    topic: str,
    payload: Payload,
    pending: deque[tuple[mqtt.MQTTMessageInfo, int]],
    stats: RunStats,
) -> None:
    info = client.publish(topic, payload.body, qos=1)
    if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
        stats.dropped += payload.readings
        return
    stats.readings += payload.readings
    stats.payloads += 1
    pending.append((info, payload.readings))
    while len(pending) > MAX_PENDING:
        _confirm(*pending.popleft(), stats, timeout=FLUSH_TIMEOUT)


def _confirm(info: mqtt.MQTTMessageInfo, count: int, stats: RunStats, *, timeout: float) -> None:
    if info.rc == mqtt.MQTT_ERR_SUCCESS:
        info.wait_for_publish(max(timeout, 0.0))
    if info.is_published():
        stats.acknowledged += count


def _flush(
    pending: deque[tuple[mqtt.MQTTMessageInfo, int]], stats: RunStats, *, deadline: float
) -> None:
    while pending:
        _confirm(*pending.popleft(), stats, timeout=deadline - time.monotonic())


def _summary(stats: RunStats) -> str:
    anomalies = ", ".join(f"{name} {count}" for name, count in stats.anomalies.items()) or "none"
    return (
        f"published {stats.readings} readings in {stats.payloads} payloads over "
        f"{stats.seconds:.1f} s ({stats.rate:,.0f} readings/s), {stats.acknowledged} "
        f"acknowledged; anomalies: {anomalies}"
    )


@app.callback()
def simulate_group() -> None:
    """Simulate devices for demos, tests and benchmarks."""


@app.command("sensors")
def sensors_command(
    count: Annotated[
        int | None,
        typer.Option(min=1, help="Sensors to simulate (default: every registered one)."),
    ] = None,
    rate: Annotated[float, typer.Option(help="Readings a second, over all sensors.")] = 50.0,
    host: Annotated[str, typer.Option(help="MQTT broker host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="MQTT broker port")] = 1883,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: at Ctrl-C).")
    ] = None,
    batch: Annotated[int, typer.Option(help="At most this many readings a payload.")] = 500,
    seed: Annotated[int | None, typer.Option(help="Seed, for a repeatable run.")] = None,
    anomalies: Annotated[
        float, typer.Option(help="Multiply the anomaly frequencies (0: clean readings).")
    ] = 1.0,
    gateway: Annotated[
        list[str] | None, typer.Option(help="Only this gateway's sensors (repeatable).")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    exit_with_parent: Annotated[bool, typer.Option(hidden=True)] = False,
) -> None:
    """Publish realistic readings, with anomalies, of the registered sensors until stopped.

    Only registered sensors are simulated (others would be rejected as unknown); with --count
    above their number, all of them are, and the command says so.
    """
    from yingji.core.cli import database_errors, load_settings
    from yingji.core.db import make_engine, make_session_factory

    if rate <= 0 or not 1 <= batch <= limits().max_readings_per_payload:
        raise typer.BadParameter(
            f"--rate must be > 0 and --batch within 1..{limits().max_readings_per_payload}"
        )
    settings = load_settings()
    with database_errors():
        engine = make_engine(settings.sqlalchemy_url)
        try:
            with make_session_factory(engine)() as session:
                registered = load_registry(session, gateways=gateway or ())
        finally:
            engine.dispose()
    chosen = _choose(registered, count)
    if rate > 1000 * len(chosen):
        typer.echo(
            f"warning: {rate:g} readings/s over {len(chosen)} sensors puts two readings of a "
            "sensor in one millisecond; the second is stored as a duplicate",
            err=True,
        )
    sim = Simulator(chosen, rate=rate, seed=seed, anomalies=Anomalies().scaled(anomalies))
    try:
        client = connect(host, port)
    except (OSError, TimeoutError) as exc:
        typer.echo(f"cannot reach the MQTT broker at {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    parent = os.getppid() if exit_with_parent else None
    try:
        stats = publish(sim, client, batch=batch, stop=stop, duration=duration, parent_pid=parent)
    finally:
        client.disconnect()
        client.loop_stop()
    typer.echo(_as_json(stats) if json else _summary(stats))


def _choose(registered: list[SimSensor], count: int | None) -> list[SimSensor]:
    if not registered:
        typer.echo("no registered sensors to simulate (load some with `yingji demo`)", err=True)
        raise typer.Exit(1)
    if count is not None and count > len(registered):
        typer.echo(
            f"only {len(registered)} sensors are registered (asked for {count}): simulating "
            "those; readings of unregistered sensors would be rejected",
            err=True,
        )
    order = interleave(registered)
    return order if count is None else order[:count]


def _as_json(stats: RunStats) -> str:
    data = asdict(stats) | {"rate": round(stats.rate, 1), "seconds": round(stats.seconds, 3)}
    return orjson.dumps(data).decode()
