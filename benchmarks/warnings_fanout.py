"""Benchmark the 叫应 engine: fan-out, timers, deliveries, acknowledgements, memory, a crash.

Per backend, a fresh database with a county (宜昌市西陵区, a square boundary) of 50 towns,
2,000 villages and ~23,500 grids (网格), none with a boundary of its own, and 100,000 persons
responsible for floods (4 per grid, 3 per village, 2 per town and county), seeded with Core
inserts; one in ten has a user account (in-app delivery). Separate processes: the dispatcher
(``python -m yingji.warnings.dispatch_cli dispatch``), an HTTP SMS/voice gateway speaking a
batch API (uvicorn, as in benchmarks/warnings_channels.py; it records every delivery id it
receives) and, for the acknowledgements, the platform's API server (uvicorn).

a. **Fan-out**: a polygon drawn over the county resolves (regions, responsible persons on duty,
   user accounts) to 100,000 targets, written with their ladders: ``_dispatch.start_targets``
   and the commit, timed; ``--fanouts`` times (default 3), each a new warning after the last
   one ended, the database settled (vacuum, statistics, checkpoint) before each; every run
   is reported, and the target must hold for the slowest.
b. **Timers**: those 100,000 targets stay pending, their ladders done for the round (only the
   deadline left), deadlines spread evenly over ``--spread`` seconds starting 15 s ahead, the
   dispatcher running. A poller counts escalated targets every 50 ms; escalations follow the
   deadlines' order, so the k-th deadline's lateness is when the count first reached k minus
   that deadline (committed and visible; an upper bound by the poll interval). Also reported:
   ``escalated_at - deadline_at`` (when the pass that escalated it started). Superiors called
   are new targets with ladders of their own (towns, above the villages).
c. **Deliveries**: a warning over ``--deliveries`` persons; from the commit of its targets
   (dispatcher idle, polling) to the last SMS attempt with its receipt stored, through the
   HTTP SMS adapter (batch API, 100 a request, 4 connections) to the gateway. Then
   **acknowledgements**: SMS replies ("收到1234") posted to the reply callback, signed, 500 a
   request from 2 threads, for 4/5 of them; the signed link (POST /api/warnings/ack/{token},
   one a request, 4 threads) for the rest: from the first request to the last answer.
d. **Memory**: the dispatcher processes' peak RSS (VmHWM).
e. **Crash**: a warning over ``--crash`` persons; the dispatcher is killed (SIGKILL) once the
   gateway has a third of the SMS, then restarted (re-sending after 5 s); then every person
   must have their SMS sent (none left ``sending``, none missing), no (target, cycle, step) may
   have two attempts, and each delivery id the gateway saw more than once (a re-send after the
   crash, same id: the provider's idempotency key) is counted.

Prints one JSON object per backend.

    .venv/bin/python benchmarks/warnings_fanout.py --backend both
    .venv/bin/python benchmarks/warnings_fanout.py --quick
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import psycopg
from pydantic import SecretStr
from sqlalchemy import Engine, Table, bindparam, func, insert, select, update

from yingji.core.auth.models import User
from yingji.core.config import Settings
from yingji.core.db import make_engine, make_session_factory, new_ordered_id
from yingji.core.migrate import upgrade
from yingji.orgs.models import Person, Responsibility
from yingji.regions.models import Region
from yingji.warnings import _dispatch
from yingji.warnings._tokens import key_of, make_token
from yingji.warnings.channels import CallbackSignature, sign_callback
from yingji.warnings.models import DeliveryAttempt, EarlyWarning, WarningTarget

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-secret-key-" + "k" * 40
CALLBACK_SECRET = "bench-callback-secret"
SIGNATURE = CallbackSignature(secret=SecretStr(CALLBACK_SECRET), header="X-Sign")
COUNTY = (111.2, 30.6, 111.4, 30.8)
ROOT = Path(__file__).resolve().parent.parent
GEO_COLUMNS = (
    "geometry",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "centroid_lon",
    "centroid_lat",
)

Scope = dict[str, Any]
Message = dict[str, Any]

# --- the gateway (a child process) --------------------------------------------------------


class _Gateway:
    def __init__(self) -> None:
        self.counter = 0
        self.seen: dict[str, int] = {}

    def accept(self, message: dict[str, Any]) -> dict[str, Any]:
        reference = str(message.get("reference"))
        self.seen[reference] = self.seen.get(reference, 0) + 1
        self.counter += 1
        return {"code": "OK", "message_id": f"gw-{self.counter}"}


_STATE = _Gateway()


async def gateway_app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """A provider: single messages and batches in, message ids out; GET /stats, GET /ids."""
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if not event.get("more_body"):
            break
    answer: Any
    if scope["method"] == "GET" and scope["path"] == "/ids":
        answer = _STATE.seen
    elif scope["method"] == "GET":
        repeated = sum(1 for n in _STATE.seen.values() if n > 1)
        answer = {"unique": len(_STATE.seen), "received": _STATE.counter, "repeated": repeated}
    else:
        body = orjson.loads(b"".join(chunks))
        if "messages" in body:
            answer = {"code": "OK", "results": [_STATE.accept(m) for m in body["messages"]]}
        else:
            answer = _STATE.accept(body)
    payload = orjson.dumps(answer)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def serve_gateway(port: int) -> None:
    """Run the gateway (in the child process)."""
    import uvicorn

    uvicorn.run(
        gateway_app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
    )


def serve_app(port: int) -> None:
    """Run the platform's API with the callbacks router (in the child process)."""
    import uvicorn

    from yingji.app import create_app
    from yingji.warnings.callbacks_api import router

    app = create_app(Settings(), start_worker=False)
    if not any(getattr(r, "path", "") == "/api/warnings/ack/{token}" for r in app.routes):
        app.include_router(router)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- processes and databases --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, child: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if child.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the child on port {port} did not start")
        time.sleep(0.05)


