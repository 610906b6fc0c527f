"""Pages of risk grading: the enterprise risk register and major hazard installations."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
