"""Import a GeoJSON FeatureCollection of regions, all or nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.errors import Forbidden
from yingji.core.events import record_event
from yingji.regions.events import RegionsImported
from yingji.regions.importer._features import Item, load_collection, read_feature
from yingji.regions.importer._plan import plan
from yingji.regions.models import Region
from yingji.regions.schemas import ImportReport, path_depth
from yingji.regions.service import audit_snapshot


def import_geojson(
    session: Session,
    *,
    actor: Actor,
    data: dict[str, Any] | bytes | str,
    source: str,
    is_demo: bool = False,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str = "parent",
    level_field: str | None = None,
    repair: bool = False,
) -> ImportReport:
    """Create or update the regions of a FeatureCollection; refuse the whole file on any error.

    Parents may come after their children, or already be stored. Without a parent property the
    parent is derived from the code (see ``schemas.parent_candidates``). A feature without
    geometry keeps the stored shape. Regions are never moved: a new parent is refused.
    """
    actor.require(Permission.REGION_WRITE)
    features = load_collection(data)
    fields = (code_field, name_field, parent_field, level_field)
    items = [read_feature(i, f, fields, repair=repair) for i, f in enumerate(features)]
    return _apply(session, actor=actor, items=items, source=source, is_demo=is_demo)


def _apply(
    session: Session, *, actor: Actor, items: list[Item], source: str, is_demo: bool
) -> ImportReport:
    parents, paths, stored = plan(session, items)
    for item in items:
        if not actor.covers_path(paths[item.code]):
            raise Forbidden(
                f"feature {item.index}: region {item.code} lies outside your region",
                field=f"features[{item.index}]",
            )
    report = ImportReport(
        errors=[
            f"feature {i.index}: repaired the invalid geometry of {i.code}"
            for i in items
            if i.repaired
        ]
    )
    # Everything is checked: from here on nothing can refuse the file. Parents first.
    ordered = sorted(items, key=lambda i: (path_depth(paths[i.code]), i.code))
    created: list[Region] = []
    changed: list[tuple[Region, dict[str, Any]]] = []
    for item in ordered:
        values: dict[str, Any] = {"name": item.name, "is_demo": is_demo, "source": source}
        if item.columns is not None:
            values.update(item.columns)
        old = stored.get(item.code)
        if old is None:
            region = Region(
                code=item.code,
                level=str(item.level),
                parent_code=parents[item.code],
                path=paths[item.code],
                depth=path_depth(paths[item.code]),
                **values,
            )
            session.add(region)
            created.append(region)
        elif any(getattr(old, key) != value for key, value in values.items()):
            before = audit_snapshot(old)
            for key, value in values.items():
                setattr(old, key, value)
            changed.append((old, before))
        else:
            report.skipped += 1
    session.flush()
    for region in created:
        record_change(
            session,
            actor=actor,
            action="region.created",
            entity_type="region",
            entity_id=region.code,
            region_path=region.path,
            after=audit_snapshot(region),
        )
    for region, before in changed:
        record_change(
            session,
            actor=actor,
            action="region.updated",
            entity_type="region",
            entity_id=region.code,
            region_path=region.path,
            before=before,
            after=audit_snapshot(region),
        )
    report.created, report.updated = len(created), len(changed)
    event = RegionsImported(
        source=source,
        created=report.created,
        updated=report.updated,
        skipped=report.skipped,
        codes=[r.code for r in created] + [r.code for r, _ in changed],
    )
    record_event(session, event, actor=actor)
    return report