@contextlib.contextmanager
def _child(args: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    with log.open("ab") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=out)
    try:
        _wait_port(port, child)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(20)


@contextlib.contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            url = f"sqlite:///{Path(tmp) / 'fanout.sqlite3'}"
            upgrade(url)
            yield url
        return
    name = f"yingji_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(url: str, gateway: str) -> dict[str, str]:
    answer = {"status": "code", "success_values": ["OK"], "message_id": None}
    batch = {
        "batch_size": 100,
        "batch_template": {"messages": "{messages}"},
        "batch_results": "results",
        "batch_item_response": {
            "message_id": "message_id",
            "status": "code",
            "success_values": ["OK"],
        },
        "concurrency": 4,
        "response": answer,
        "signature": {"secret": CALLBACK_SECRET, "header": "X-Sign"},
    }
    channels = {
        "sms": {"url": f"{gateway}/sms", **batch},
        "voice": {"url": f"{gateway}/voice", **batch},
    }
    return {
        **os.environ,
        "YINGJI_DATABASE_URL": url,
        "YINGJI_SECRET_KEY": SECRET,
        "YINGJI_CHANNELS": json.dumps(channels),
        "YINGJI_ENV": "development",
        "YINGJI_PUBLIC_BASE_URL": "https://yj.example.cn",
        "PYTHONPATH": str(ROOT / "src"),
    }


