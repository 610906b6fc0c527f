"""Pages of the Excel ledgers (台账): template download, import and export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
