"""The live board: monitored objects with their sensors' current values, coloured by band.

A value's *band* is the highest threshold level of its sensor's rule that the value passes
(v ≥ T for direction ``above``, v ≤ T for ``below``; see ``rules``): the colour of the value
as it stands, not the alarm level, which adds hysteresis, a minimum duration, rate and
staleness. A reading is *fresh* while it is younger than the sensor's stale time (the rule's
``stale_after``, else three reporting intervals); the board greys stale values and sensors
without any reading. A sensor is *abnormal* when its value is in a band, its reading is stale
or missing, or it is offline or faulty (maintenance is planned, so not abnormal by itself).

Visibility is the registry's: the objects come from ``list_objects`` (MONITOR_READ over the
actor's region subtree or own enterprise) and the sensors are those of these objects.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.errors import DomainError
from yingji.monitoring._alarm_views import open_alarm_counts
from yingji.monitoring._evaluator import sensor_rule
from yingji.monitoring._registry import list_objects
from yingji.monitoring._rule_progress import RulesEngineStatus, rules_engine_status
from yingji.monitoring.models import MonitoredObject, Sensor, SensorLatest
from yingji.monitoring.rules import Direction, Level, SensorRule
from yingji.monitoring.schemas import SensorStatus
from yingji.orgs import service as orgs
from yingji.regions import service as regions

BANDS: Final = ("normal", "blue", "yellow", "orange", "red")  # by Level
STALE_INTERVALS: Final = 3  # without a rule's stale_after: stale after three missed reports
MAX_OBJECTS: Final = 5_000  # objects one board request looks at (filters narrow it)
MAX_SENSORS: Final = 20_000
PER_PAGE: Final = 50  # objects per board page
GEOJSON_MAX: Final = 5_000
_CHUNK: Final = 500  # object ids per IN (...) query
_FEATURE_FIELDS: Final = {
    "id", "name", "kind", "unit", "status", "ts", "value", "level", "band", "fresh", "abnormal",
}  # fmt: skip
_TROUBLE: Final = frozenset({SensorStatus.OFFLINE.value, SensorStatus.FAULT.value})


class BoardSensor(BaseModel):
    """A sensor on the board: its latest reading and the reading's band."""

    id: int
    code: str
    name: str
    kind: str
    unit: str
    status: str
    ts: int | None
    """Epoch milliseconds of the latest reading."""
    value: float | None
    level: int
    """0 normal, 1 blue, 2 yellow, 3 orange, 4 red: the band of the latest value."""
    band: str
    fresh: bool
    """Whether the latest reading is younger than ``stale_after`` (False without a reading)."""
    stale_after: float
    """Seconds after which a reading is stale."""
    abnormal: bool
    alarms: int = 0
    """Its open (not yet handled) alarms."""


class BoardObject(BaseModel):
    """A monitored object on the board, with its sensors."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    region_code: str
    region_name: str
    enterprise_name: str
    is_demo: bool
    level: int
    """The highest level among the object's fresh values."""
    abnormal: int
    """How many of its sensors are abnormal."""
    alarms: int = 0
    """Its open alarms: its sensors' and its combinations'."""
    sensors: list[BoardSensor]


class BoardCounts(BaseModel):
    """How many sensors of the filtered board stand in each state (all pages)."""

    sensors: int = 0
    normal: int = 0
    blue: int = 0
    yellow: int = 0
    orange: int = 0
    red: int = 0
    stale: int = 0
    no_data: int = 0
    offline: int = 0
    fault: int = 0
    maintenance: int = 0
    abnormal: int = 0


class Board(BaseModel):
    """One page of the live board."""

    now: int
    """The server's clock (epoch milliseconds): ages are counted from it."""
    objects: list[BoardObject]
    total: int
    """Objects matching the filters (all pages)."""
    page: int
    pages: int
    counts: BoardCounts
    truncated: bool
    """More objects or sensors matched than one board request looks at: filter further."""
    unacknowledged: int = 0
    """Open alarms nobody has acknowledged yet, of every object the actor may read."""
    rules_engine: RulesEngineStatus = Field(default_factory=RulesEngineStatus)
    """Whether alarms are being evaluated at all (a silent rules worker raises none)."""