class Dispatchers:
    """Start and stop ``yingji warnings dispatch`` processes; keep their peak RSS."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.peaks: list[int] = []

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        args = [
            sys.executable,
            "-m",
            "yingji.warnings.dispatch_cli",
            "dispatch",
            "--batch-size",
            "2000",
            "--poll-seconds",
            "0.2",
            *extra,
        ]
        with self.log.open("ab") as out:
            return subprocess.Popen(args, env=self.env, stdout=out, stderr=out)

    def peak(self, child: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(OSError), open(f"/proc/{child.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    self.peaks.append(int(line.split()[1]))

    def stop(self, child: subprocess.Popen[bytes], *, kill: bool = False) -> None:
        self.peak(child)
        child.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        child.wait(30)


# --- seeding ----------------------------------------------------------------------------


def seed(engine: Engine, persons: int, towns: int = 50, villages: int = 2000) -> dict[str, Any]:
    """Insert the county's tree and its responsible persons; return the layout."""
    now = datetime.now(UTC)
    county_path = "/420000/420500/420502/"
    x0, y0, x1, y1 = COUNTY
    square = {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }
    regions: list[dict[str, Any]] = []

    def region(code: str, name: str, level: str, parent: str | None, path: str, **geo: Any) -> None:
        regions.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "parent_code": parent,
                "path": path,
                "depth": path.count("/") - 1,
                "is_demo": True,
                "source": "benchmark",
                "created_at": now,
                "updated_at": now,
                # Every row names every column: executemany takes its columns from the first.
                **dict.fromkeys(GEO_COLUMNS),
                **geo,
            }
        )

    big = {
        "geometry": json.dumps(square),
        "min_lon": x0,
        "min_lat": y0,
        "max_lon": x1,
        "max_lat": y1,
        "centroid_lon": (x0 + x1) / 2,
        "centroid_lat": (y0 + y1) / 2,
    }
    region("420000", "湖北省", "province", None, "/420000/")
    region("420500", "宜昌市", "city", "420000", "/420000/420500/")
    region("420502", "西陵区", "county", "420500", county_path, **big)
    quota: list[tuple[str, int]] = [("420502", 2)]
    village_codes: list[str] = []
    village_paths: dict[str, str] = {}
    for t in range(towns):
        town = f"420502{t + 1:03d}"
        region(town, f"街道{t}", "town", "420502", f"{county_path}{town}/")
        quota.append((town, 2))
    for v in range(villages):
        town = f"420502{v % towns + 1:03d}"
        village = f"{town}{v // towns + 1:03d}"
        village_paths[village] = f"{county_path}{town}/{village}/"
        region(village, f"村{v}", "village", town, village_paths[village])
        village_codes.append(village)
        quota.append((village, 3))
    remaining = persons - sum(n for _, n in quota)
    per_village = dict.fromkeys(village_codes, 3)
    grids: list[str] = []
    g = 0
    while remaining > 0:
        village = village_codes[g % villages]
        grid = f"{village}{g // villages + 1:03d}"
        region(grid, f"网格{g}", "grid", village, f"{village_paths[village]}{grid}/")
        grids.append(grid)
        quota.append((grid, min(4, remaining)))
        per_village[village] += min(4, remaining)
        remaining -= 4
        g += 1
    people: list[dict[str, Any]] = []
    duties: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    n = 0
    for code, count in quota:
        for _ in range(count):
            person_id = uuid.uuid4()
            people.append(
                {
                    "id": person_id,
                    "name": f"责任人{n}",
                    "region_code": code,
                    "mobile": f"+86139{n:08d}",
                    "active": True,
                    "is_demo": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            duties.append(
                {
                    "id": uuid.uuid4(),
                    "person_id": person_id,
                    "region_code": code,
                    "duty_type": "flood",
                    "title": "防汛责任人",
                    "is_primary": True,
                    "created_at": now,
                }
            )
            if n % 10 == 0:
                users.append(
                    {
                        "id": uuid.uuid4(),
                        "username": f"bench{n}",
                        "display_name": f"责任人{n}",
                        "password_hash": "-",
                        "role": "grassroots",
                        "region_code": code,
                        "person_id": person_id,
                        "language": "zh_CN",
                        "active": True,
                        "failed_logins": 0,
                        "created_at": now,
                        "password_changed_at": now,
                    }
                )
            n += 1
    with engine.begin() as conn:
        for table, rows in (
            (Region, regions),
            (Person, people),
            (Responsibility, duties),
            (User, users),
        ):
            for start in range(0, len(rows), 10_000):
                conn.execute(insert(table), rows[start : start + 10_000])
    settle(engine)
    return {
        "regions": len(regions),
        "persons": len(people),
        "users": len(users),
        "grids": len(grids),
        "villages": per_village,
    }


def settle(engine: Engine) -> None:
    """Bring the database to the steady state of a live one after a bulk load.

    Planner statistics, as autovacuum (or SQLite's optimize) keeps them: without them
    PostgreSQL plans the subtree join for an empty table. On PostgreSQL also the vacuum and
    checkpoint the load would trigger anyway, so they do not run during what is measured.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def phase_fanout(
    engine: Engine, drawn: dict[str, Any], runs: int
) -> tuple[uuid.UUID, dict[str, Any]]:
    """Fan a warning over the county out ``runs`` times; keep the last warning's targets."""
    seconds: list[float] = []
    counts: list[int] = []
    warning_id = new_warning(engine, codes=[], shapes=[drawn])
    for run in range(runs):
        if run:  # the previous run's warning ends; the database settles as between warnings
            end_warning(engine, warning_id)
            settle(engine)
            warning_id = new_warning(engine, codes=[], shapes=[drawn])
        count, took = start(engine, warning_id)
        counts.append(count)
        seconds.append(round(took, 3))
    ordered = sorted(seconds)
    return warning_id, {
        "targets": counts[-1],
        "runs_seconds": seconds,
        "median_seconds": ordered[len(ordered) // 2],
        "max_seconds": ordered[-1],
        "meets_target": ordered[-1] < 2.0 and min(counts) == max(counts),
    }


def new_warning(engine: Engine, *, codes: list[str], shapes: list[Any]) -> uuid.UUID:
    """Insert an issued warning (authoring is not what is measured)."""
    warning_id = new_ordered_id()  # as EarlyWarning makes them
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        session.add(
            EarlyWarning(
                id=warning_id,
                identifier=f"bench:{warning_id}",
                hazard_type="rainstorm",
                duty_type="flood",
                event="暴雨",
                level=2,
                status="issued",
                onset=now,
                area_desc="西陵区",
                area_region_codes=codes,
                area_shapes=shapes,
                description="预计强降雨。",
                instruction="危险区域人员立即转移。",
                sender_name="西陵区应急管理局",
                region_code="420502",
                region_path="/420000/420500/420502/",
                source="local",
                version=1,
                issued_at=now,
            )
        )
        session.commit()
    return warning_id


def end_warning(engine: Engine, warning_id: uuid.UUID) -> None:
    """End a phase's warning without notices (the next phase starts clean)."""
    with engine.begin() as conn:
        conn.execute(
            update(EarlyWarning).where(EarlyWarning.id == warning_id).values(status="lifted")
        )
        conn.execute(
            update(WarningTarget)
            .where(WarningTarget.warning_id == warning_id)
            .values(status="closed", next_action_at=None)
        )


def start(engine: Engine, warning_id: uuid.UUID) -> tuple[int, float]:
    """Create a warning's targets as issuing does; return the count and the seconds."""
    with make_session_factory(engine)() as session:
        begun = time.perf_counter()
        count = _dispatch.start_targets(session, warning_id=warning_id, now=datetime.now(UTC))
        session.commit()
        return count, time.perf_counter() - begun


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(ordered[-1], 3)}


def _count(engine: Engine, query: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


# --- phases -----------------------------------------------------------------------------


def phase_timers(
    engine: Engine,
    warning_id: uuid.UUID,
    spread: float,
    dispatchers: Dispatchers,
) -> dict[str, Any]:
    """Spread the deadlines, run the dispatcher, measure how late escalations fire."""
    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                select(WarningTarget.id).where(WarningTarget.warning_id == warning_id)
            )
        ]
    random.Random(7).shuffle(ids)
    first = datetime.now(UTC) + timedelta(seconds=15)
    step = spread / max(len(ids) - 1, 1)
    deadlines = [first + timedelta(seconds=i * step) for i in range(len(ids))]
    table = cast(Table, WarningTarget.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(step=3, cycle=2, deadline_at=bindparam("b_d"), next_action_at=bindparam("b_d"))
    )
    with engine.begin() as conn:
        rows = [{"b_id": i, "b_d": d} for i, d in zip(ids, deadlines, strict=True)]
        for at in range(0, len(rows), 20_000):
            conn.execute(statement, rows[at : at + 20_000])
    child = dispatchers.start()
    # Which escalations are committed: every target still pending is due at its deadline
    # (the ladder has rested: an escalated one is due no more), and the other warnings'
    # targets are closed. So the escalations committed are exactly those whose deadlines
    # come before the earliest due time: one index lookup a poll. (Counting the escalated
    # targets read 100,000 rows 20 times a second, a third of a core taken from the
    # dispatcher and the database it measures.)
    earliest_due = (
        select(WarningTarget.next_action_at)
        .where(WarningTarget.next_action_at.is_not(None))
        .order_by(WarningTarget.next_action_at)
        .limit(1)
    )
    seen: list[tuple[datetime, int]] = []
    end = first + timedelta(seconds=spread + 30)
    total = len(ids)
    with engine.connect() as conn:
        while datetime.now(UTC) < end:
            due = conn.execute(earliest_due).scalar()
            count = total if due is None else bisect.bisect_left(deadlines, due)
            conn.rollback()
            seen.append((datetime.now(UTC), count))
            if count >= total:
                break
            time.sleep(0.05)
    dispatchers.stop(child)
    late: list[float] = []
    k = 0
    for moment, count in seen:
        while k < min(count, total):
            late.append((moment - deadlines[k]).total_seconds())
            k += 1
    with engine.connect() as conn:
        escalations = conn.execute(
            select(WarningTarget.escalated_at, WarningTarget.deadline_at).where(
                WarningTarget.warning_id == warning_id, WarningTarget.escalated_at.is_not(None)
            )
        ).all()
        superiors = conn.execute(
            select(func.count())
            .select_from(WarningTarget)
            .where(WarningTarget.warning_id == warning_id, WarningTarget.kind == "superior")
        ).scalar()
    pass_late = [(a - d).total_seconds() for a, d in escalations if a is not None]
    return {
        "pending_with_timers": total,
        "deadline_spread_s": spread,
        "escalated": len(escalations),
        "superior_targets_created": int(superiors or 0),
        "committed_lateness_s": _percentiles(late),
        "pass_start_lateness_s": _percentiles(pass_late),
        "meets_target": bool(late) and len(rows) == total and max(late) < 1.0,
    }


def pick(villages: dict[str, int], persons: int, *, last: bool = False) -> list[str]:
    """Return villages (from the start or the end) holding at least ``persons`` persons."""
    codes: list[str] = []
    for code in reversed(villages) if last else villages:
        codes.append(code)
        persons -= villages[code]
        if persons <= 0:
            break
    return codes


def phase_deliveries(
    engine: Engine, villages: dict[str, int], persons: int, gateway: str, dispatchers: Dispatchers
) -> tuple[uuid.UUID, dict[str, Any]]:
    """Fan a warning out over ``persons`` persons through the SMS adapter; measure."""
    codes = pick(villages, persons)
    warning_id = new_warning(engine, codes=codes, shapes=[])
    child = dispatchers.start()
    time.sleep(3)  # started and idle
    before = httpx.get(f"{gateway}/stats").json()["unique"]
    count, _ = start(engine, warning_id)
    begun = time.perf_counter()
    done = (
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(
            DeliveryAttempt.warning_id == warning_id,
            DeliveryAttempt.channel == "sms",
            DeliveryAttempt.status.in_(["sent", "delivered", "failed"]),
        )
    )
    while _count(engine, done) < count and time.perf_counter() - begun < 300:
        time.sleep(0.1)
    seconds = time.perf_counter() - begun
    dispatchers.stop(child)
    failed = _count(
        engine,
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(DeliveryAttempt.warning_id == warning_id, DeliveryAttempt.status == "failed"),
    )
    stats = httpx.get(f"{gateway}/stats").json()
    rate = count / seconds
    return warning_id, {
        "targets": count,
        "sms_sent": _count(engine, done) - failed,
        "failed": failed,
        "seconds": round(seconds, 2),
        "deliveries_per_s": round(rate),
        "gateway_received": stats["unique"] - before,
        "in_app": _count(
            engine,
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.warning_id == warning_id, DeliveryAttempt.channel == "inapp"),
        ),
        "meets_target": rate >= 2000 and not failed,
    }


