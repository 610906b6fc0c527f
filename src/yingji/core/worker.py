"""The background worker: outbox delivery and timed jobs, in a thread or as its own process."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from types import FrameType

from sqlalchemy.orm import Session, sessionmaker

from yingji.core.config import Settings
from yingji.core.jobs import ensure_periodic, run_due_jobs
from yingji.core.outbox import RetryPolicy, relay_once

log = logging.getLogger(__name__)
JOBS_PER_PASS = 50


class BackgroundWorker:
    """Poll the outbox and the job table on a daemon thread until stopped."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, name: str) -> None:
        self.factory = factory
        self.name = name
        self.poll_seconds = settings.worker_poll_seconds
        self.policy = RetryPolicy.from_settings(settings)
        # Unique per process, so job rows show which worker ran them.
        self.worker_id = f"{name}@{socket.gethostname()}:{os.getpid()}"[:120]
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._periodic_ready = False

    @property
    def running(self) -> bool:
        """Return whether the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker thread (once)."""
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name=f"yingji-worker-{self.name}", daemon=True
        )
        self._thread.start()
        log.info("worker %s started (every %.1fs)", self.worker_id, self.poll_seconds)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to finish its current pass and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("worker %s still busy after %.0fs", self.worker_id, timeout)
            else:
                log.info("worker %s stopped", self.worker_id)
            self._thread = None

    def run_pass(self) -> bool:
        """Do one round of work; return True if more jobs may be waiting right now."""
        if not self._periodic_ready:
            try:
                ensure_periodic(self.factory)
                self._periodic_ready = True
            except Exception:
                log.exception("worker %s: could not schedule periodic jobs", self.worker_id)
        try:
            relay_once(self.factory, policy=self.policy)
        except Exception:
            log.exception("worker %s: outbox relay failed", self.worker_id)
        try:
            ran = run_due_jobs(
                self.factory, worker_id=self.worker_id, limit=JOBS_PER_PASS, policy=self.policy
            )
        except Exception:
            log.exception("worker %s: running jobs failed", self.worker_id)
            return False
        return ran >= JOBS_PER_PASS

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.run_pass()
            except Exception:  # the loop must outlive anything a pass throws
                log.exception("worker %s: unexpected error", self.worker_id)
                busy = False
            if not busy:
                self._stopping.wait(self.poll_seconds)


def run_forever(factory: sessionmaker[Session], settings: Settings, name: str) -> None:
    """Run the worker in the foreground until SIGINT or SIGTERM, then stop cleanly."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: %s received, stopping", name, signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    worker = BackgroundWorker(factory, settings, name)
    worker.start()
    try:
        # Short waits keep the main thread responsive to signals.
        while not stop.wait(0.5):
            if not worker.running:  # pragma: no cover - the loop catches everything
                log.error("worker %s: thread ended unexpectedly; restarting", name)
                worker.start()
    finally:
        worker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
