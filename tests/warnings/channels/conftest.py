"""Real local servers for the channel tests: an HTTP gateway and an SMTP server."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Request:
    """One request the gateway received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


Answer = tuple[int, bytes]


@dataclass
class Gateway:
    """A recording HTTP gateway that simulates an SMS/voice provider.

    It answers ``{"code": "OK", "message_id": "m-N"}`` to a single message and
    ``{"code": "OK", "results": [...]}`` to a batch (``{"messages": [...]}``); a message to a
    phone in ``bad_phones`` gets ``{"code": "BAD_NUMBER", ...}``. ``answer`` overrides every
    answer, ``delay`` delays them.
    """

    port: int = 0
    requests: list[Request] = field(default_factory=list)
    answer: Answer | None = None
    delay: float = 0.0
    bad_phones: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        """Return the gateway's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _result(self, message: dict[str, Any]) -> dict[str, Any]:
        phone = message.get("to") or message.get("callee")
        if phone in self.bad_phones:
            return {"code": "BAD_NUMBER", "error": "号码无效 invalid number"}
        return {"code": "OK", "message_id": f"m-{next(self.ids)}"}

    def reply(self, request: Request) -> Answer:
        """Return the status and body to answer a request with."""
        if self.delay:
            time.sleep(self.delay)
        if self.answer is not None:
            return self.answer
        try:
            body = request.json()
        except ValueError:
            return 200, json.dumps({"code": "OK", "message_id": f"m-{next(self.ids)}"}).encode()
        if isinstance(body, dict) and isinstance(body.get("messages"), list):
            results = [self._result(m) for m in body["messages"]]
            return 200, json.dumps({"code": "OK", "results": results}).encode()
        return 200, json.dumps(self._result(body)).encode()


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the adapters expect

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
            )
            with gateway.lock:
                gateway.requests.append(request)
            status, body = gateway.reply(request)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client gave up (the timeout tests do)."""


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


def free_port() -> int:
    """Return a local TCP port that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server accepted, and which sessions it saw."""

    port: int = 0
    envelopes: list[Envelope] = field(default_factory=list)
    sessions: set[object] = field(default_factory=set)  # the peers (address, port)


class _Handler:
    """Accept mail; refuse recipients "refused…" (550) and "busy…" (451), drop on "drop…"."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("refused"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if envelope.rcpt_tos[0].startswith("drop"):  # the connection breaks mid-message
            assert server.transport is not None
            server.transport.close()
            return "421 4.3.0 closing"
        self.mailbox.envelopes.append(envelope)
        self.mailbox.sessions.add(session.peer)
        return "250 2.0.0 queued"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"duty", b"s3cret")
    return AuthResult(success=ok, handled=False)


MailServer = Callable[..., Mailbox]


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """Start aiosmtpd servers on free local ports (``auth=True``, ``tls_context=...``)."""
    controllers: list[Controller] = []

    def start(*, auth: bool = False, **smtp_options: Any) -> Mailbox:
        mailbox = Mailbox(port=free_port())
        if auth:
            smtp_options |= {"authenticator": _authenticator, "auth_require_tls": False}
        controller = Controller(
            _Handler(mailbox), hostname="127.0.0.1", port=mailbox.port, **smtp_options
        )
        controller.start()
        controllers.append(controller)
        return mailbox

    yield start
    for controller in controllers:
        controller.stop()
