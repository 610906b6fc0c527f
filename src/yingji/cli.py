"""The ``yingji`` command line."""

from __future__ import annotations

import typer

from yingji.core.auth.cli import app as user_app
from yingji.core.cli import audit_app, db_app, serve_command, worker_command
from yingji.demo.cli import demo_command
from yingji.monitoring.cli import app as monitor_app
from yingji.monitoring.sim_cli import app as simulate_app
from yingji.regions.cli import app as region_app
from yingji.warnings.dispatch_cli import app as warnings_app
from yingji.warnings.import_cli import app as cap_app

app = typer.Typer(
    help="yingji (应急): emergency-management platform. Each command's --help says what it does.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve", help="Run the web platform and API (and, by default, the background worker).")(
    serve_command
)
app.command("worker", help="Run the background worker: event delivery and timed jobs.")(
    worker_command
)
app.command("demo", help="Load the 宜昌市 demo region, organisations and one user per role.")(
    demo_command
)
app.add_typer(db_app, name="db", help="Create or upgrade the database schema.")
app.add_typer(user_app, name="user", help="Create users and API tokens.")
app.add_typer(region_app, name="region", help="Import regions and grids from GeoJSON.")
app.add_typer(audit_app, name="audit", help="Check the tamper-evident audit log.")
app.add_typer(monitor_app, name="monitor", help="Monitoring: ingest sensor readings over MQTT.")
app.add_typer(simulate_app, name="simulate", help="Simulate sensors publishing readings over MQTT.")
app.add_typer(cap_app, name="cap", help="CAP 1.2: validate and import warning messages.")
app.add_typer(warnings_app, name="warnings", help="Early warnings: run the 叫应 dispatcher.")


def main() -> None:
    """Run the command line."""
    app()
