"""Pages of hazard records: the board, a hazard's page with its actions, the supervised list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
