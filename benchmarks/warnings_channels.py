"""Benchmark the SMS adapter: 20,000 warning deliveries through a local HTTP gateway.

Starts a minimal SMS gateway (uvicorn, a raw ASGI app answering with a message id) in a
separate process on a free port, then pushes N deliveries (Chinese texts, one reply code each)
through one ``SmsChannel.send_many`` call: one pooled keep-alive ``httpx.Client`` (HTTP/1.1)
shared by ``--concurrency`` threads. With ``--batch-size`` > 1 the adapter uses the gateway's
batch API (that many messages a request); ``--batch-size 1`` sends one request per message.
The gateway counts what it received and flags any delivery id it saw twice, so every delivery
is accounted for. Prints one JSON object: deliveries/s, per-request latency p50/p99, failures,
the gateway's tally and the adapter process's peak RSS and CPU time.

    .venv/bin/python benchmarks/warnings_channels.py
    .venv/bin/python benchmarks/warnings_channels.py --batch-size 1 --concurrency 2
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import orjson

from yingji.warnings.channels import (
    ChannelName,
    Delivery,
    ResponseFields,
    SmsChannel,
    SmsConfig,
    WarningLevel,
)

TARGET_PER_SECOND = 2000
TEXT = "【西陵区应急管理局】西陵区发布暴雨红色预警。回复{code}确认收到，详情 https://yj.example.cn/a/{n}"

Scope = dict[str, Any]
Message = dict[str, Any]


class _Gateway:
    """The gateway's state: message ids handed out, delivery ids seen."""

    def __init__(self) -> None:
        self.ids = itertools.count()
        self.seen: set[str] = set()
        self.requests = 0
        self.duplicates = 0

    def accept(self, message: dict[str, Any]) -> dict[str, Any]:
        reference = str(message.get("reference"))
        if reference in self.seen:
            self.duplicates += 1
        self.seen.add(reference)
        return {"code": "OK", "message_id": f"gw-{next(self.ids)}"}


_STATE = _Gateway()


async def gateway_app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Answer sends with message ids (batches with one result each) and GET /stats."""
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if not event.get("more_body"):
            break
    if scope["method"] == "GET":
        answer: dict[str, Any] = {
            "messages": len(_STATE.seen),
            "requests": _STATE.requests,
            "duplicates": _STATE.duplicates,
        }
    else:
        _STATE.requests += 1
        body = orjson.loads(b"".join(chunks))
        if "messages" in body:
            answer = {"code": "OK", "results": [_STATE.accept(m) for m in body["messages"]]}
        else:
            answer = _STATE.accept(body)
    payload = orjson.dumps(answer)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def serve(port: int) -> None:
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gateway_process() -> Iterator[str]:
    """Start the gateway in a separate process; yield its base URL."""
    port = _free_port()
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(10)


def sms_config(url: str, *, batch_size: int, concurrency: int) -> SmsConfig:
    """Return the adapter's configuration for the benchmark gateway."""
    batch: dict[str, Any] = {}
    if batch_size > 1:
        batch = {
            "batch_size": batch_size,
            "batch_template": {"messages": "{messages}", "batch_id": "{batch_id}"},
            "batch_results": "results",
            "batch_item_response": ResponseFields(
                message_id="message_id", status="code", success_values=["OK"]
            ),
        }
    return SmsConfig(
        url=f"{url}/sms/send",
        response=ResponseFields(
            message_id="message_id" if batch_size == 1 else None,
            status="code",
            success_values=["OK"],
        ),
        concurrency=concurrency,
        timeout=10.0,
        **batch,
    )


def deliveries(count: int, start: int = 0) -> list[Delivery]:
    """Return ``count`` distinct SMS deliveries."""
    return [
        Delivery(
            delivery_id=f"bench-{n}",
            channel=ChannelName.SMS,
            recipient=f"+86138{n % 100_000_000:08d}",
            text=TEXT.format(code=1000 + n % 9000, n=n),
            warning_id="w-bench",
            level=WarningLevel.RED,
            reply_code=str(1000 + n % 9000),
        )
        for n in range(start, start + count)
    ]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def run(
    *, count: int = 20_000, batch_size: int = 100, concurrency: int = 4, warmup: int = 200
) -> dict[str, Any]:
    """Push ``count`` deliveries through the adapter; return the figures."""
    with (
        gateway_process() as url,
        SmsChannel(sms_config(url, batch_size=batch_size, concurrency=concurrency)) as channel,
    ):
        channel.send_many(deliveries(warmup, start=count))  # open the connections
        batch = deliveries(count)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        receipts = channel.send_many(batch)
        seconds = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        stats = httpx.get(f"{url}/stats").json()
    per_request = [r.latency_ms for r in receipts[::batch_size] if r.latency_ms is not None]
    failures = [r for r in receipts if r.failed]
    rate = count / seconds
    return {
        "benchmark": "warnings_channels.sms",
        "deliveries": count,
        "batch_size": batch_size,
        "concurrency": concurrency,
        "requests": len(per_request),
        "seconds": round(seconds, 3),
        "deliveries_per_s": round(rate),
        "requests_per_s": round(len(per_request) / seconds),
        "request_p50_ms": round(_percentile(per_request, 0.50), 2),
        "request_p99_ms": round(_percentile(per_request, 0.99), 2),
        "failures": len(failures),
        "failure_reasons": sorted({r.reason or "" for r in failures})[:5],
        "gateway_received": stats["messages"] - warmup,
        "gateway_duplicates": stats["duplicates"],
        "adapter_cpu_seconds": round(
            (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
            2,
        ),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_deliveries_per_s": TARGET_PER_SECOND,
        "meets_target": rate >= TARGET_PER_SECOND and not failures,
    }


def main() -> None:
    """Parse the arguments; serve the gateway or run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    result = run(count=args.deliveries, batch_size=args.batch_size, concurrency=args.concurrency)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