def rule_of(sensor: Sensor) -> SensorRule | None:
    """Return the rule a sensor's value is banded by: its kind's with its overrides (or None).

    The same rule the alarms are raised by (``_evaluator.sensor_rule``); None for a kind
    without default rules, whose values are then always normal.
    """
    try:
        return sensor_rule(sensor.kind, sensor.rule_override)
    except (TypeError, ValueError):
        return None


def band_of(value: float, rule: SensorRule | None) -> Level:
    """Return the highest level whose threshold a value passes under a rule (NORMAL if none)."""
    if rule is None:
        return Level.NORMAL
    above = rule.direction is Direction.ABOVE
    found = Level.NORMAL
    for level, threshold in zip(list(Level)[1:], rule.thresholds, strict=True):
        if threshold is not None and (value >= threshold if above else value <= threshold):
            found = level
    return found


def stale_after(rule: SensorRule | None, interval_seconds: int) -> float:
    """Return the seconds after which a sensor's reading is stale."""
    if rule is not None and rule.stale_after is not None:
        return rule.stale_after
    return float(STALE_INTERVALS * interval_seconds)


def sensor_state(
    sensor: Sensor, ts: int | None, value: float | None, *, now_ms: int
) -> BoardSensor:
    """Return a sensor's board entry: its latest reading, band, freshness and abnormality."""
    rule = rule_of(sensor)
    limit = stale_after(rule, sensor.interval_seconds)
    level = Level.NORMAL if value is None else band_of(value, rule)
    fresh = ts is not None and now_ms - ts <= limit * 1000
    abnormal = level > Level.NORMAL or not fresh or sensor.status in _TROUBLE
    return BoardSensor(
        id=sensor.id, code=sensor.code, name=sensor.name, kind=sensor.kind, unit=sensor.unit,
        status=sensor.status, ts=ts, value=value, level=int(level), band=BANDS[level],
        fresh=fresh, stale_after=limit, abnormal=abnormal,
    )  # fmt: skip


def _now_ms(now_ms: int | None) -> int:
    return now_ms if now_ms is not None else int(time.time() * 1000)


def _sensors_of(
    session: Session, object_ids: Sequence[uuid.UUID], cap: int
) -> tuple[list[tuple[Sensor, int | None, float | None]], bool]:
    """Return the sensors of objects (already checked visible) with their latest reading."""
    rows: list[tuple[Sensor, int | None, float | None]] = []
    for start in range(0, len(object_ids), _CHUNK):
        chunk = object_ids[start : start + _CHUNK]
        stmt = (
            select(Sensor, SensorLatest.ts, SensorLatest.value)
            .outerjoin(SensorLatest, SensorLatest.sensor_id == Sensor.id)
            .where(Sensor.object_id.in_(chunk))
            .order_by(Sensor.id)
            .limit(cap + 1 - len(rows))
        )
        rows += [(r[0], r[1], r[2]) for r in session.execute(stmt)]
        if len(rows) > cap:
            return rows[:cap], True
    return rows, False


