"""Benchmark the hazard board and hazard statistics on a million hazards, in a fresh database.

Bulk-loads a synthetic region tree (1 province, 5 cities, 30 counties, 300 towns), 10,000
enterprises in the towns and 1,000,000 hazards with skewed, realistic distributions of status,
grade, source, industry and dates (executemany on SQLite, COPY on PostgreSQL — not the
service), rebuilds the statistics rollup and ANALYZEs. Then times, with random filters, the
board's filtered page (``hazards.service.list_hazards``: region subtree at city, county or town
level, status, grade, source, industry, overdue, page 1-20 of 20 rows) and the statistics
(``hazards.service`` statistics), as bureau users of the chosen region. Prints one JSON object
per backend.

    .venv/bin/python benchmarks/hazards_query.py --backend both
    .venv/bin/python benchmarks/hazards_query.py --backend sqlite --hazards 20000 --enterprises 500
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.db import make_engine, make_session_factory
from yingji.core.migrate import upgrade
from yingji.hazards import service
from yingji.hazards._statistics import statistics
from yingji.hazards.models import Hazard
from yingji.hazards.schemas import HazardFilter
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs.models import Organisation
from yingji.regions.models import Region

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
YEARS_OF_HISTORY = 3
# GB/T 4754-2017 classes of the enterprises that report most hazards, weighted by frequency.
INDUSTRIES = {
    "C2614": 6, "C2619": 4, "C2631": 2, "C2651": 3, "C2710": 2, "B0610": 3, "B0810": 2,
    "C1310": 3, "C1713": 3, "C2211": 2, "C3011": 3, "C3110": 2, "C3311": 3, "C3360": 3,
    "C3511": 3, "C3670": 3, "C3811": 3, "C3921": 3, "C2521": 1, "C2920": 3, "C1910": 2,
    "C2023": 2, "C2110": 3, "C3130": 2, "D4411": 2, "D4510": 1, "E4710": 6, "E4811": 3,
    "F5162": 2, "F5265": 3, "G5411": 4, "G5810": 2, "G5941": 2, "H6110": 3, "H6210": 6,
    "K7010": 3, "L7212": 2, "N7810": 1, "R9051": 1, "C3340": 2,
}  # fmt: skip
STATUSES = {
    HazardStatus.CLOSED: 76, HazardStatus.REJECTED: 3, HazardStatus.REPORTED: 3,
    HazardStatus.CONFIRMED: 3, HazardStatus.RECTIFYING: 10, HazardStatus.RECTIFIED: 3,
    HazardStatus.VERIFIED: 2,
}  # fmt: skip
SOURCES = {
    HazardSource.SELF_INSPECTION: 70, HazardSource.SUPERVISORY_INSPECTION: 20,
    HazardSource.PUBLIC_REPORT: 4, HazardSource.MONITORING_ALARM: 4,
    HazardSource.ACCIDENT_LESSON: 2,
}  # fmt: skip
CITIES = ("420100", "420500", "420600", "420800", "421000")
COUNTIES_PER_CITY = 6
TOWNS_PER_COUNTY = 10
BATCH = 20_000
COLUMNS = (
    "id", "number", "enterprise_id", "region_code", "region_path", "industry_code", "title",
    "description", "location", "source", "status", "grade", "major_by_definition",
    "reported_at", "confirmed_at", "deadline", "rectified_at", "verification_rounds",
    "verified_at", "closed_at", "overdue", "escalation_level", "supervised", "is_demo",
    "version", "updated_at",
)  # fmt: skip


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


@contextmanager
def _database(backend: str, pg_admin: str) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database of a backend; drop it afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            url = f"sqlite:///{Path(tmp) / 'hazards.sqlite3'}"
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


def _regions() -> list[dict[str, Any]]:
    rows = [_region("420000", "湖北省", "province", None, "/420000/")]
    for c in CITIES:
        rows.append(_region(c, f"市{c}", "city", "420000", f"/420000/{c}/"))
        for k in range(1, COUNTIES_PER_CITY + 1):
            county = f"{c[:4]}{k:02d}"
            cpath = f"/420000/{c}/{county}/"
            rows.append(_region(county, f"县{county}", "county", c, cpath))
            for t in range(1, TOWNS_PER_COUNTY + 1):
                town = f"{county}{t:03d}"
                rows.append(_region(town, f"镇{town}", "town", county, f"{cpath}{town}/"))
    return rows


def _region(code: str, name: str, level: str, parent: str | None, path: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "path": path,
        "depth": path.count("/") - 1,
        "is_demo": True,
        "source": "benchmark",
        "created_at": NOW,
        "updated_at": NOW,
    }


def _enterprises(count: int, towns: list[dict[str, Any]], rng: random.Random) -> list[Any]:
    codes, weights = list(INDUSTRIES), list(INDUSTRIES.values())
    out = []
    for i in range(count):
        town = rng.choice(towns)
        out.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "kind": "enterprise",
                "name": f"企业{i:05d}",
                "region_code": town["code"],
                "industry_code": rng.choices(codes, weights)[0],
                "active": True,
                "is_demo": True,
                "created_at": NOW,
                "updated_at": NOW,
                "_path": town["path"],
            }
        )
    return out


def _hazard_rows(
    count: int, enterprises: list[dict[str, Any]], rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Yield hazard rows in COLUMNS order; a few enterprises report most hazards (Pareto)."""
    weights = [rng.paretovariate(1.2) for _ in enterprises]
    picks = rng.choices(enterprises, weights, k=count)
    statuses, s_weights = list(STATUSES), list(STATUSES.values())
    sources, src_weights = list(SOURCES), list(SOURCES.values())
    span = YEARS_OF_HISTORY * 365 * 86_400
    for i, ent in enumerate(picks):
        reported = NOW - timedelta(seconds=span * rng.random() ** 1.5)
        status = rng.choices(statuses, s_weights)[0]
        if (NOW - reported).days < 30 and status is HazardStatus.CLOSED and rng.random() < 0.6:
            status = HazardStatus.RECTIFYING
        graded = status not in (HazardStatus.REPORTED, HazardStatus.REJECTED)
        major = graded and rng.random() < 0.04
        grade = (HazardGrade.MAJOR if major else HazardGrade.GENERAL) if graded else None
        deadline = (reported + timedelta(days=60 if major else 15)).date() if graded else None
        open_ = not status.terminal
        closed = reported + timedelta(days=rng.expovariate(1 / (45 if major else 8)))
        closed_at = closed if status is HazardStatus.CLOSED else None
        overdue = open_ and deadline is not None and deadline < NOW.date()
        yield (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            f"YH{ent['region_code']}-{reported:%Y%m%d}-{i:08d}",
            ent["id"],
            ent["region_code"],
            ent["_path"],
            ent["industry_code"],
            f"隐患{i}",
            "",
            f"{rng.choice('ABCDEFGH')}车间",
            rng.choices(sources, src_weights)[0].value,
            status.value,
            grade.value if grade else None,
            major and rng.random() < 0.5,
            reported,
            reported + timedelta(hours=4) if graded else None,
            deadline,
            closed - timedelta(days=1) if closed_at else None,
            1 if closed_at else 0,
            closed - timedelta(hours=2) if closed_at else None,
            closed_at,
            overdue,
            (2 if rng.random() < 0.3 else 1) if overdue else 0,
            major and open_ and rng.random() < 0.4,
            True,
            1,
            closed_at or reported,
        )


