"""The table behind the fixed-window rate limiter (see yingji.core.ratelimit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base


class RateLimitWindow(Base):
    """How many hits a key (a hashed client address and a purpose) made in one time window."""

    __tablename__ = "rate_limit_windows"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