def phase_acks(
    engine: Engine,
    warning_id: uuid.UUID,
    app: str,
    settings: Settings,
) -> dict[str, Any]:
    """Acknowledge a warning's targets: SMS replies in batches, and signed links one by one."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                WarningTarget.id,
                WarningTarget.mobile,
                WarningTarget.reply_code,
                WarningTarget.token_nonce,
            ).where(WarningTarget.warning_id == warning_id, WarningTarget.must_acknowledge)
        ).all()
    split = len(rows) * 4 // 5
    replies, links = rows[:split], rows[split:]
    batches = [
        orjson.dumps(
            [{"from": r.mobile, "text": f"收到{r.reply_code}"} for r in replies[i : i + 500]]
        )
        for i in range(0, len(replies), 500)
    ]
    key = key_of(settings)
    tokens = [make_token(key, r.id, r.token_nonce) for r in links]

    def post_batches(part: list[bytes], results: list[int]) -> None:
        with httpx.Client(base_url=app, timeout=60) as client:
            for body in part:
                answer = client.post(
                    "/api/warnings/callbacks/sms/replies",
                    content=body,
                    headers=sign_callback(SIGNATURE, body),
                )
                results.append(answer.json().get("acknowledged", 0))

    def post_tokens(part: list[str], results: list[int]) -> None:
        with httpx.Client(base_url=app, timeout=60) as client:
            for token in part:
                answer = client.post(f"/api/warnings/ack/{token}")
                results.append(answer.json().get("outcome") == "acknowledged")

    def run(
        work: Callable[[Any, list[int]], None],
        items: list[Any],
        threads: int,
    ) -> tuple[int, float]:
        results: list[int] = []
        parts = [items[i::threads] for i in range(threads)]
        workers = [threading.Thread(target=work, args=(p, results)) for p in parts]
        begun = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return sum(results), time.perf_counter() - begun

    by_reply, reply_seconds = run(post_batches, batches, 2)
    by_link, link_seconds = run(post_tokens, tokens, 4)
    stored = _count(
        engine,
        select(func.count())
        .select_from(WarningTarget)
        .where(WarningTarget.warning_id == warning_id, WarningTarget.status == "acknowledged"),
    )
    reply_rate = by_reply / reply_seconds if reply_seconds else 0.0
    return {
        "by_sms_reply": by_reply,
        "reply_seconds": round(reply_seconds, 2),
        "reply_acks_per_s": round(reply_rate),
        "by_link": by_link,
        "link_seconds": round(link_seconds, 2),
        "link_acks_per_s": round(by_link / link_seconds) if link_seconds else 0,
        "acknowledged_in_db": stored,
        "meets_target": reply_rate >= 2000 and stored == len(rows),
    }


def phase_crash(
    engine: Engine, villages: dict[str, int], persons: int, gateway: str, dispatchers: Dispatchers
) -> dict[str, Any]:
    """Kill the dispatcher mid fan-out, restart it, check nothing was lost or doubled."""
    warning_id = new_warning(engine, codes=pick(villages, persons, last=True), shapes=[])
    child = dispatchers.start("--resend-after-seconds", "5", "--recover-every-seconds", "1")
    time.sleep(3)
    base = httpx.get(f"{gateway}/stats").json()["unique"]
    count, _ = start(engine, warning_id)
    begun = time.perf_counter()
    while httpx.get(f"{gateway}/stats").json()["unique"] - base < count // 3:
        if time.perf_counter() - begun > 120:
            raise RuntimeError("the dispatcher sent nothing in two minutes")
        time.sleep(0.02)
    dispatchers.stop(child, kill=True)
    at_kill = httpx.get(f"{gateway}/stats").json()["unique"] - base
    sending = (
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(DeliveryAttempt.warning_id == warning_id, DeliveryAttempt.status == "sending")
    )
    left_sending = _count(engine, sending)
    child = dispatchers.start("--resend-after-seconds", "5", "--recover-every-seconds", "1")
    sms_done = (
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(
            DeliveryAttempt.warning_id == warning_id,
            DeliveryAttempt.channel == "sms",
            DeliveryAttempt.status.in_(["sent", "delivered"]),
        )
    )
    begun = time.perf_counter()
    while (_count(engine, sms_done) < count or _count(engine, sending)) and (
        time.perf_counter() - begun < 180
    ):
        time.sleep(0.2)
    dispatchers.stop(child)
    with engine.connect() as conn:
        attempts = conn.execute(
            select(
                DeliveryAttempt.id,
                DeliveryAttempt.target_id,
                DeliveryAttempt.cycle,
                DeliveryAttempt.step,
                DeliveryAttempt.channel,
                DeliveryAttempt.status,
            ).where(DeliveryAttempt.warning_id == warning_id)
        ).all()
        targets = conn.execute(
            select(WarningTarget.id, WarningTarget.status, WarningTarget.next_action_at).where(
                WarningTarget.warning_id == warning_id
            )
        ).all()
    seen = httpx.get(f"{gateway}/ids").json()
    steps: dict[tuple[Any, int, int], int] = {}
    for a in attempts:
        key = (a.target_id, a.cycle, a.step)
        steps[key] = steps.get(key, 0) + 1
    sent_sms = {
        a.target_id for a in attempts if a.channel == "sms" and a.status in ("sent", "delivered")
    }
    ours = {str(a.id) for a in attempts if a.channel == "sms"}
    dropped = [
        t
        for t in targets
        if t.id not in sent_sms and t.status != "acknowledged" and t.next_action_at is None
    ]
    return {
        "targets": count,
        "gateway_had_at_kill": at_kill,
        "left_sending_at_kill": left_sending,
        "sms_sent_after_restart": len(sent_sms),
        "targets_without_sms_sent": count - len(sent_sms),
        "dropped": len(dropped),
        "steps_with_two_attempts": sum(1 for n in steps.values() if n > 1),
        "gateway_ids_missing": len(ours - set(seen)),
        "resent_same_id": sum(1 for i in ours if seen.get(i, 0) > 1),
        "ok": len(sent_sms) == count
        and not dropped
        and all(n == 1 for n in steps.values())
        and not (ours - set(seen)),
    }


# --- the run ----------------------------------------------------------------------------


def run(backend: str, args: argparse.Namespace, log: Path) -> dict[str, Any]:
    """Run every phase on one backend; return the figures."""
    result: dict[str, Any] = {"benchmark": "warnings_fanout", "backend": backend}
    with _database(backend) as url:
        engine = make_engine(url)
        layout = seed(engine, args.persons)
        result["seeded"] = {k: v for k, v in layout.items() if k != "villages"}
        gateway_port, app_port = _free_port(), _free_port()
        here = str(Path(__file__).resolve())
        env = _env(url, f"http://127.0.0.1:{gateway_port}")
        with _child(
            [sys.executable, here, "--serve-gateway", str(gateway_port)], gateway_port, env, log
        ) as gateway:
            dispatchers = Dispatchers(env, log)
            x0, y0, x1, y1 = COUNTY
            drawn = {
                "type": "polygon",
                "coordinates": [
                    [x0 + 0.01, y0 + 0.01],
                    [x1 - 0.01, y0 + 0.01],
                    [x1 - 0.01, y1 - 0.01],
                    [x0 + 0.01, y1 - 0.01],
                ],
            }
            w1, result["a_fanout"] = phase_fanout(engine, drawn, args.fanouts)
            result["a_fanout"]["meets_target"] &= result["a_fanout"]["targets"] >= args.persons
            result["b_timers"] = phase_timers(engine, w1, args.spread, dispatchers)
            end_warning(engine, w1)
            w2, result["c_deliveries"] = phase_deliveries(
                engine, layout["villages"], args.deliveries, gateway, dispatchers
            )
            settings = Settings(database_url=url, secret_key=SecretStr(SECRET))
            with _child(
                [sys.executable, here, "--serve-app", str(app_port)], app_port, env, log
            ) as app:
                result["c_acknowledgements"] = phase_acks(engine, w2, app, settings)
            end_warning(engine, w2)
            result["e_crash"] = phase_crash(
                engine, layout["villages"], args.crash, gateway, dispatchers
            )
            result["d_dispatcher_peak_rss_mib"] = round(max(dispatchers.peaks) / 1024, 1)
            result["d_meets_target"] = max(dispatchers.peaks) < 1024 * 1024
        engine.dispose()
    return result


def main() -> None:
    """Parse the arguments; serve a child, or run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--fanouts", type=int, default=3, help="fan-outs timed in phase a")
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--crash", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="small figures, a smoke run")
    parser.add_argument("--serve-gateway", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-app", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_gateway:
        serve_gateway(args.serve_gateway)
        return
    if args.serve_app:
        serve_app(args.serve_app)
        return
    if args.quick:
        args.persons, args.spread, args.deliveries, args.crash = 10_000, 10.0, 3_000, 3_000
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    log = Path(tempfile.gettempdir()) / f"warnings_fanout_{os.getpid()}.log"
    for backend in backends:
        print(json.dumps(run(backend, args, log), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
