"""Events of the Excel ledgers; each imported record also has its own context's event."""

from __future__ import annotations

from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class LedgerImported(DomainEvent):
    """A ledger file was imported in full (a failed or dry-run import leaves no event)."""

    event_type: ClassVar[str] = "ledger.imported"
    kind: str
    rows: int
    imported: int
    sha256: str
    region_code: str | None
