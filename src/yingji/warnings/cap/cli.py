"""``yingji cap``: check CAP 1.2 warning messages from the shell.

``validate`` prints, per file, ``valid`` (with notes on the signature) or every reason it is
not, and exits 1 when any file is invalid or unreadable, 2 when an option is unusable. It
needs no database, so it also serves to check a partner's feed before connecting it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from yingji.warnings.cap._xml import MAX_BYTES
from yingji.warnings.cap.sign import load_certificates
from yingji.warnings.cap.validate import check

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def cap() -> None:
    """CAP 1.2: validate warning messages."""


@app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="CAP XML files to check")],
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", help="PEM certificate of a trusted signer (repeatable)"),
    ] = None,
    require_signature: Annotated[
        bool, typer.Option("--require-signature", help="An unsigned message is invalid")
    ] = False,
    require_trusted: Annotated[
        bool,
        typer.Option("--require-trusted", help="Only signatures by a --trust certificate count"),
    ] = False,
    cn: Annotated[
        bool, typer.Option("--cn", help="Also check 突发事件应对法 第64条 fields and GB/T 35965.1")
    ] = False,
    max_bytes: Annotated[int, typer.Option(help="Largest message accepted")] = MAX_BYTES,
) -> None:
    """Check CAP files against the schema, the CAP §3 rules and their signature."""
    trusted = _trusted(trust or [])
    failed = False
    for path in files:
        try:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)  # one byte more shows it is too big
        except OSError as exc:
            typer.echo(f"{path}: cannot read: {exc.strerror or exc}")
            failed = True
            continue
        report = check(
            data,
            trusted=trusted,
            require_signature=require_signature,
            require_trusted=require_trusted,
            profile="cn" if cn else None,
            max_bytes=max_bytes,
        )
        typer.echo(f"{path}: {'valid' if report.ok else 'invalid'}")
        for error in report.errors:
            typer.echo(f"  {error}")
        for note in report.notes:
            typer.echo(f"  note: {note}")
        failed = failed or not report.ok
    if failed:
        raise typer.Exit(code=1)


def _trusted(paths: list[Path]) -> tuple[x509.Certificate, ...]:
    """Read the --trust certificates, or stop with one line saying which one is unusable."""
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            certs.extend(load_certificates([path.read_bytes()]))
        except OSError as exc:
            _fail(f"--trust {path}: cannot read: {exc.strerror or exc}")
        except ValueError:
            _fail(f"--trust {path}: no PEM certificate in it")
    return tuple(certs)


def _fail(message: str) -> None:
    """Print one line to stderr and exit 2 (a usage problem, not an invalid message)."""
    typer.echo(message, err=True)
    raise typer.Exit(code=2)
