"""Response models of the Excel ledgers (台账)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class LedgerKind(StrEnum):
    """Which ledger: the enterprise register, risk points or hazards."""

    ENTERPRISES = "enterprises"
    RISK_POINTS = "risk_points"
    HAZARDS = "hazards"


class RowError(BaseModel):
    """One problem of an uploaded ledger, located as in Excel (row 1 is the header).

    ``row`` and ``column`` are None for a problem of the whole file (not an .xlsx, too big).
    """

    row: int | None
    column: str | None  # Excel column letter, e.g. "B"
    header: str | None  # the column's Chinese header
    field: str | None  # the column's English key
    message: str


class ImportResult(BaseModel):
    """The outcome of an import: what was (or, on a dry run, would be) imported, or why not.

    When ``errors`` is not empty nothing was imported (``imported`` is 0).
    """

    kind: LedgerKind
    dry_run: bool
    rows: int  # data rows read
    imported: int
    sha256: str
    errors: list[RowError]
    errors_truncated: bool = False
