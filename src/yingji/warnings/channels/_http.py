"""HTTP plumbing of the HTTP channels: one pooled keep-alive client and a small thread pool.

httpx's synchronous client is thread-safe; a few threads share its connection pool (HTTP/1.1,
keep-alive, one connection per thread), so a batch of deliveries is sent over warm
connections without an event loop in the caller's process.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

import httpx

T = TypeVar("T")
R = TypeVar("R")

USER_AGENT: Final = "yingji-warnings/1"
# httpcore writes the headers and the body separately: without TCP_NODELAY, Nagle's algorithm
# holds the body until the headers are acknowledged, which halved throughput in the benchmark.
_SOCKET_OPTIONS: Final = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
_EXCERPT: Final = 200


def excerpt(content: bytes) -> str:
    """Return the start of a response body as text, for a failure reason."""
    text = content[: _EXCERPT * 4].decode("utf-8", "replace").strip()
    return text[:_EXCERPT] + ("…" if len(text) > _EXCERPT else "")


def status_retryable(status: int) -> bool:
    """Whether an HTTP status is worth retrying later (timeouts, rate limits, server errors)."""
    return status in (408, 425, 429) or status >= 500


def describe_error(exc: Exception) -> tuple[str, bool]:
    """Return the failure reason of a transport error and whether retrying may help."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout", True
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection in time", True
    if isinstance(exc, httpx.TimeoutException):
        # The request may have reached the provider: retry relies on the idempotency key.
        return f"timeout waiting for the provider (outcome unknown): {type(exc).__name__}", True
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}", True
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}", True
    # Anything else is a bug or unencodable data: it would fail again the same way.
    return f"internal error: {type(exc).__name__}: {exc}", False


class HttpPool:
    """A lazily opened ``httpx.Client`` and the threads that share it."""

    def __init__(self, *, concurrency: int, connect_timeout: float, timeout: float) -> None:
        self.concurrency = concurrency
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout, pool=timeout)
        self._client: httpx.Client | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """Return the shared client, opening it on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    limits = httpx.Limits(
                        max_connections=self.concurrency,
                        max_keepalive_connections=self.concurrency,
                        keepalive_expiry=30.0,
                    )
                    transport = httpx.HTTPTransport(
                        http1=True,
                        http2=False,
                        limits=limits,
                        retries=0,  # a resend is the ladder's decision, never the transport's
                        socket_options=_SOCKET_OPTIONS,
                    )
                    self._client = httpx.Client(
                        transport=transport,
                        timeout=self._timeout,
                        follow_redirects=False,
                        trust_env=False,
                        headers={"User-Agent": USER_AGENT},
                    )
        return self._client

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=max(self.concurrency - 1, 1),
                        thread_name_prefix="yingji-channel",
                    )
        return self._executor

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        on_error: Callable[[T, Exception], R],
    ) -> list[R]:
        """Apply ``fn`` to every item with up to ``concurrency`` threads, in order.

        Workers take the next index from a shared counter rather than one future per item,
        which keeps the per-delivery overhead to a few microseconds; the calling thread works
        too. An item whose ``fn`` raises gets ``on_error``'s result: the others are unaffected.
        """

        def safe(item: T) -> R:
            try:
                return fn(item)
            except Exception as exc:  # one bad item must not lose the others' outcomes
                return on_error(item, exc)

        count = len(items)
        workers = min(self.concurrency, count)
        if workers <= 1:
            return [safe(item) for item in items]
        results: list[R | None] = [None] * count
        counter = itertools.count()  # next() on it is atomic under the GIL

        def work() -> None:
            while (index := next(counter)) < count:
                results[index] = safe(items[index])

        futures = [self._pool().submit(work) for _ in range(workers - 1)]
        work()
        for future in futures:
            future.result()
        out = [r for r in results if r is not None]
        if len(out) != count:
            raise RuntimeError("a worker returned no result")
        return out

    def close(self) -> None:
        """Close the connections and stop the threads."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
            if self._client is not None:
                self._client.close()
                self._client = None
