"""Benchmark MQTT reading ingestion end to end: publisher → Mosquitto → ingest workers → database.

Registers 100,000 sensors on 1,000 gateways (100 each, the ten sensor kinds) in a fresh
database, starts a Mosquitto broker of its own on a free port (the same binary and defaults as
the shared one; ``--broker HOST:PORT`` uses a running one instead, but a flood there reaches
every other subscriber), ``yingji monitor ingest`` worker processes sharing one group and the
``yingji monitor rules`` worker (``--no-rules`` leaves it out), and publishes from a separate
process. A message is one gateway's batch: its 100 sensors × 5
readings (5 s of 1 Hz readings, ``--batch 500``), QoS 1. One message in 50 carries four bad
readings (unknown sensor, wrong unit, out of range, future time), one in 200 is published twice
(as a QoS 1 redelivery would be) and one in 500 is followed by a malformed payload. Every
sensor's values sit inside the normal band of its kind's default rule, except the alarm probe:
in one message in 20 of each gateway (``--alarm-every``; one in 200 while the throughput is
measured: about one alarm raised and cleared a second at 100,000 readings/s, far more than a
county sees), the last reading of S000 (a combustible gas detector, normally 5 %LEL) is
60 %LEL, above the orange threshold (50 %LEL), so the rules worker raises that sensor's
threshold alarm (and a rate alarm), and clears them with the next message.

1. Throughput: the publisher runs at ``--rate`` but never more than ``--backlog`` readings
   ahead of what is committed, by the ingest workers (stored, duplicate or rejected) and by
   the rules worker (evaluated, from its progress row, plus the rejected), whichever is
   behind, so the broker's queues never overflow; the committed rate of each is measured after
   a warm-up (``--seconds``, or ``--minutes`` for the memory run), the sustained rate being
   the lower.
2. Latency: after draining, the publisher runs open loop at half the sustained rate; a probe
   reading in each message carries its publish time as ``ts``, and polling ``sensor_latest``
   (every 20 ms) sees when it has committed; polling the outbox for the alarm probes'
   ``monitoring.alarm_changed`` events (raised or reactivated, threshold rule) sees when each
   alarm has committed, publish → committed alarm.
3. Zero loss: after draining, published = stored + duplicates + rejected (per reason),
   exactly, against the publisher's own tally; ``readings`` rows and the sum of the minute
   counts equal the stored total; the rules worker evaluated every good reading and raised
   exactly one threshold alarm event per alarm probe.

The ingest workers' peak RSS (VmHWM) and their RSS early and late in the throughput phase, the
rules worker's peak RSS, and the CPU seconds of each part, are reported. Prints one JSON object
per backend.

    .venv/bin/python benchmarks/monitoring_ingest.py --backend both
    .venv/bin/python benchmarks/monitoring_ingest.py --backend postgresql --minutes 10
    .venv/bin/python benchmarks/monitoring_ingest.py --quick
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, insert, select, text

from yingji.core.db import make_engine, make_session_factory, utcnow
from yingji.core.events import OutboxEvent
from yingji.core.migrate import upgrade
from yingji.monitoring.models import Gateway, MonitoredObject, Sensor
from yingji.monitoring.mqtt import readings_topic
from yingji.monitoring.rules import Direction, rule_for
from yingji.regions.models import Region

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROUNDS = 5  # readings per sensor in one message
POLL_SECONDS = 0.02
SUBSCRIBED = "subscribed to $share/"  # what an ingest worker logs once its subscription stands
RULES_SUBSCRIBED = "subscribed to yingji/v1/"  # and the rules worker
PROBE_NORMAL = b"5.0"  # %LEL: the alarm probe sensor S000 (combustible gas) when normal
PROBE_ALARM = b"60.0"  # above its orange threshold (50 %LEL, data/rule_defaults.toml)
REGION = {"code": "420502", "name": "西陵区", "level": "county", "path": "/420502/", "depth": 1}


@dataclass(frozen=True)
class Plan:
    """What the publisher sends: gateways, the sensors of each, the readings per message."""

    gateways: int
    per_gateway: int
    batch: int
    tag: str
    host: str
    port: int
    bad_every: int = 50  # one message in 50 carries four bad readings
    dup_every: int = 1000  # one in 1,000 is published twice
    malformed_every: int = 500  # one in 500 is followed by a malformed payload
    alarm_every: int = 20  # latency phase: one message in 20 of a gateway has an alarm probe
    alarm_every_throughput: int = 200  # throughput phase: one in 200 (0: none)

    def gateway_code(self, index: int) -> str:
        """Return the code of gateway ``index``."""
        return f"B{self.tag}-{index:05d}"


def _kinds() -> list[tuple[str, str, float, float]]:
    raw = tomllib.loads(
        resources.files("yingji.monitoring").joinpath("data/sensor_kinds.toml").read_text("utf-8")
    )
    return [(k, v["unit"], float(v["range"][0]), float(v["range"][1])) for k, v in raw.items()]


def _sensor_layout(per_gateway: int) -> list[tuple[str, str, float, float]]:
    """Return (code, unit, low, high) of a gateway's sensors: every gateway has the same codes."""
    kinds = _kinds()
    return [(f"S{i:03d}", *kinds[i % len(kinds)][1:]) for i in range(per_gateway)]