def _load(session: Session, backend: str, hazards: int, enterprises: int, seed: int) -> None:
    rng = random.Random(seed)
    regions = _regions()
    session.execute(insert(Region), regions)
    towns = [r for r in regions if r["level"] == "town"]
    ents = _enterprises(enterprises, towns, rng)
    session.execute(
        insert(Organisation), [{k: v for k, v in e.items() if k != "_path"} for e in ents]
    )
    session.flush()
    rows = _hazard_rows(hazards, ents, rng)
    if backend == "postgresql":
        raw = cast(psycopg.Connection[Any], session.connection().connection.dbapi_connection)
        with raw.cursor() as cur, cur.copy(f"COPY hazards ({', '.join(COLUMNS)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(dict(zip(COLUMNS, row, strict=True)))
        if len(batch) == BATCH:
            session.execute(insert(Hazard), batch)
            batch = []
    if batch:
        session.execute(insert(Hazard), batch)


def _actors(session: Session) -> dict[str, list[Actor]]:
    paths = {r[0]: r[1] for r in session.execute(text("SELECT code, path FROM regions"))}
    levels = {r[0]: r[1] for r in session.execute(text("SELECT code, level FROM regions"))}
    out: dict[str, list[Actor]] = {"city": [], "county": [], "town": []}
    for code, level in levels.items():
        if level in out:
            out[level].append(
                Actor(
                    role=Role.SPECIALIST,
                    username=f"bench@{code}",
                    region_code=code,
                    region_path=paths[code],
                    source="benchmark",
                )
            )
    return out


def _random_filter(rng: random.Random, actor: Actor) -> HazardFilter:
    fields: dict[str, Any] = {"region_code": actor.region_code}
    if rng.random() < 0.5:
        fields["status"] = rng.sample(
            [s for s in HazardStatus if not s.terminal], rng.randint(1, 3)
        )
    if rng.random() < 0.3:
        fields["grade"] = rng.choice(list(HazardGrade))
    if rng.random() < 0.3:
        fields["source"] = rng.choice(list(HazardSource))
    if rng.random() < 0.3:
        fields["industry_code"] = rng.choice(list(INDUSTRIES))[: rng.choice((1, 3, 5))]
    if rng.random() < 0.2:
        fields["overdue"] = True
    return HazardFilter(**fields)


def _time(samples: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def run(
    *,
    backend: str,
    hazards: int,
    enterprises: int,
    samples: int,
    seed: int,
    pg_admin: str = PG_ADMIN,
) -> dict[str, Any]:
    """Load the data, time the board list and the statistics, and return the figures."""
    rng = random.Random(seed + 1)
    with _database(backend, pg_admin) as url:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        start = time.perf_counter()
        with factory() as session:
            _load(session, backend, hazards, enterprises, seed)
            service.rebuild_stats(session)
            session.commit()
        # A live PostgreSQL database is vacuumed by autovacuum; a fresh COPY is not yet, and
        # without the visibility map no index-only scan is possible.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE"))
        load_seconds = time.perf_counter() - start
        result: dict[str, Any] = {
            "backend": backend,
            "hazards": hazards,
            "enterprises": enterprises,
            "samples": samples,
        }
        with factory() as session:
            actors = _actors(session)
            by_level = actors

            def one_list() -> None:
                actor = rng.choice(by_level[rng.choice(("city", "county", "town"))])
                page = rng.randint(1, 20)
                service.list_hazards(
                    session,
                    actor=actor,
                    filters=_random_filter(rng, actor),
                    limit=20,
                    offset=(page - 1) * 20,
                )
                session.rollback()  # one request, one transaction

            def one_stats() -> None:
                actor = rng.choice(by_level[rng.choice(("city", "county", "town"))])
                industry = rng.choice(list(INDUSTRIES))[:3] if rng.random() < 0.2 else None
                source = rng.choice(list(HazardSource)).value if rng.random() < 0.2 else None
                statistics(
                    session,
                    actor=actor,
                    region_code=actor.region_code,
                    industry_code=industry,
                    source=source,
                )
                session.rollback()

            _time(5, one_list)  # warm caches and statement compilation
            _time(5, one_stats)
            lists = _time(samples, one_list)
            stats = _time(samples, one_stats)
        engine.dispose()
    result.update(
        list_p50_ms=_percentile(lists, 0.50),
        list_p95_ms=_percentile(lists, 0.95),
        stats_p50_ms=_percentile(stats, 0.50),
        stats_p95_ms=_percentile(stats, 0.95),
        load_seconds=round(load_seconds, 1),
    )
    return result


def main() -> None:
    """Parse the arguments, run the benchmark on each backend, print one JSON object each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--pg-admin", default=PG_ADMIN, help="PostgreSQL URL used to create the scratch database"
    )
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        result = run(
            backend=backend,
            hazards=args.hazards,
            enterprises=args.enterprises,
            samples=args.samples,
            seed=args.seed,
            pg_admin=args.pg_admin,
        )
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
