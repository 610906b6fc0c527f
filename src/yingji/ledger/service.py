"""Public services of the Excel ledgers (台账): templates, all-or-nothing imports, exports.

An import runs in two passes. The first parses and validates every row and collects every
problem (Excel row and column). Only a clean file reaches the second pass, which creates the
records through the owning contexts' services inside a SAVEPOINT; a refusal by a service is
reported against its row and column and the savepoint is rolled back, so a failed file leaves
nothing behind. A dry run does both passes and always rolls back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO, Any, Final

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError, Forbidden, InvalidInput
from yingji.core.events import record_event
from yingji.ledger import _xlsx, events
from yingji.ledger._cells import CellError
from yingji.ledger._columns import Column, Ledger, export_value
from yingji.ledger._kinds import KINDS, EnterpriseIndex, Kind
from yingji.ledger._xlsx import MAX_BYTES, MAX_EXPORT_ROWS, MAX_ROWS, Problem
from yingji.ledger.schemas import ImportResult, LedgerKind, RowError

MAX_ERRORS: Final = 500  # errors listed in a result; the rest are counted away
_CREDIT_KEYS: Final = ("credit_code", "enterprise_credit_code")

__all__ = [
    "MAX_BYTES",
    "MAX_ERRORS",
    "MAX_EXPORT_ROWS",
    "MAX_ROWS",
    "export_ledger",
    "import_ledger",
    "ledger_of",
    "template",
]


def ledger_of(kind: LedgerKind) -> Ledger:
    """Return the column definitions of a ledger."""
    return KINDS[kind.value].ledger


def template(kind: LedgerKind) -> bytes:
    """Return the .xlsx template of a ledger (no permission needed: it holds no data)."""
    return _xlsx.build_template(ledger_of(kind))


def _require_import(actor: Actor, kind: Kind) -> None:
    scope = actor.require(kind.write)
    if kind.ledger.kind == LedgerKind.ENTERPRISES and scope is not Scope.REGION:
        raise Forbidden("you may update your own organisation but not register enterprises")
    if kind.ledger.kind != LedgerKind.ENTERPRISES:
        # Rows name their enterprise by credit code, looked up in the register the actor reads.
        actor.require(Permission.ORG_READ)


class _Rows:
    """The problems found so far, located by Excel row and column."""

    def __init__(self, ledger: Ledger, positions: dict[str, int]) -> None:
        self.ledger, self.positions = ledger, positions
        self.by_key = {c.key: c for c in ledger.columns}
        self.by_target = {c.target: c for c in ledger.import_columns}
        self.problems: list[Problem] = []

    def add(self, row: int | None, key: str | None, message: str) -> None:
        column = self.by_key.get(key) if key else None
        index = self.positions.get(column.key) if column else None
        self.problems.append(Problem(message, row, column, index))

    def column_for(self, field: str | None, fallback: str) -> str:
        """Return the key of the column a schema or service field name refers to."""
        if field:
            parts = field.split(".")
            for candidate in (field, ".".join(parts[:2]), parts[0]):
                if candidate in self.by_target:
                    return self.by_target[candidate].key
                if candidate in self.by_key:
                    return candidate
        return fallback


def _parse_row(
    rows: _Rows, kind: Kind, number: int, cells: dict[str, object], index: EnterpriseIndex
) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    ok = True
    for column in kind.ledger.import_columns:
        try:
            value = column.parse(cells.get(column.key))
        except CellError as exc:
            rows.add(number, column.key, str(exc))
            ok = False
            continue
        if column.required and value in (None, []):
            rows.add(number, column.key, f"{column.header} is required")
            ok = False
        values[column.key] = value
    code = values.pop("enterprise_credit_code", None)
    if "enterprise_credit_code" in {c.key for c in kind.ledger.columns} and code:
        found = index.find(code)
        if found is None:
            rows.add(
                number,
                "enterprise_credit_code",
                f"no enterprise with credit code {code} that you may file records for",
            )
            ok = False
        target = next(c.target for c in kind.ledger.columns if c.key == "enterprise_credit_code")
        values[target] = found
    if not ok:
        return None
    try:
        data = kind.build(values)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            rows.add(number, rows.column_for(field, kind.fallback_column), str(error["msg"]))
        return None
    return {"data": data, "values": values}


def _check_credit_codes(
    rows: _Rows, parsed: list[tuple[int, dict[str, Any]]], index: EnterpriseIndex
) -> None:
    """Refuse a credit code given twice in the file, or already in the register."""
    first: dict[str, int] = {}
    for number, row in parsed:
        code = row["data"].credit_code
        if code in first:
            rows.add(number, "credit_code", f"credit code {code} is also on row {first[code]}")
            continue
        first[code] = number
        if index.find(code) is not None:
            rows.add(number, "credit_code", f"credit code {code} is already registered")


def _create_all(
    session: Session, actor: Actor, kind: Kind, rows: _Rows, parsed: list[tuple[int, Any]]
) -> int:
    """Create every row through its service; return how many succeeded (problems recorded)."""
    created = 0
    for number, row in parsed:
        try:
            with session.begin_nested():
                kind.create(session, actor, row["data"])
            created += 1
        except DomainError as exc:
            rows.add(number, rows.column_for(exc.field, kind.fallback_column), exc.message)
        except IntegrityError:
            rows.add(number, kind.fallback_column, "the row conflicts with existing data")
        if len(rows.problems) >= MAX_ERRORS:
            break
    return created


def _credit_codes(rows: list[tuple[int, dict[str, object]]]) -> set[str]:
    codes = set()
    for _, cells in rows:
        for key in _CREDIT_KEYS:
            value = cells.get(key)
            if isinstance(value, str) and value.strip():
                codes.add(value.strip().upper())
    return codes


def _position(problem: Problem) -> tuple[int, int]:
    return (problem.row or 0, problem.column_index or 0)


def _result(
    kind: LedgerKind, rows: _Rows, *, dry_run: bool, read: int, imported: int, digest: str
) -> ImportResult:
    errors = [
        RowError(
            row=p.row,
            column=p.letter,
            header=p.column.header if p.column else None,
            field=p.column.key if p.column else None,
            message=p.message,
        )
        for p in sorted(rows.problems, key=_position)[:MAX_ERRORS]
    ]
    return ImportResult(
        kind=kind,
        dry_run=dry_run,
        rows=read,
        imported=0 if errors else imported,
        sha256=digest,
        errors=errors,
        errors_truncated=len(rows.problems) > MAX_ERRORS,
    )


def import_ledger(
    session: Session, *, actor: Actor, kind: LedgerKind, content: bytes, dry_run: bool = False
) -> ImportResult:
    """Import a ledger file: everything or, if any row is wrong, nothing (errors listed).

    Problems of the file or the header stop the import before any row is read; problems of
    rows are all collected. The result's ``errors`` are sorted by row, then column.
    """
    spec = KINDS[kind.value]
    _require_import(actor, spec)
    digest = hashlib.sha256(content).hexdigest()
    sheet = _xlsx.read_sheet(content, spec.ledger)
    rows = _Rows(spec.ledger, sheet.positions)
    rows.problems.extend(sheet.problems)
    index = EnterpriseIndex(session, actor)
    index.preload(_credit_codes(sheet.rows))
    parsed: list[tuple[int, Any]] = []
    for number, cells in sheet.rows:
        row = _parse_row(rows, spec, number, cells, index)
        if row is not None:
            parsed.append((number, row))
    if kind is LedgerKind.ENTERPRISES:
        _check_credit_codes(rows, parsed, index)
    read = len(sheet.rows)
    if not read and not rows.problems:
        rows.add(None, None, "the sheet has no data rows")
    # Rows that passed the first pass still go through the services (and are rolled back if
    # anything is wrong), so one upload reports every problem, the services' refusals included.
    bad = {p.row for p in rows.problems}
    clean = [(number, row) for number, row in parsed if number not in bad]
    savepoint = session.begin_nested()
    created = _create_all(session, actor, spec, rows, clean)
    if rows.problems or dry_run:
        savepoint.rollback()
        return _result(kind, rows, dry_run=dry_run, read=read, imported=created, digest=digest)
    savepoint.commit()
    record_change(
        session,
        actor=actor,
        action="ledger.imported",
        entity_type="ledger",
        entity_id=kind.value,
        region_path=actor.region_path,
        after={"kind": kind.value, "rows": read, "imported": created, "sha256": digest},
    )
    event = events.LedgerImported(
        kind=kind.value, rows=read, imported=created, sha256=digest, region_code=actor.region_code
    )
    record_event(session, event, actor=actor)
    return _result(kind, rows, dry_run=False, read=read, imported=created, digest=digest)


def export_ledger(
    session: Session, *, actor: Actor, kind: LedgerKind, region_code: str | None = None
) -> IO[bytes]:
    """Write the records of a ledger the actor may read (in the region) to an .xlsx file.

    The columns are the template's (plus a few marked export-only), so an export re-imports.
    """
    spec = KINDS[kind.value]
    actor.require(spec.read)
    index = EnterpriseIndex(session, actor)
    total, records = spec.rows(session, actor, region_code, index)
    if total > MAX_EXPORT_ROWS:
        raise InvalidInput(
            f"{total} records exceed the export limit of {MAX_EXPORT_ROWS}; "
            "choose a smaller region",
            field="region",
        )
    columns = spec.ledger.columns
    return _xlsx.write_export(spec.ledger, _cells(columns, records))


def _cells(columns: tuple[Column, ...], records: Iterator[dict[str, Any]]) -> Iterator[list[Any]]:
    for values in records:
        yield [export_value(c, values.get(c.key)) for c in columns]