def _normal(unit: str) -> tuple[float, float]:
    """Return a value in the normal band of a unit's kind, and how far it may wander.

    Well clear of the first threshold of the kind's default rule, and wandering less than its
    deadband and a hundredth of its rate limit, so only the alarm probe raises alarms.
    """
    kind = {u: k for k, u, _, _ in _kinds()}[unit]  # as _register maps units to kinds
    _, _, low, high = next(k for k in _kinds() if k[0] == kind)
    rule = rule_for(kind)
    levels = [v for v in (rule.blue, rule.yellow, rule.orange, rule.red) if v is not None]
    if not levels:
        value = low + (high - low) * 0.2
    elif rule.direction is Direction.ABOVE:
        value = min(levels) - max(abs(min(levels)) * 0.5, rule.deadband * 4)
    else:
        value = max(levels) + max(abs(max(levels)) * 0.5, rule.deadband * 4)
    value = min(max(value, low), high)
    wander = abs(value) * 0.01
    if rule.rate_limit is not None:
        wander = min(wander, rule.rate_limit * 0.01)
    if rule.deadband:
        wander = min(wander, rule.deadband)
    return value, wander


@contextmanager
def _database(backend: str, pg_admin: str) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database of a backend; drop it afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            url = f"sqlite:///{Path(tmp) / 'ingest.sqlite3'}"
            upgrade(url)
            yield url
        return
    name = f"yingji_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        url = f"{url}/{name}"
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _register(engine: Engine, plan: Plan) -> dict[int, str]:
    """Register the gateways and sensors; return the probe sensor (S000) of each gateway."""
    kinds = {unit: kind for kind, unit, _, _ in _kinds()}
    layout = _sensor_layout(plan.per_gateway)
    with make_session_factory(engine)() as session:
        session.execute(insert(Region), [{**REGION, "is_demo": True, "source": "benchmark"}])
        gateways: list[dict[str, Any]] = []
        objects: list[dict[str, Any]] = []
        sensors: list[dict[str, Any]] = []
        for g in range(plan.gateways):
            gateway_id, object_id, code = uuid.uuid4(), uuid.uuid4(), plan.gateway_code(g)
            where = {"region_code": REGION["code"], "region_path": REGION["path"]}
            gateways.append({"id": gateway_id, "code": code, "name": code, **where,
                             "token_hash": uuid.uuid4().hex})  # fmt: skip
            objects.append({"id": object_id, "code": f"O{code}", "name": f"对象{g}",
                            "kind": "installation", **where})  # fmt: skip
            sensors.extend(
                {"code": s, "gateway_id": gateway_id, "object_id": object_id, "name": s,
                 "kind": kinds[unit], "unit": unit, "range_min": low, "range_max": high,
                 "interval_seconds": 1, "region_path": REGION["path"]}
                for s, unit, low, high in layout
            )  # fmt: skip
        session.execute(insert(Gateway), gateways)
        session.execute(insert(MonitoredObject), objects)
        for start in range(0, len(sensors), 20_000):
            session.execute(insert(Sensor), sensors[start : start + 20_000])
        session.commit()
        rows = session.execute(
            text(
                "SELECT s.id, g.code FROM sensors s JOIN gateways g ON g.id = s.gateway_id"
                " WHERE s.code = 'S000'"
            )
        )
        return {int(r[0]): str(r[1]) for r in rows}


# --- the publisher (a separate process) ----------------------------------------------------


