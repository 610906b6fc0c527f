"""Region tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yingji.core.db import Base, utcnow


class Region(Base):
    """A node of the administrative tree or a grid (网格) below it."""

    __tablename__ = "regions"
    __table_args__ = (
        Index("ix_regions_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
        Index("ix_regions_parent", "parent_code"),
        # The spatial index's freshness check reads max(updated_at): keep it an index lookup.
        Index("ix_regions_updated_at", "updated_at"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16))  # regions.schemas.RegionLevel
    parent_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("regions.code", ondelete="RESTRICT")
    )
    # Materialised path "/420000/420500/420502/": a subtree is one indexed prefix range.
    path: Mapped[str] = mapped_column(String(600), unique=True)
    depth: Mapped[int] = mapped_column(Integer)
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Last, so SQLite reads the other columns without walking the geometry's overflow pages.
    geometry: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry, WGS-84
