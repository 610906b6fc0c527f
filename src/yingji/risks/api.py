"""HTTP routes of the risks context: risk points, control measures, major hazard installations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["risks"])
