"""HTTP routes for uploading and reading attachments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["attachments"])
