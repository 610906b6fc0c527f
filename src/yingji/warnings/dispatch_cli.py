"""``yingji warnings dispatch``: run the 叫应 dispatcher until Ctrl-C or SIGTERM.

Channels come from the settings (``channels``: sms, voice, smtp, webhook; see
``warnings.channels.config``), the ladder and windows from the warning rules. Run one or more
against PostgreSQL; against SQLite they take turns.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Annotated

import typer

from yingji.core.cli import database_errors, load_settings
from yingji.core.db import make_engine, make_session_factory

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def warnings_group() -> None:
    """Early warnings (预警): the 叫应 dispatcher."""


@app.command("dispatch")
def dispatch_command(
    poll_seconds: Annotated[
        float, typer.Option(min=0.01, max=60, help="Longest sleep between passes when idle")
    ] = 0.25,
    batch_size: Annotated[
        int, typer.Option(min=1, max=20_000, help="Targets claimed in one pass")
    ] = 1000,
    resend_after_seconds: Annotated[
        float,
        typer.Option(min=1, help="Re-send an attempt left 'sending' this long (a dispatcher died)"),
    ] = 120.0,
    recover_every_seconds: Annotated[
        float, typer.Option(min=0.1, help="How often to look for such attempts")
    ] = 5.0,
) -> None:
    """Run every target's ladder: send, escalate at the deadline, re-send after a crash."""
    import yingji.models  # noqa: F401 - every table, for foreign keys between contexts
    from yingji.warnings.jobs import Dispatcher

    settings = load_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engine = make_engine(settings.sqlalchemy_url)
    dispatcher = Dispatcher(
        make_session_factory(engine), settings, batch_size=batch_size,
        poll_seconds=poll_seconds, resend_after_seconds=resend_after_seconds,
        recover_every_seconds=recover_every_seconds,
    )  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logging.getLogger(__name__).info("warnings dispatcher %d started", os.getpid())
    try:
        with database_errors():
            dispatcher.check()
        dispatcher.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.close()
        engine.dispose()


if __name__ == "__main__":  # pragma: no cover - the benchmark starts it so, before it is mounted
    app()
