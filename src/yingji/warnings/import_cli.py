"""``yingji cap import FILE…``: import external CAP messages into the configured database.

Each file is imported in its own transaction and reported on one line: created, updated,
ended, duplicate or unmatched, with the signature status; a refused file prints every
element-named reason. Exits 1 if any file was refused or unreadable, 2 on a bad option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from yingji.core.auth.actor import Actor, system_actor
from yingji.core.cli import database_errors, load_settings
from yingji.core.db import make_engine, make_session_factory, unit_of_work
from yingji.core.errors import NotFound
from yingji.regions import service as regions
from yingji.warnings.cap._xml import MAX_BYTES
from yingji.warnings.cap.cli import app
from yingji.warnings.service import CapRejected, import_cap

__all__ = ["app", "import_command"]  # app: the ``yingji cap`` group, with validate and import


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="CAP XML files to import")],
    region: Annotated[
        str, typer.Option(help="Region code of the bureau that receives the warnings")
    ],
) -> None:
    """Import CAP 1.2 files: validated, signatures checked, deduplicated, Update/Cancel applied."""
    import yingji.models  # noqa: F401 - every table, for foreign keys between contexts

    settings = load_settings()
    engine = make_engine(settings.sqlalchemy_url)
    failed = False
    try:
        with database_errors():
            actor = _actor(make_session_factory(engine), region)
            for path in files:
                try:
                    data = path.read_bytes()[: MAX_BYTES + 1]
                except OSError as exc:
                    typer.echo(f"{path}: cannot read: {exc.strerror or exc}")
                    failed = True
                    continue
                try:
                    with unit_of_work(make_session_factory(engine)) as session:
                        result = import_cap(session, actor=actor, data=data, settings=settings)
                except CapRejected as exc:
                    failed = True
                    typer.echo(f"{path}: refused")
                    errors = exc.details.get("errors") or [{"element": "-", "reason": exc.message}]
                    for error in errors:
                        typer.echo(f"  {error['element']}: {error['reason']}")
                    continue
                typer.echo(
                    f"{path}: {result.outcome} {result.msg_type} {result.identifier}"
                    f" (signature {result.signature})"
                )
    finally:
        engine.dispose()
    if failed:
        raise typer.Exit(1)


def _actor(factory: sessionmaker[Session], code: str) -> Actor:
    """Return the CLI's actor, placed in the receiving bureau's region."""
    with unit_of_work(factory) as session:
        try:
            path = regions.path_of(session, code)
        except NotFound:
            typer.echo(f"unknown region code {code!r}", err=True)
            raise typer.Exit(2) from None
    base = system_actor(source="cli")
    return Actor(role=base.role, username=base.username, region_code=code, region_path=path,
                 source="cli", request_id=base.request_id)  # fmt: skip
