"""``yingji monitor``: the MQTT ingestion and rules workers."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from typing import Annotated, Protocol

import typer
from sqlalchemy.orm import Session, sessionmaker

from yingji.core.cli import database_errors, load_settings
from yingji.core.db import make_engine, make_session_factory

app = typer.Typer(no_args_is_help=True, add_completion=False)
Host = Annotated[str, typer.Option(help="MQTT broker host")]
Port = Annotated[int, typer.Option(help="MQTT broker port")]


class _Worker(Protocol):
    def start(self, *, timeout: float = ...) -> None: ...
    def run(self, stop: threading.Event) -> None: ...
    def stop(self) -> None: ...


def _serve(make: Callable[[sessionmaker[Session]], _Worker], host: str, port: int) -> None:
    """Run a worker on the configured database until Ctrl-C or SIGTERM."""
    import yingji.models  # noqa: F401 - every table, for foreign keys between contexts
    from yingji.handlers import load_handlers

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    load_handlers()  # the alarm SLA jobs are scheduled from the rules worker
    engine = make_engine(settings.sqlalchemy_url)
    worker = make(make_session_factory(engine))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with database_errors():
            worker.start()
    except typer.Exit:  # a RuntimeError too: the database message is printed already
        engine.dispose()
        raise
    except (OSError, RuntimeError) as exc:
        engine.dispose()
        typer.echo(f"cannot reach the MQTT broker at {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        engine.dispose()


@app.command("ingest")
def ingest_command(
    host: Host = "127.0.0.1",
    port: Port = 1883,
    client_id: Annotated[
        str | None, typer.Option(help="Stable MQTT client id (default: yingji-ingest-HOSTNAME)")
    ] = None,
    group: Annotated[str, typer.Option(help="Shared-subscription group of the workers")] = (
        "yingji-ingest"
    ),
) -> None:
    """Store gateways' readings from the broker until Ctrl-C or SIGTERM (run one or more)."""
    from yingji.monitoring.mqtt import IngestWorker

    name = client_id or f"yingji-ingest-{socket.gethostname()}"
    _serve(
        lambda factory: IngestWorker(factory, host=host, port=port, client_id=name, group=group),
        host,
        port,
    )


@app.command("rules")
def rules_command(
    host: Host = "127.0.0.1",
    port: Port = 1883,
    client_id: Annotated[str, typer.Option(help="Stable MQTT client id")] = "yingji-rules",
) -> None:
    """Evaluate every reading against the rules and keep the alarms (run exactly one)."""
    from yingji.monitoring.rules_worker import RulesWorker

    _serve(
        lambda factory: RulesWorker(factory, host=host, port=port, client_id=client_id),
        host,
        port,
    )
