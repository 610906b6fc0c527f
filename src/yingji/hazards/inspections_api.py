"""HTTP routes of checklists, inspection plans and tasks."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["inspections"])
