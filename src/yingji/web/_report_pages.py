"""Pages of public reports: the public form and tracking page, and the bureau's triage."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
