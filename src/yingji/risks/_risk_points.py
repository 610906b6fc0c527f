"""Risk points (风险点): record, assess (LEC/LS/MES), re-assess, list and summarise."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, case, delete, func, or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor, subtree_range, system_actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.db import fetch_page
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.orgs import service as orgs
from yingji.regions import service as regions
from yingji.risks import _access, events
from yingji.risks.assessment import Assessment, RiskLevel, assess
from yingji.risks.models import ControlMeasure, RiskPoint
from yingji.risks.schemas import (
    AssessmentMethod,
    ControlMeasureIn,
    GroupBy,
    RiskPointCreate,
    RiskPointUpdate,
    RiskSummaryRow,
)

ENTITY = "risk_point"
RISK_POINT_FIELDS: Final = (
    "organisation_id", "region_code", "industry_code", "code", "name", "kind", "location", "lon",
    "lat", "hazard_factors", "accident_types", "method", "factors", "bands", "score", "level",
    "level_confirmed", "assessed_on", "reassess_on", "control_level", "responsible_person_id",
    "active",
)  # fmt: skip
GEOJSON_CAP: Final = 2000
_LEVELS: Final = tuple(RiskLevel)  # most severe first
_RANK = case({level.value: level.rank for level in RiskLevel}, value=RiskPoint.level, else_=0)


def run_assessment(
    method: AssessmentMethod, factors: dict[str, float], bands: str | None
) -> Assessment:
    """Assess with the shipped tables; errors name ``factors.X``, ``bands`` or ``method``."""
    return assess(method.value.upper(), factors, bands=bands)  # type: ignore[arg-type]


def load(session: Session, risk_point_id: uuid.UUID) -> RiskPoint:
    """Return a risk point by id (404 naming ``risk_point_id``)."""
    point = session.get(RiskPoint, risk_point_id)
    if point is None:
        raise NotFound(f"risk point {risk_point_id} does not exist", field="risk_point_id")
    return point


def require(session: Session, actor: Actor, permission: Permission, point: RiskPoint) -> None:
    """Raise Forbidden unless the actor holds ``permission`` over this risk point."""
    _access.require(
        session,
        actor,
        permission,
        region_path=point.region_path,
        organisation_id=point.organisation_id,
        industry_code=point.industry_code,
        what=ENTITY,
    )


def audit_view(point: RiskPoint, measures: Sequence[ControlMeasure] = ()) -> dict[str, Any]:
    """Return what the audit log keeps of a risk point and its measures."""
    view = snapshot(point, RISK_POINT_FIELDS)
    view["measures"] = [
        {
            "kind": m.kind,
            "description": m.description,
            "control_level": m.control_level,
            "responsible_person_id": m.responsible_person_id,
        }
        for m in measures
    ]
    return view


def measures_of(
    session: Session, risk_point_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """Return the control measures of some risk points, in order, keyed by risk point id."""
    ids = list(risk_point_ids)
    found: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        select(ControlMeasure)
        .where(ControlMeasure.risk_point_id.in_(ids))
        .order_by(ControlMeasure.risk_point_id, ControlMeasure.position)
    )
    for row in rows:
        found[row.risk_point_id].append(row)
    return found


def _check_coordinates(lon: float | None, lat: float | None) -> None:
    if (lon is None) != (lat is None):
        raise InvalidInput(
            "give both lon and lat, or neither", field="lat" if lat is None else "lon"
        )


def _add_measures(
    session: Session, point: RiskPoint, measures: Sequence[ControlMeasureIn]
) -> list[ControlMeasure]:
    rows = []
    for index, item in enumerate(measures):
        _access.require_person(
            session,
            item.responsible_person_id,
            point.organisation_id,
            field=f"measures[{index}].responsible_person_id",
        )
        row = ControlMeasure(
            risk_point_id=point.id,
            kind=item.kind.value,
            description=item.description,
            control_level=item.control_level.value,
            responsible_person_id=item.responsible_person_id,
            position=index,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _apply_assessment(point: RiskPoint, result: Assessment, actor: Actor, today: date) -> None:
    point.method = result.method.lower()
    point.factors = dict(result.factors)
    point.bands = result.band_set
    point.score = result.score
    point.level = result.level.value
    point.level_confirmed = result.confirmed
    point.assessed_on = today
    point.assessed_by = actor.user_id


def create_risk_point(
    session: Session, *, actor: Actor, data: RiskPointCreate, today: date | None = None
) -> RiskPoint:
    """Record a risk point of an enterprise, graded by its assessment (cn-rules §3.3–3.5)."""
    facts = _access.enterprise_facts(session, actor, Permission.RISK_WRITE, data.organisation_id)
    _check_coordinates(data.lon, data.lat)
    _access.require_person(
        session, data.responsible_person_id, facts.id, field="responsible_person_id"
    )
    result = run_assessment(data.method, dict(data.factors), data.bands)
    point = RiskPoint(
        organisation_id=facts.id,
        region_code=facts.region_code,
        region_path=facts.region_path,
        industry_code=facts.industry_code,
        code=data.code or None,
        name=data.name,
        kind=data.kind.value,
        location=data.location or None,
        lon=data.lon,
        lat=data.lat,
        hazard_factors=list(data.hazard_factors),
        accident_types=list(data.accident_types),
        reassess_on=data.reassess_on,
        control_level=data.control_level.value,
        responsible_person_id=data.responsible_person_id,
        active=True,
        is_demo=data.is_demo,
    )
    _apply_assessment(point, result, actor, today or date.today())
    session.add(point)
    session.flush()
    measures = _add_measures(session, point, data.measures)
    record_change(
        session,
        actor=actor,
        action="risk_point.created",
        entity_type=ENTITY,
        entity_id=point.id,
        region_path=point.region_path,
        after=audit_view(point, measures),
    )
    record_event(
        session,
        events.RiskPointAssessed(
            risk_point_id=point.id,
            organisation_id=point.organisation_id,
            region_code=point.region_code,
            level=point.level,
        ),
        actor=actor,
    )
    return point


def get_risk_point(session: Session, *, actor: Actor, risk_point_id: uuid.UUID) -> RiskPoint:
    """Return a risk point the actor may read."""
    point = load(session, risk_point_id)
    require(session, actor, Permission.RISK_READ, point)
    return point


_PLAIN = ("name", "code", "location", "hazard_factors", "accident_types", "reassess_on")


def update_risk_point(
    session: Session,
    *,
    actor: Actor,
    risk_point_id: uuid.UUID,
    data: RiskPointUpdate,
    today: date | None = None,
) -> RiskPoint:
    """Change a risk point; a new method, factors or band set re-assesses it and needs a reason.

    The audit entry keeps the level before and after and the reason given.
    """
    point = load(session, risk_point_id)
    require(session, actor, Permission.RISK_WRITE, point)
    if not point.active:
        raise InvalidInput("the risk point is inactive", field="risk_point_id")
    given = data.model_fields_set
    before = audit_view(point, measures_of(session, [point.id])[point.id])
    previous_level = point.level
    for name in _PLAIN:
        if name in given:
            value = getattr(data, name)
            if name in ("name",) and value is None:
                raise InvalidInput(f"{name} cannot be empty", field=name)
            if name in ("hazard_factors", "accident_types"):
                value = list(value or [])
            setattr(point, name, value or None if isinstance(value, str) else value)
    if "kind" in given:
        if data.kind is None:
            raise InvalidInput("kind cannot be empty", field="kind")
        point.kind = data.kind.value
    if "control_level" in given:
        if data.control_level is None:
            raise InvalidInput("control_level cannot be empty", field="control_level")
        point.control_level = data.control_level.value
    if "lon" in given or "lat" in given:
        lon = data.lon if "lon" in given else point.lon
        lat = data.lat if "lat" in given else point.lat
        _check_coordinates(lon, lat)
        point.lon, point.lat = lon, lat
    if "responsible_person_id" in given:
        _access.require_person(
            session,
            data.responsible_person_id,
            point.organisation_id,
            field="responsible_person_id",
        )
        point.responsible_person_id = data.responsible_person_id
    reassessed = bool(given & {"method", "factors", "bands"})
    if reassessed:
        if data.reason is None:
            raise InvalidInput("say why the risk point is re-assessed", field="reason")
        method = data.method or AssessmentMethod(point.method)
        if data.method is not None and data.method.value != point.method and data.factors is None:
            raise InvalidInput("a new method needs its factors", field="factors")
        factors = dict(data.factors) if data.factors is not None else dict(point.factors)
        bands = (
            data.bands
            if "bands" in given
            else (point.bands if method.value == point.method else None)
        )
        result = run_assessment(method, factors, bands)
        _apply_assessment(point, result, actor, today or date.today())
    if data.measures is not None:
        session.execute(delete(ControlMeasure).where(ControlMeasure.risk_point_id == point.id))
        session.flush()
        measures = _add_measures(session, point, data.measures)
    else:
        measures = measures_of(session, [point.id])[point.id]
    session.flush()
    after = audit_view(point, measures)
    if data.reason is not None:
        after["reason"] = data.reason
    record_change(
        session,
        actor=actor,
        action="risk_point.reassessed" if reassessed else "risk_point.updated",
        entity_type=ENTITY,
        entity_id=point.id,
        region_path=point.region_path,
        before=before,
        after=after,
    )
    if reassessed:
        record_event(
            session,
            events.RiskPointAssessed(
                risk_point_id=point.id,
                organisation_id=point.organisation_id,
                region_code=point.region_code,
                level=point.level,
                previous_level=previous_level,
            ),
            actor=actor,
        )
    return point


def deactivate_risk_point(session: Session, *, actor: Actor, risk_point_id: uuid.UUID) -> RiskPoint:
    """Take a risk point off the register; it stays on record and in the audit log."""
    point = load(session, risk_point_id)
    require(session, actor, Permission.RISK_WRITE, point)
    if not point.active:
        return point
    before = audit_view(point)
    point.active = False
    session.flush()
    record_change(
        session,
        actor=actor,
        action="risk_point.deactivated",
        entity_type=ENTITY,
        entity_id=point.id,
        region_path=point.region_path,
        before=before,
        after=audit_view(point),
    )
    record_event(
        session,
        events.RiskPointDeactivated(
            risk_point_id=point.id,
            organisation_id=point.organisation_id,
            region_code=point.region_code,
        ),
        actor=actor,
    )
    return point


def _conditions(
    session: Session,
    actor: Actor,
    *,
    organisation_id: uuid.UUID | None,
    region_code: str | None,
    level: RiskLevel | str | None,
    q: str | None,
    active: bool | None,
) -> list[ColumnElement[bool]]:
    conditions = [
        _access.visible(
            session,
            actor,
            Permission.RISK_READ,
            region_path=RiskPoint.region_path,
            organisation=RiskPoint.organisation_id,
            industry=RiskPoint.industry_code,
        )
    ]
    if active is not None:
        conditions.append(RiskPoint.active.is_(active))
    if organisation_id is not None:
        conditions.append(RiskPoint.organisation_id == organisation_id)
    if region_code:
        low, high = subtree_range(_access.input_region_path(session, region_code))
        conditions.append(and_(RiskPoint.region_path >= low, RiskPoint.region_path < high))
    if level:
        try:
            conditions.append(RiskPoint.level == RiskLevel(level).value)
        except ValueError:
            raise InvalidInput(f"unknown risk level {level!r}", field="level") from None
    if q:
        if "\x00" in q:
            raise InvalidInput("q contains a NUL character", field="q")
        escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(
            or_(
                RiskPoint.name.ilike(pattern, escape="\\"),
                RiskPoint.code.ilike(pattern, escape="\\"),
                RiskPoint.location.ilike(pattern, escape="\\"),
            )
        )
    return conditions


def list_risk_points(
    session: Session,
    *,
    actor: Actor,
    organisation_id: uuid.UUID | None = None,
    region_code: str | None = None,
    level: RiskLevel | str | None = None,
    q: str | None = None,
    active: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RiskPoint], int]:
    """Return one page of the risk points the actor may read (most severe first) and the total."""
    conditions = _conditions(
        session, actor, organisation_id=organisation_id, region_code=region_code, level=level,
        q=q, active=active,
    )  # fmt: skip
    stmt: Select[RiskPoint] = select(RiskPoint).where(*conditions)
    return fetch_page(
        session,
        stmt,
        order_by=[_RANK.desc(), RiskPoint.name, RiskPoint.id],
        limit=max(1, min(limit, 500)),
        offset=max(0, offset),
    )


def map_points(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    level: RiskLevel | str | None = None,
    organisation_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Return the active, located risk points as a GeoJSON FeatureCollection (capped)."""
    conditions = _conditions(
        session, actor, organisation_id=organisation_id, region_code=region_code, level=level,
        q=None, active=True,
    )  # fmt: skip
    rows = list(
        session.scalars(
            select(RiskPoint)
            .where(*conditions, RiskPoint.lon.is_not(None), RiskPoint.lat.is_not(None))
            .order_by(_RANK.desc(), RiskPoint.id)
            .limit(GEOJSON_CAP + 1)
        )
    )
    truncated = len(rows) > GEOJSON_CAP
    rows = rows[:GEOJSON_CAP]
    names: dict[uuid.UUID, str] = {}
    for org_id in {row.organisation_id for row in rows}:
        names[org_id] = orgs.organisation_facts(session, org_id).name
    features = []
    for row in rows:
        level_ = RiskLevel(row.level)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
                "properties": {
                    "id": str(row.id),
                    "name": row.name,
                    "kind": row.kind,
                    "level": level_.value,
                    "level_zh": level_.zh,
                    "colour": level_.colour,
                    "confirmed": row.level_confirmed,
                    "organisation_id": str(row.organisation_id),
                    "organisation": names[row.organisation_id],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def _empty_row(key: str, name: str) -> RiskSummaryRow:
    return RiskSummaryRow(key=key, name=name, major=0, considerable=0, general=0, low=0)


def risk_summary(
    session: Session,
    *,
    actor: Actor,
    group_by: GroupBy | str,
    region_code: str | None = None,
) -> list[RiskSummaryRow]:
    """Count active risk points per level by child region or by industry (GB/T 4754 division).

    ``region``: one row per child region of ``region_code`` (default: the actor's region),
    rolled up by region path prefix. ``industry``: one row per industry division within the
    region, plus ``-`` for enterprises without an industry code.
    """
    try:
        grouping = GroupBy(group_by)
    except ValueError:
        raise InvalidInput(f"unknown grouping {group_by!r}", field="group_by") from None
    scope = actor.require(Permission.RISK_READ)
    code = region_code or actor.region_code
    base_path = actor.region_path if code is None else _access.input_region_path(session, code)
    if scope is Scope.REGION and not (
        actor.covers_path(base_path) or base_path.startswith(actor.region_path)
    ):
        raise Forbidden("this region lies outside your region", field="region")
    conditions = _conditions(
        session, actor, organisation_id=None, region_code=None, level=None, q=None, active=True
    )
    low, high = subtree_range(base_path)
    conditions.append(and_(RiskPoint.region_path >= low, RiskPoint.region_path < high))
    key_column = RiskPoint.region_path if grouping is GroupBy.REGION else RiskPoint.industry_code
    counted = session.execute(
        select(key_column, RiskPoint.level, func.count())
        .where(*conditions)
        .group_by(key_column, RiskPoint.level)
    ).all()
    if grouping is GroupBy.REGION:
        return _by_region(session, actor, code, base_path, counted)
    return _by_industry(counted)


def _add(row: RiskSummaryRow, level: str, count: int) -> None:
    if level == RiskLevel.MAJOR.value:
        row["major"] += count
    elif level == RiskLevel.CONSIDERABLE.value:
        row["considerable"] += count
    elif level == RiskLevel.GENERAL.value:
        row["general"] += count
    elif level == RiskLevel.LOW.value:
        row["low"] += count


def _by_region(
    session: Session,
    actor: Actor,
    code: str | None,
    base_path: str,
    counted: Sequence[Any],
) -> list[RiskSummaryRow]:
    children = [
        child
        for child in _child_regions(session, actor, code)
        if child.path.startswith(base_path) and child.path != base_path
    ]
    rows = {child.path: _empty_row(child.code, child.name) for child in children}
    for path, level, count in counted:
        for child_path, row in rows.items():
            if path.startswith(child_path):
                _add(row, level, int(count))
                break
    return list(rows.values())


def _child_regions(session: Session, actor: Actor, code: str | None) -> list[Any]:
    system = system_actor(source="risks")
    if code is None:
        return list(regions.list_regions(session, actor=system, parent=None))
    return list(regions.list_children(session, actor=system, code=code))


def _by_industry(counted: Sequence[Any]) -> list[RiskSummaryRow]:
    rows: dict[str, RiskSummaryRow] = {}
    for industry, level, count in counted:
        key = industry[:3] if industry else "-"
        if key not in rows:
            rows[key] = _empty_row(key, _industry_label(key))
        _add(rows[key], level, int(count))
    return sorted(rows.values(), key=lambda row: row["key"])


def _industry_label(key: str) -> str:
    if key == "-":
        return "-"
    try:
        return orgs.industry_name(key)
    except (KeyError, ValueError):
        return key


def level_counts(rows: Iterable[RiskPoint]) -> dict[str, int]:
    """Count risk points per level (most severe first), for page headers."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.level] += 1
    return {level.value: counts[level.value] for level in _LEVELS}
