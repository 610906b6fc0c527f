"""HTTP routes of hazard statistics, the quarterly table and responsibility trace-back."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["hazard statistics"])
