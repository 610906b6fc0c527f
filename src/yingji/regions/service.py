"""Region business rules: paths, subtrees, lookups."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core.errors import NotFound
from yingji.regions.models import Region


def path_of(session: Session, code: str) -> str:
    """Return the materialised path of a region, or raise NotFound naming the code."""
    path = session.scalar(select(Region.path).where(Region.code == code))
    if path is None:
        raise NotFound(f"unknown region code {code!r}", field="region_code")
    return path


def prefix_range(path: str) -> tuple[str, str]:
    """Return the [low, high) string range holding a path and all paths below it."""
    # '/' + 1 is '0': every descendant path starts with the prefix and sorts below prefix[:-1]+'0'.
    return path, path[:-1] + chr(ord(path[-1]) + 1)


def in_subtree(column: InstrumentedAttribute[str], path: str) -> ColumnElement[bool]:
    """Return a SQL condition: a region-code column lies in the subtree rooted at ``path``."""
    low, high = prefix_range(path)
    codes = select(Region.code).where(Region.path >= low, Region.path < high)
    return column.in_(codes)
