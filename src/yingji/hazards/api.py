"""HTTP routes of hazard records and their lifecycle."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["hazards"])