class _Messages:
    """Builds a gateway's messages: ``rounds`` readings of each sensor, the last at ``probe``."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.layout = _sensor_layout(plan.per_gateway)
        self.rounds = max(1, plan.batch // plan.per_gateway)
        # Bodies of one round with values filled in and the time left open, in a few variants:
        # each sensor in the normal band of its kind's rule (S000's value is left open too).
        normal = [_normal(unit) for _, unit, _, _ in self.layout]
        self.variants = [
            b",".join(
                b'{"sensor":"%s","ts":@TS@,"value":%s,"unit":"%s"}'
                % (code.encode(),
                   b"@V0@" if i == 0 else
                   repr(round(normal[i][0] + normal[i][1] * (2 * rng.random() - 1), 4)).encode(),
                   unit.encode())
                for i, (code, unit, _, _) in enumerate(self.layout)
            )
            for _ in range(32)
        ]  # fmt: skip
        self.rng = rng

    def good(self, probe: int, step: int, alarm: bool = False) -> tuple[bytes, int]:
        """Return a message of good readings and their number; ``alarm``: with the alarm probe."""
        pick = self.rng.choice
        last = self.rounds - 1
        rounds = [
            pick(self.variants)
            .replace(b"@TS@", b"%d" % (probe - (last - k) * step))
            .replace(b"@V0@", PROBE_ALARM if alarm and k == last else PROBE_NORMAL)
            for k in range(self.rounds)
        ]
        return b'{"readings":[' + b",".join(rounds) + b"]}", self.rounds * len(self.layout)

    def with_bad(self, probe: int, step: int, alarm: bool = False) -> tuple[bytes, int]:
        """Return a message whose last four readings are bad (one of each reason), and the good."""
        readings = orjson.loads(self.good(probe, step, alarm)[0])["readings"]
        (s1, u1, _, _), (s2, u2, _, high2), (s3, u3, _, _) = self.layout[-3:]
        readings[-4:] = [
            {"sensor": "GHOST", "ts": probe, "value": 1.0, "unit": u1},
            {"sensor": s1, "ts": probe, "value": 1.0, "unit": "furlong"},
            {"sensor": s2, "ts": probe, "value": high2 * 2 + 1, "unit": u2},
            {"sensor": s3, "ts": probe + 3_600_000, "value": 1.0, "unit": u3},
        ]
        return orjson.dumps({"readings": readings}), len(readings) - 4


def _publisher(
    plan: Plan,
    alarm_every: Any,
    rate: Any,
    backlog: Any,
    committed: Any,
    published: Any,
    stop: Any,
    results: Any,
) -> None:
    """Publish gateways' batches at ``rate`` readings/s, at most ``backlog`` ahead of storage."""
    messages = _Messages(plan, random.Random(7))
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(plan.host, plan.port)
    client.loop_start()
    tally = {"published": 0, "good": 0, "duplicates": 0, "messages": 0, "alarm_probes": 0}
    bad = ("unknown_sensor", "wrong_unit", "out_of_range", "future_timestamp")
    rejected = dict.fromkeys((*bad, "malformed"), 0)
    last_probe = [0] * plan.gateways
    sent: list[mqtt.MQTTMessageInfo] = []
    number, due = 0, time.monotonic()
    while not stop.is_set():
        target = rate.value
        if target <= 0 or (backlog.value and published.value - committed.value > backlog.value):
            time.sleep(0.002)
            due = time.monotonic()
            continue
        if (wait := due - time.monotonic()) > 0:
            time.sleep(min(wait, 0.005))
            continue
        g = number % plan.gateways
        # The probe (the last reading of sensor S000) is stamped with the publish time; the
        # earlier rounds go back by the gateway's reporting step, after its previous message.
        period_ms = max(messages.rounds, int(plan.gateways * plan.batch / target * 1000))
        probe = max(int(time.time() * 1000), last_probe[g] + messages.rounds)
        step = min(period_ms // messages.rounds, (probe - last_probe[g]) // messages.rounds)
        last_probe[g] = probe
        with_bad = number % plan.bad_every == plan.bad_every - 1
        # A gateway's alarm probes come every alarm_every of its messages, gateways staggered.
        every = alarm_every.value
        alarm = bool(every) and (number // plan.gateways + g) % every == 0
        payload, good = (messages.with_bad if with_bad else messages.good)(probe, step, alarm)
        tally["alarm_probes"] += alarm
        topic = readings_topic(plan.gateway_code(g))
        copies = 2 if number % plan.dup_every == plan.dup_every - 1 else 1
        for copy in range(copies):
            sent.append(client.publish(topic, payload, qos=1))
            tally["good" if copy == 0 else "duplicates"] += good
            for reason in bad if with_bad else ():
                rejected[reason] += 1
        if number % plan.malformed_every == plan.malformed_every - 1:
            sent.append(client.publish(topic, b'{"readings": [{"sensor": ', qos=1))
            rejected["malformed"] += 1
        tally["messages"] += copies
        tally["published"] = tally["good"] + tally["duplicates"] + sum(rejected.values())
        published.value = tally["published"]
        number += 1
        due = max(due + plan.batch / target, time.monotonic() - 0.05)
        if len(sent) > 1000:
            sent = [info for info in sent if not info.is_published()]
    for info in sent:
        info.wait_for_publish(timeout=60)
    client.disconnect()
    client.loop_stop()
    results.put({**tally, "rejected": rejected})


# --- measuring -----------------------------------------------------------------------------


def _committed(conn: Any) -> tuple[int, int]:
    """Return the readings committed by the ingest workers and by the rules worker.

    The ingest workers' count is stored + duplicates + rejected; the rules worker's is its
    evaluated readings (good ones and duplicates) + the rejected (which it skips, as counted
    by the ingest workers).
    """
    row = conn.execute(
        text(
            "SELECT (SELECT coalesce(sum(accepted + duplicates), 0) FROM gateways),"
            " (SELECT coalesce(sum(count), 0) FROM gateway_rejections),"
            " (SELECT coalesce(max(evaluated), 0) FROM rule_engine_progress)"
        )
    ).one()
    ingest, rejected, evaluated = (int(v) for v in row)
    return ingest + rejected, evaluated + rejected


def _proc(pid: int, field: str) -> int:
    """Return a /proc/PID/status field in KiB (0 if the process is gone)."""
    with suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with suppress(OSError), open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as stat:
        values = [float(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _broker(spec: str | None) -> Iterator[tuple[str, int, int | None]]:
    """Yield (host, port, pid) of a private Mosquitto, or of the broker named ``host:port``."""
    if spec:
        host, number = spec.rsplit(":", 1)
        yield host, int(number), None
        return
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        port = _free_port()
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n"
        )
        proc = subprocess.Popen([binary, "-c", str(conf)])
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with socket.socket() as sock, suppress(OSError):
                    sock.connect(("127.0.0.1", port))
                    break
                time.sleep(0.05)
            yield "127.0.0.1", port, proc.pid
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _forget_sessions(host: str, port: int, client_ids: list[str]) -> None:
    """End the workers' persistent sessions on a shared broker (clean start, no expiry)."""
    for client_id in client_ids:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        with suppress(OSError):
            client.connect(host, port, clean_start=True)
            client.loop_start()
            time.sleep(0.2)
            client.disconnect()
            client.loop_stop()


def _percentile(samples: list[float], q: float) -> float:
    if not samples:
        return -1.0
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def run(
    *,
    backend: str,
    sensors: int = 100_000,
    gateways: int = 1000,
    batch: int = 500,
    rate: float = 200_000,
    backlog: int = 100_000,
    seconds: float = 60,
    latency_seconds: float = 30,
    workers: int = 1,
    broker: str | None = None,
    pg_admin: str = PG_ADMIN,
    every: tuple[int, int, int] = (50, 1000, 500),
    alarm_every: int = 20,
    rules: bool = True,
) -> dict[str, Any]:
    """Run the three phases on one backend and return the figures."""
    tag = uuid.uuid4().hex[:6]
    result: dict[str, Any] = {"backend": backend, "sensors": sensors, "gateways": gateways,
                              "readings_per_message": batch, "workers": workers,
                              "rules_worker": rules,
                              "alarm_probe_every": [alarm_every * 10, alarm_every]
                              if rules else None}  # fmt: skip
    with _database(backend, pg_admin) as url, _broker(broker) as (host, port, broker_pid):
        plan = Plan(gateways, sensors // gateways, batch, tag, host, port, *every,
                    alarm_every=alarm_every if rules else 0,
                    alarm_every_throughput=alarm_every * 10 if rules else 0)  # fmt: skip
        engine = make_engine(url)
        start = time.perf_counter()
        probes = _register(engine, plan)
        result["register_seconds"] = round(time.perf_counter() - start, 1)
        tmp = tempfile.mkdtemp(dir="/tmp")
        env = {**os.environ, "YINGJI_DATABASE_URL": url, "YINGJI_DATA_DIR": tmp}
        yingji = str(Path(sys.executable).with_name("yingji"))
        client_ids = [f"bench-{tag}-{i}" for i in range(workers)]
        command = [yingji, "monitor", "ingest", "--host", host, "--port", str(port)]
        group = ["--group", f"bench-{tag}"]
        log = (Path(tmp) / "workers.log").open("wb")
        procs = [
            subprocess.Popen(
                [*command, "--client-id", client_id, *group], env=env, stderr=log, stdout=log
            )
            for client_id in client_ids
        ]
        rules_procs = []
        if rules:
            client_ids.append(f"bench-{tag}-rules")
            rules_command = [yingji, "monitor", "rules", "--host", host, "--port", str(port)]
            rules_command += ["--client-id", client_ids[-1]]
            rules_procs.append(subprocess.Popen(rules_command, env=env, stderr=log, stdout=log))
        ctx = mp.get_context("spawn")
        shared = {
            "alarm_every": ctx.Value("q", plan.alarm_every_throughput, lock=False),
            "rate": ctx.Value("d", 0.0, lock=False),
            "backlog": ctx.Value("q", backlog, lock=False),
            "committed": ctx.Value("q", 0, lock=False),
            "published": ctx.Value("q", 0, lock=False),
        }
        stop, results = ctx.Event(), ctx.Queue()
        publisher = ctx.Process(
            target=_publisher,
            args=(plan, shared["alarm_every"], shared["rate"], shared["backlog"],
                  shared["committed"],
                  shared["published"], stop, results),
        )  # fmt: skip
        publisher.start()
        shared["watch"] = [
            ("publisher", publisher),
            *(("ingest worker", p) for p in procs),
            *(("rules worker", p) for p in rules_procs),
        ]
        shared["rules"], shared["plan"] = rules, plan
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            _wait_for_workers(procs, rules_procs, Path(tmp) / "workers.log")
            result.update(
                _throughput(conn, shared, procs, rules_procs, publisher.pid, broker_pid, rate,
                            seconds)
            )  # fmt: skip
            _drain(conn, shared)
            result.update(
                _latency(conn, shared, probes, result["sustained_readings_per_s"] / 2,
                         latency_seconds)
            )  # fmt: skip
            shared["rate"].value = 0
            stop.set()
            tally = results.get(timeout=120)
            publisher.join(timeout=30)
            shared["watch"] = shared["watch"][1:]
            _drain(conn, shared, timeout=120)
            result.update(_accounting(conn, tally, probes if rules else None))
            result["worker_peak_rss_mib"] = max(round(_proc(p.pid, "VmHWM") / 1024) for p in procs)
            if rules_procs:
                result["rules_worker_peak_rss_mib"] = round(
                    _proc(rules_procs[0].pid, "VmHWM") / 1024
                )
        finally:
            stop.set()
            conn.close()
            for proc in [*procs, *rules_procs]:
                proc.terminate()
            for proc in [*procs, *rules_procs]:
                proc.wait(timeout=30)
            if publisher.is_alive():
                publisher.kill()
            if broker:
                _forget_sessions(host, port, client_ids)
            engine.dispose()
            log.close()
            shutil.rmtree(tmp, ignore_errors=True)
    result["storage"] = (
        "PostgreSQL: per batch, one transaction: the readings sorted and COPied (binary) into"
        " readings; latest values and minute aggregates computed in the worker, COPied into"
        " temporary tables and upserted; after a unique violation (a duplicate), staged and"
        " inserted with ON CONFLICT DO NOTHING RETURNING instead"
        if backend == "postgresql"
        else "SQLite (WAL): executemany into a temporary stage, INSERT…SELECT into readings,"
        " latest and minute upserts, one transaction per batch"
    )
    return result


def _wait_for_workers(
    procs: list[subprocess.Popen[bytes]], rules_procs: list[subprocess.Popen[bytes]], log: Path
) -> None:
    """Wait until every worker has subscribed (before that, the broker drops what it gets)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if any(proc.poll() is not None for proc in [*procs, *rules_procs]):
            raise RuntimeError(f"a worker exited:\n{output[-2000:]}")
        if output.count(SUBSCRIBED) >= len(procs) and output.count(RULES_SUBSCRIBED) >= len(
            rules_procs
        ):
            return
        time.sleep(0.1)
    raise RuntimeError("the ingest workers did not subscribe within 120 s")


def _poll_committed(conn: Any, shared: dict[str, Any]) -> tuple[int, int]:
    """Return (ingest, rules) committed; the publisher keeps its backlog behind the lower."""
    for name, proc in shared["watch"]:
        if (proc.exitcode if isinstance(proc, mp.process.BaseProcess) else proc.poll()) is not None:
            raise RuntimeError(f"the {name} exited")
    ingest, rules = _committed(conn)
    if not shared["rules"]:
        rules = ingest
    shared["committed"].value = min(ingest, rules)
    return ingest, rules


def _throughput(
    conn: Any,
    shared: dict[str, Any],
    procs: list[subprocess.Popen[bytes]],
    rules_procs: list[subprocess.Popen[bytes]],
    publisher_pid: int | None,
    broker_pid: int | None,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    """Run the publisher ahead of storage; measure the committed rates after a warm-up."""
    warmup = min(max(3.0, seconds * 0.1), 30.0)
    shared["rate"].value = rate
    begin = time.monotonic()
    rss: list[tuple[float, int]] = []
    progress: list[tuple[float, int]] = []  # (time, committed by both), every second
    mark: dict[str, Any] = {}
    next_rss = begin
    pids = [p.pid for p in procs]
    rules_pids = [p.pid for p in rules_procs]
    while (now := time.monotonic()) < begin + warmup + seconds:
        committed = _poll_committed(conn, shared)
        if not mark and now >= begin + warmup:
            backends = _pg_backends(conn)
            mark = {
                "t": now, "committed": committed, "published": shared["published"].value,
                "workers": _cpu_seconds(pids), "rules": _cpu_seconds(rules_pids),
                "db": _cpu_seconds(backends),
                "publisher": _cpu_seconds([publisher_pid] if publisher_pid else []),
                "broker": _cpu_seconds([broker_pid] if broker_pid else []),
                "machine": _machine_busy(), "backends": backends, "wal": _wal(conn),
            }  # fmt: skip
        if now >= next_rss:
            rss.append((now - begin, max(_proc(pid, "VmRSS") for pid in pids)))
            progress.append((now, min(committed)))
            next_rss += 1.0
        time.sleep(0.1)
    committed, now = _poll_committed(conn, shared), time.monotonic()
    elapsed = now - mark["t"]
    busy, total = _machine_busy()
    wal = _wal(conn)
    cpu = {
        "ingest_workers": _cpu_seconds(pids) - mark["workers"],
        "rules_worker": _cpu_seconds(rules_pids) - mark["rules"],
        "postgres_backends": _cpu_seconds(mark["backends"]) - mark["db"],
        "publisher": _cpu_seconds([publisher_pid] if publisher_pid else []) - mark["publisher"],
        "broker": _cpu_seconds([broker_pid] if broker_pid else []) - mark["broker"],
    }
    ingest_rate = (committed[0] - mark["committed"][0]) / elapsed
    rules_rate = (committed[1] - mark["committed"][1]) / elapsed
    tenth = max(1, len(rss) // 10)
    early = [kib for t, kib in rss if t >= warmup][:tenth]
    late = [kib for _, kib in rss][-tenth:]
    stored = committed[0] - mark["committed"][0]
    return {
        "publish_target_per_s": rate,
        "backlog_cap_readings": shared["backlog"].value,
        "measured_seconds": round(elapsed, 1),
        "published_per_s": round((shared["published"].value - mark["published"]) / elapsed),
        "sustained_readings_per_s": round(min(ingest_rate, rules_rate)),
        "stored_per_s": round(ingest_rate),
        "rules_evaluated_per_s": round(rules_rate) if shared["rules"] else None,
        "cpu_cores_used": {k: round(v / elapsed, 2) for k, v in cpu.items()},
        "machine_cpu_busy_percent": round(
            100 * (busy - mark["machine"][0]) / (total - mark["machine"][1]), 1
        ),
        **(
            {
                "wal_bytes_per_reading": round((wal[0] - mark["wal"][0]) / max(1, stored), 1),
                "checkpoints_requested": wal[1] - mark["wal"][1],
            }
            if wal
            else {}
        ),
        "rate_by_tenth": _rates([*progress, (now, min(committed))], mark["t"], now),
        "worker_rss_mib_early": round(sum(early) / len(early) / 1024) if early else None,
        "worker_rss_mib_late": round(sum(late) / len(late) / 1024),
        "worker_rss_mib_by_tenth": [
            round(max(kib for _, kib in rss[i * tenth : (i + 1) * tenth] or rss[-1:]) / 1024)
            for i in range(10)
        ],
        **(
            {"rules_worker_rss_mib_late": round(_proc(rules_pids[0], "VmRSS") / 1024)}
            if rules_pids
            else {}
        ),
    }


def _rates(progress: list[tuple[float, int]], start: float, end: float) -> list[int]:
    """Return the committed rate in each tenth of [start, end], from (time, committed) points."""

    def committed_at(moment: float) -> float:
        before = [p for p in progress if p[0] <= moment] or progress[:1]
        after = [p for p in progress if p[0] >= moment] or progress[-1:]
        (t0, c0), (t1, c1) = before[-1], after[0]
        return c0 if t1 == t0 else c0 + (c1 - c0) * (moment - t0) / (t1 - t0)

    edges = [start + (end - start) * i / 10 for i in range(11)]
    return [round((committed_at(b) - committed_at(a)) / (b - a)) for a, b in pairwise(edges)]


def _wal(conn: Any) -> tuple[int, int] | None:
    """Return the cluster's WAL bytes and requested checkpoints so far (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return None
    row = conn.execute(
        text(
            "SELECT (SELECT wal_bytes FROM pg_stat_wal),"
            " (SELECT checkpoints_req FROM pg_stat_bgwriter)"
        )
    ).one()
    return int(row[0]), int(row[1])


def _pg_backends(conn: Any) -> list[int]:
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        text(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )
    return [int(r[0]) for r in rows]


def _drain(conn: Any, shared: dict[str, Any], timeout: float = 60) -> None:
    """Stop publishing and wait until everything published has been committed."""
    shared["rate"].value = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if min(_poll_committed(conn, shared)) >= shared["published"].value:
            return


ALARM_EVENT = "monitoring.alarm_changed"
RAISING = ("raised", "reactivate", "escalate")


def _alarm_events(conn: Any, probes: dict[int, str], since: Any) -> list[tuple[str, int]]:
    """Return (event id, reading ts) of threshold alarms raised for the probes since ``since``."""
    rows = conn.execute(
        select(OutboxEvent.id, OutboxEvent.payload).where(
            OutboxEvent.event_type == ALARM_EVENT, OutboxEvent.created_at >= since
        )
    )
    return [
        (str(event_id), int(payload["reading_ts"]))
        for event_id, payload in rows
        if payload.get("rule") == "threshold"
        and payload.get("sensor_id") in probes
        and payload.get("action") in RAISING
        and payload.get("reading_ts") is not None
    ]


def _latency(
    conn: Any, shared: dict[str, Any], probes: dict[int, str], rate: float, seconds: float
) -> dict[str, Any]:
    """Publish open loop at ``rate``; time publish → commit of probe readings and alarms."""
    ids = ",".join(str(i) for i in probes)
    query = text(f"SELECT sensor_id, ts FROM sensor_latest WHERE sensor_id IN ({ids})")
    seen = {int(r[0]): int(r[1]) for r in conn.execute(query)}
    start_ms, skip_ms = int(time.time() * 1000), min(2000, seconds * 250)
    seen_alarms = {event_id for event_id, _ in _alarm_events(conn, probes, utcnow())}
    shared["alarm_every"].value = shared["plan"].alarm_every
    shared["backlog"].value = 0
    shared["rate"].value = rate
    samples: list[float] = []
    alarm_samples: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rows = conn.execute(query).all()
        now_ms = time.time() * 1000
        for sensor_id, ts in rows:
            if ts != seen.get(sensor_id):
                seen[sensor_id] = ts
                if ts >= start_ms + skip_ms:  # after the change of rate has settled
                    samples.append(now_ms - ts)
        if shared["rules"]:
            events = _alarm_events(conn, probes, utcnow() - timedelta(seconds=30))
            now_ms = time.time() * 1000
            for event_id, ts in events:
                if event_id not in seen_alarms:
                    seen_alarms.add(event_id)
                    if ts >= start_ms + skip_ms:
                        alarm_samples.append(now_ms - ts)
        _poll_committed(conn, shared)
        time.sleep(POLL_SECONDS)
    return {
        "latency_rate_per_s": round(rate),
        "latency_samples": len(samples),
        "latency_poll_ms": POLL_SECONDS * 1000,
        "latency_p50_ms": _percentile(samples, 0.50),
        "latency_p99_ms": _percentile(samples, 0.99),
        "latency_max_ms": _percentile(samples, 1.0),
        **(
            {
                "alarm_latency_samples": len(alarm_samples),
                "alarm_latency_p50_ms": _percentile(alarm_samples, 0.50),
                "alarm_latency_p99_ms": _percentile(alarm_samples, 0.99),
                "alarm_latency_max_ms": _percentile(alarm_samples, 1.0),
            }
            if shared["rules"]
            else {}
        ),
    }


def _accounting(conn: Any, tally: dict[str, Any], probes: dict[int, str] | None) -> dict[str, Any]:
    """Compare what was published with what is stored, counted, evaluated and alarmed."""
    stored, duplicates = conn.execute(
        text("SELECT sum(accepted), sum(duplicates) FROM gateways")
    ).one()
    rejected = {
        str(r[0]): int(r[1])
        for r in conn.execute(text("SELECT reason, sum(count) FROM gateway_rejections GROUP BY 1"))
    }
    rows = int(conn.execute(text("SELECT count(*) FROM readings")).scalar_one())
    minutes = int(conn.execute(text("SELECT sum(count) FROM reading_minutes")).scalar_one() or 0)
    stored, duplicates = int(stored or 0), int(duplicates or 0)
    lost = tally["published"] - stored - duplicates - sum(rejected.values())
    rules: dict[str, Any] = {}
    if probes is not None:
        evaluated = int(
            conn.execute(text("SELECT coalesce(max(evaluated), 0) FROM rule_engine_progress"))
            .scalar_one()
        )  # fmt: skip
        raised = len(_alarm_events(conn, probes, datetime(2000, 1, 1, tzinfo=UTC)))
        rules = {
            "rules_evaluated": evaluated,
            "alarm_probes": tally["alarm_probes"],
            "probe_alarms_raised": raised,
            "rules_exact": evaluated == tally["good"] + tally["duplicates"]
            and raised == tally["alarm_probes"],
        }
    return {
        "published": tally["published"],
        "messages": tally["messages"],
        "stored": stored,
        "duplicates": duplicates,
        "rejected": rejected,
        "lost": lost,
        "zero_loss": (
            lost == 0
            and stored == tally["good"] == rows == minutes
            and duplicates == tally["duplicates"]
            and rejected == {k: v for k, v in tally["rejected"].items() if v}
        ),
        **rules,
    }


def main() -> None:
    """Parse the arguments, run the benchmark on each backend, print one JSON object each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sensors", type=int, default=100_000)
    parser.add_argument("--gateways", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500, help="readings per MQTT message")
    parser.add_argument("--rate", type=float, default=200_000, help="publish target, readings/s")
    parser.add_argument("--backlog", type=int, default=100_000, help="readings ahead of storage")
    parser.add_argument("--seconds", type=float, default=60, help="throughput phase, measured")
    parser.add_argument("--minutes", type=float, help="throughput phase in minutes (memory run)")
    parser.add_argument("--latency-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1, help="ingest worker processes")
    parser.add_argument("--no-rules", action="store_true", help="without the rules worker")
    parser.add_argument(
        "--alarm-every", type=int, default=20, help="a gateway's messages per alarm probe"
    )
    parser.add_argument("--broker", help="HOST:PORT of a running broker (default: a private one)")
    parser.add_argument("--quick", action="store_true", help="2,000 sensors, a few seconds")
    parser.add_argument("--pg-admin", default=PG_ADMIN, help="creates the scratch database")
    args = parser.parse_args()
    options = {
        "sensors": args.sensors, "gateways": args.gateways, "batch": args.batch,
        "rate": args.rate, "backlog": args.backlog,
        "seconds": args.minutes * 60 if args.minutes else args.seconds,
        "latency_seconds": args.latency_seconds, "workers": args.workers,
        "broker": args.broker, "pg_admin": args.pg_admin,
        "rules": not args.no_rules, "alarm_every": args.alarm_every,
    }  # fmt: skip
    if args.quick:
        options.update(QUICK)
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        print(json.dumps(run(backend=backend, **options), ensure_ascii=False), flush=True)


QUICK: dict[str, Any] = {"sensors": 2000, "gateways": 20, "rate": 20_000, "backlog": 20_000,
                         "seconds": 4, "latency_seconds": 4, "every": (5, 10, 25)}  # fmt: skip

if __name__ == "__main__":
    main()
