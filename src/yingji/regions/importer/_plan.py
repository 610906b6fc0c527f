"""Resolve the parents and paths of a file's regions before anything is written."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.regions.importer._features import Item, fail
from yingji.regions.models import Region
from yingji.regions.schemas import (
    MAX_PATH,
    CodeError,
    RegionLevel,
    check_parent,
    parent_candidates,
)

_IN_CHUNK = 500  # codes per IN (...) query, well below every backend's parameter limit


def existing(session: Session, codes: set[str]) -> dict[str, Region]:
    """Return the stored regions among some codes, by code."""
    found: dict[str, Region] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), _IN_CHUNK):
        chunk = ordered[start : start + _IN_CHUNK]
        found.update(
            (r.code, r) for r in session.scalars(select(Region).where(Region.code.in_(chunk)))
        )
    return found


def plan(
    session: Session, items: list[Item]
) -> tuple[dict[str, str | None], dict[str, str], dict[str, Region]]:
    """Resolve every item's parent and path; return (parents, paths, stored regions)."""
    by_code: dict[str, Item] = {}
    for item in items:
        if item.code in by_code:
            first = by_code[item.code].index
            raise fail(item.index, "properties.code", f"code {item.code} repeats feature {first}")
        by_code[item.code] = item
    wanted = set(by_code)
    for item in items:
        wanted.update([item.parent] if item.parent else parent_candidates(item.code, item.level))
    stored = existing(session, wanted)

    def level_of(code: str) -> RegionLevel:
        return by_code[code].level if code in by_code else RegionLevel(stored[code].level)

    parents: dict[str, str | None] = {}
    for item in items:
        tried = [item.parent] if item.parent else parent_candidates(item.code, item.level)
        parent = next((c for c in tried if c in by_code or c in stored), None)
        if parent is None and (item.parent or item.level is not RegionLevel.PROVINCE):
            wanted_text = " or ".join(tried) if tried else "a parent code"
            raise fail(
                item.index,
                "properties.parent",
                f"unknown parent region {wanted_text} of {item.code}",
            )
        if parent is not None:
            try:
                check_parent(item.code, item.level, parent, level_of(parent))
            except CodeError as exc:
                raise fail(item.index, "properties.parent", str(exc)) from exc
        old = stored.get(item.code)
        if old is not None and (old.parent_code != parent or old.level != item.level):
            raise fail(
                item.index,
                "properties.parent",
                f"region {item.code} is stored as a {old.level} below {old.parent_code}; "
                "moving regions is not supported",
            )
        parents[item.code] = parent

    paths: dict[str, str] = {}

    def path_of(code: str, seen: tuple[str, ...]) -> str:
        if code in paths:
            return paths[code]
        if code not in by_code:
            return stored[code].path
        if code in seen:
            raise fail(by_code[code].index, "properties.parent", f"parent cycle {' > '.join(seen)}")
        parent = parents[code]
        prefix = path_of(parent, (*seen, code)) if parent else "/"
        path = paths[code] = f"{prefix}{code}/"
        if len(path) > MAX_PATH:
            raise fail(by_code[code].index, "properties.parent", "the tree is too deep")
        return path

    for item in items:
        path_of(item.code, ())
    return parents, paths, stored
