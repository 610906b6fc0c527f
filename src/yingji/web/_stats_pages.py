"""Pages of hazard statistics and responsibility trace-back."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
