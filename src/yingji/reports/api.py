"""HTTP routes of public reports (举报): the public intake and the bureau's triage and rewards."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["public reports"])
