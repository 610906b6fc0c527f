"""A real local HTTP gateway (SMS and voice provider) for the dispatch tests."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Gateway:
    """Answers ``{"code": "OK", "message_id": "m-N"}`` to each message; records every body."""

    port: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        """Return the gateway's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """Record a message and return the provider's answer."""
        with self.lock:
            self.bodies.append(body)
            return {"code": "OK", "message_id": f"m-{next(self.ids)}"}


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            if isinstance(body.get("messages"), list):
                answer: dict[str, Any] = {
                    "code": "OK", "results": [gateway.answer(m) for m in body["messages"]]
                }  # fmt: skip
            else:
                answer = gateway.answer(body)
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """A recording provider gateway on a free local port."""
    state = Gateway()
    server = _Server(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
