"""``yingji monitor``: the MQTT ingestion worker."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import Annotated

import typer

from yingji.core.cli import load_settings
from yingji.core.db import make_engine, make_session_factory

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command("ingest")
def ingest_command(
    host: Annotated[str, typer.Option(help="MQTT broker host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="MQTT broker port")] = 1883,
    client_id: Annotated[
        str | None, typer.Option(help="Stable MQTT client id (default: yingji-ingest-HOSTNAME)")
    ] = None,
    group: Annotated[str, typer.Option(help="Shared-subscription group of the workers")] = (
        "yingji-ingest"
    ),
) -> None:
    """Store gateways' readings from the broker until Ctrl-C or SIGTERM (run one or more)."""
    import yingji.models  # noqa: F401 - every table, for foreign keys between contexts
    from yingji.monitoring.mqtt import IngestWorker

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engine = make_engine(settings.sqlalchemy_url)
    worker = IngestWorker(
        make_session_factory(engine),
        host=host,
        port=port,
        client_id=client_id or f"yingji-ingest-{socket.gethostname()}",
        group=group,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker.start()
    except (OSError, RuntimeError) as exc:
        typer.echo(f"cannot reach the MQTT broker at {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        engine.dispose()


@app.command("rules")
def rules_command(
    host: Annotated[str, typer.Option(help="MQTT broker host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="MQTT broker port")] = 1883,
    client_id: Annotated[str, typer.Option(help="Stable MQTT client id")] = "yingji-rules",
) -> None:
    """Evaluate every reading against the rules and keep the alarms (run exactly one)."""
    import yingji.models  # noqa: F401 - every table, for foreign keys between contexts
    from yingji.handlers import load_handlers
    from yingji.monitoring.rules_worker import RulesWorker

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    load_handlers()  # alarm SLA jobs are scheduled from here
    engine = make_engine(settings.sqlalchemy_url)
    worker = RulesWorker(make_session_factory(engine), host=host, port=port, client_id=client_id)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        worker.start()
    except (OSError, RuntimeError) as exc:
        typer.echo(f"cannot reach the MQTT broker at {host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        worker.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        engine.dispose()
