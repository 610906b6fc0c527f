"""HTTP routes of the Excel ledgers (台账): templates, import and export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["ledger"])