def _region_names(session: Session, actor: Actor, codes: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for code in set(codes):
        try:
            names[code] = regions.get_region(session, actor=actor, code=code).name
        except DomainError:
            names[code] = code
    return names


def _enterprise_names(
    session: Session, actor: Actor, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for org_id in {i for i in ids if i is not None}:
        try:
            names[org_id] = orgs.get_organisation(session, actor=actor, organisation_id=org_id).name
        except DomainError:
            names[org_id] = ""  # not the actor's to read: leave it out
    return names


def _count(counts: BoardCounts, sensor: BoardSensor) -> None:
    counts.sensors += 1
    if sensor.ts is None:
        counts.no_data += 1
    elif not sensor.fresh:
        counts.stale += 1
    else:
        setattr(counts, sensor.band, getattr(counts, sensor.band) + 1)
    if sensor.status in ("offline", "fault", "maintenance"):
        setattr(counts, sensor.status, getattr(counts, sensor.status) + 1)
    counts.abnormal += sensor.abnormal


def board(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    kind: str | None = None,
    abnormal_only: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
    now_ms: int | None = None,
) -> Board:
    """Return one page of the objects the actor may read, each with its sensors' states.

    With ``abnormal_only`` only abnormal sensors are listed, and only objects that have one.
    Objects come in code order and sensors in registration order, so nothing jumps about
    between two refreshes. The counts cover every page.
    """
    now = _now_ms(now_ms)
    objects, total_objects = list_objects(
        session, actor=actor, region_code=region_code, kind=kind, limit=MAX_OBJECTS
    )
    rows, truncated = _sensors_of(session, [o.id for o in objects], MAX_SENSORS)
    truncated = truncated or total_objects > len(objects)
    by_object: dict[uuid.UUID, list[BoardSensor]] = defaultdict(list)
    counts = BoardCounts()
    for sensor, ts, value in rows:
        state = sensor_state(sensor, ts, value, now_ms=now)
        _count(counts, state)
        if state.abnormal or not abnormal_only:
            by_object[sensor.object_id].append(state)
    shown = [o for o in objects if by_object.get(o.id) or not abnormal_only]
    pages = max(1, -(-len(shown) // per_page))
    page = min(max(page, 1), pages)
    current = shown[(page - 1) * per_page : page * per_page]
    region_names = _region_names(session, actor, (o.region_code for o in current))
    enterprise_names = _enterprise_names(session, actor, (o.enterprise_id for o in current))
    alarms = open_alarm_counts(session, actor=actor, object_ids=[o.id for o in current])
    for obj in current:
        for state in by_object.get(obj.id, []):
            state.alarms = alarms.by_sensor.get(state.id, 0)
    return Board(
        now=now,
        objects=[
            _board_object(o, by_object.get(o.id, []), region_names, enterprise_names).model_copy(
                update={"alarms": alarms.by_object.get(o.id, 0)}
            )
            for o in current
        ],
        total=len(shown),
        page=page,
        pages=pages,
        counts=counts,
        truncated=truncated,
        unacknowledged=alarms.unacknowledged,
        rules_engine=rules_engine_status(session),
    )


def _board_object(
    obj: MonitoredObject,
    sensors: list[BoardSensor],
    region_names: dict[str, str],
    enterprise_names: dict[uuid.UUID, str],
) -> BoardObject:
    return BoardObject(
        id=obj.id, code=obj.code, name=obj.name, kind=obj.kind, region_code=obj.region_code,
        region_name=region_names.get(obj.region_code, obj.region_code),
        enterprise_name=enterprise_names.get(obj.enterprise_id, "") if obj.enterprise_id else "",
        is_demo=obj.is_demo, level=max((s.level for s in sensors if s.fresh), default=0),
        abnormal=sum(s.abnormal for s in sensors), sensors=sensors,
    )  # fmt: skip


def sensor_features(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    now_ms: int | None = None,
    cap: int = GEOJSON_MAX,
) -> dict[str, Any]:
    """Return the located sensors the actor may read as GeoJSON points with their bands."""
    now = _now_ms(now_ms)
    objects, total_objects = list_objects(
        session, actor=actor, region_code=region_code, limit=MAX_OBJECTS
    )
    names = {o.id: o.name for o in objects}
    rows, truncated = _sensors_of(session, list(names), MAX_SENSORS)
    features: list[dict[str, Any]] = []
    for sensor, ts, value in rows:
        if sensor.lon is None or sensor.lat is None:
            continue
        if len(features) >= cap:
            truncated = True
            break
        state = sensor_state(sensor, ts, value, now_ms=now)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [sensor.lon, sensor.lat]},
                "properties": {
                    **state.model_dump(include=_FEATURE_FIELDS),
                    "object": names[sensor.object_id],
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "now": now,
        "truncated": truncated or total_objects > len(objects),
    }
