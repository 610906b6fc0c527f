"""Pages of inspections: plans, my tasks, and carrying out a task on a phone."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
