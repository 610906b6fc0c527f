"""Two worker processes on one PostgreSQL database never run the same job twice."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from yingji.core.db import utcnow
from yingji.core.jobs import Job, JobStatus, job_handler, schedule_job, unregister


@pytest.fixture
def exec_kind() -> Iterator[None]:
    """Register "tests.exec" here so that schedule_job accepts it (the workers run it)."""
    job_handler("tests.exec")(lambda s, payload: None)
    yield
    unregister("tests.exec")


WORKER_SCRIPT = """
import sys, time
from pathlib import Path
from sqlalchemy import text
from yingji.core.db import make_engine, make_session_factory
from yingji.core.jobs import job_handler, run_due_jobs

url, name, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])

@job_handler("tests.exec")
def execute(session, payload):
    session.execute(
        text("INSERT INTO test_job_runs (job_no, worker) VALUES (:n, :w)"),
        {"n": payload["n"], "w": name},
    )
    time.sleep(0.01)

factory = make_session_factory(make_engine(url))
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
idle = 0
while idle < 20:
    ran = run_due_jobs(factory, worker_id=name, limit=10)
    idle = 0 if ran else idle + 1
    if not ran:
        time.sleep(0.05)
"""


@pytest.mark.pg_only
def test_two_worker_processes_never_run_a_job_twice(
    backend: str,
    database_url: str,
    session: Session,
    tmp_path: Path,
    exec_kind: None,
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks between worker processes are a PostgreSQL matter")
    session.execute(text("CREATE TABLE test_job_runs (job_no integer, worker text)"))
    for n in range(200):
        schedule_job(session, kind="tests.exec", run_at=utcnow(), payload={"n": n})
    session.commit()
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, database_url, f"worker-{i}", str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in (1, 2)
    ]
    try:
        for proc in workers:  # both have imported everything before either starts
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        codes = [proc.wait(timeout=120) for proc in workers]
        rows = session.execute(text("SELECT job_no, worker FROM test_job_runs")).all()
        done = session.scalar(
            select(func.count()).select_from(Job).where(Job.status == JobStatus.DONE)
        )
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
        session.rollback()
        session.execute(text("DROP TABLE IF EXISTS test_job_runs"))
        session.commit()
    assert codes == [0, 0]
    assert sorted(n for n, _ in rows) == list(range(200))  # each job exactly once
    assert {w for _, w in rows} == {"worker-1", "worker-2"}
    assert done == 200
