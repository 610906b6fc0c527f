"""Live monitoring for ``yingji demo --serve``: ingest and rules workers, and the simulator.

The MQTT ingest worker (readings into storage) and the rules worker (readings into alarms) run
in threads of the server process, on their own engine; the simulator is a subprocess
(``python -m yingji simulate sensors``) in its own session, so that Ctrl-C reaches the server
only and the simulator is stopped in order, and it exits by itself should the server die
without stopping it. Without a broker the demo serves anyway, after a one-line warning.

The workers' MQTT client ids and the ingest group are derived from the database URL: stable
across restarts of one demo (their persistent sessions resume), distinct between demos on
different databases that share a broker.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import threading
from typing import Final, Protocol

import typer
from sqlalchemy import Engine

from yingji.core.db import make_engine, make_session_factory
from yingji.monitoring.mqtt import IngestWorker
from yingji.monitoring.rules_worker import RulesWorker

log = logging.getLogger(__name__)

SESSION_EXPIRY_SECONDS: Final = 300
STOP_TIMEOUT: Final = 10.0


class _Worker(Protocol):
    def start(self, *, timeout: float = ...) -> None: ...
    def run(self, stop: threading.Event) -> None: ...
    def stop(self) -> None: ...


class LiveMonitoring:
    """Start and stop the demo's workers and simulator together."""

    def __init__(self, database_url: str, *, host: str, port: int, rate: float) -> None:
        self._url, self._host, self._port, self._rate = database_url, host, port, rate
        self._stop = threading.Event()
        self._engine: Engine | None = None
        self._running: list[tuple[_Worker, threading.Thread]] = []
        self._simulator: subprocess.Popen[bytes] | None = None

    @property
    def simulator_pid(self) -> int | None:
        """Return the process id of the running simulator, if any."""
        return self._simulator.pid if self._simulator is not None else None

    def start(self) -> bool:
        """Start everything; on an unreachable broker print a one-line warning, return False."""
        import yingji.models  # noqa: F401 - every table, for foreign keys between contexts

        digest = hashlib.sha256(self._url.encode()).hexdigest()[:10]
        self._engine = make_engine(self._url)
        factory = make_session_factory(self._engine)
        ingest = IngestWorker(
            factory, host=self._host, port=self._port,
            client_id=f"yingji-demo-ingest-{digest}", group=f"yingji-demo-{digest}",
            session_expiry_seconds=SESSION_EXPIRY_SECONDS,
        )  # fmt: skip
        try:
            ingest.start(timeout=5.0)
        except (OSError, RuntimeError) as exc:
            typer.echo(
                f"warning: no MQTT broker at {self._host}:{self._port} ({exc}); serving "
                "without live monitoring (start Mosquitto and run the demo again)",
                err=True,
            )
            self.stop()
            return False
        self._run("demo-mqtt-ingest", ingest)
        rules = RulesWorker(
            factory, host=self._host, port=self._port, client_id=f"yingji-demo-rules-{digest}",
            session_expiry_seconds=SESSION_EXPIRY_SECONDS,
        )  # fmt: skip
        try:
            rules.start(timeout=5.0)
        except Exception:  # the demo still shows live values without alarms
            log.exception("the rules worker did not start: no alarms in this demo run")
        else:
            self._run("demo-mqtt-rules", rules)
        command = [
            sys.executable, "-m", "yingji", "simulate", "sensors", "--rate", f"{self._rate:g}",
            "--host", self._host, "--port", str(self._port), "--exit-with-parent",
        ]  # fmt: skip
        self._simulator = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, start_new_session=True
        )
        typer.echo(
            f"Live monitoring: simulated sensors publish about {self._rate:g} readings/s to "
            f"MQTT {self._host}:{self._port}; the server stores them and raises alarms."
        )
        return True

    def _run(self, name: str, worker: _Worker) -> None:
        thread = threading.Thread(target=worker.run, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._running.append((worker, thread))

    def stop(self) -> None:
        """Stop the simulator, then the workers (unacknowledged messages come back next time)."""
        if self._simulator is not None:
            self._simulator.terminate()
            try:
                self._simulator.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._simulator.kill()
                self._simulator.wait()
            self._simulator = None
        self._stop.set()
        for worker, thread in self._running:
            thread.join(STOP_TIMEOUT)
            worker.stop()
        self._running.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
