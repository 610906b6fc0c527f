"""Warnings linked to response and to monitoring (预警和应急响应联动).

- A red warning in force with no response started after ``red_supervision_after_minutes``
  (data/warnings.toml) raises a supervision flag (督导) to the level above: 应急管理部＋中国气象局
  《关于强化气象预警和应急响应联动工作的意见》, cn-rules §2.3. A periodic job checks every minute.
- An alarm of monitoring raised (or risen) to ``alarm_min_severity`` proposes a draft warning
  for the object's region, for a person to complete and submit: never issued automatically.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import system_actor
from yingji.core.config import get_settings
from yingji.core.db import utcnow
from yingji.core.events import DomainEvent, record_event, subscribe
from yingji.core.jobs import periodic
from yingji.monitoring import service as monitoring
from yingji.monitoring.events import AlarmChanged
from yingji.warnings._authoring import FIELDS
from yingji.warnings.config import rules
from yingji.warnings.events import SupervisionFlagged, WarningChanged
from yingji.warnings.models import EarlyWarning
from yingji.warnings.states import ENTITY, WarningStatus

RED: Final = 1
SEVERITY_ORDER: Final = ("blue", "yellow", "orange", "red")
# Which warning template an alarm of a sensor kind proposes (the author may change it).
HAZARD_OF_SENSOR_KIND: Final = {
    "combustible_gas": "urban_gas",
    "toxic_gas": "hazchem_leak",
    "pressure": "urban_gas",
    "temperature": "hazchem_leak",
    "liquid_level": "hazchem_leak",
    "water_level": "rainstorm",
    "rainfall": "rainstorm",
    "displacement": "geological",
    "strain": "geological",
    "wind": "typhoon",
}
# Levels 1 (red) … 4 (blue) of a proposed warning, from the alarm's severity.
LEVEL_OF_SEVERITY: Final = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}


@periodic("warnings.red_supervision", every=timedelta(minutes=1))
def flag_unanswered_red_warnings(session: Session, _payload: object) -> None:
    """Flag red warnings in force too long without a response (督导 to the level above)."""
    flag_red_warnings(session)


def flag_red_warnings(session: Session, *, now: datetime | None = None) -> int:
    """Set the supervision flag where due; return how many were flagged. Never commits."""
    moment = now or utcnow()
    limit = timedelta(minutes=rules().red_supervision_after_minutes)
    due = session.scalars(
        select(EarlyWarning).where(
            EarlyWarning.status == WarningStatus.ISSUED.value,
            EarlyWarning.level == RED,
            EarlyWarning.response_started_at.is_(None),
            EarlyWarning.supervision_flagged_at.is_(None),
            EarlyWarning.issued_at <= moment - limit,
        )
    ).all()
    actor = system_actor(source="warnings.linkage")
    for warning in due:
        before = snapshot(warning, FIELDS)
        warning.supervision_flagged_at = moment
        parts = warning.region_path.strip("/").split("/")
        above = parts[-2] if len(parts) >= 2 else None
        record_change(
            session, actor=actor, action="warning.supervision_flagged", entity_type=ENTITY,
            entity_id=warning.id, region_path=warning.region_path, before=before,
            after={**snapshot(warning, FIELDS), "to_region_code": above},
        )  # fmt: skip
        record_event(
            session,
            SupervisionFlagged(
                warning_id=warning.id, region_code=warning.region_code, to_region_code=above,
                minutes_without_response=int(
                    (moment - (warning.issued_at or moment)).total_seconds() // 60
                ),
            ),
            actor=actor,
        )  # fmt: skip
    session.flush()
    return len(due)


@subscribe(AlarmChanged.event_type, name="warnings.draft_from_alarm")
def draft_from_alarm(session: Session, event: DomainEvent) -> None:
    """Propose a draft warning for a serious alarm (one per alarm)."""
    assert isinstance(event, AlarmChanged)
    propose_from_alarm(session, event)


def propose_from_alarm(session: Session, event: AlarmChanged) -> EarlyWarning | None:
    """Create the draft an alarm proposes, if it is serious enough and none exists yet."""
    if event.action not in ("raised", "escalate", "reactivate"):
        return None
    floor = SEVERITY_ORDER.index(rules().alarm_min_severity)
    if event.severity not in SEVERITY_ORDER or SEVERITY_ORDER.index(event.severity) < floor:
        return None
    exists = session.scalar(
        select(EarlyWarning.id).where(EarlyWarning.origin_alarm_id == event.alarm_id).limit(1)
    )
    if exists is not None:
        return None
    actor = system_actor(source="warnings.linkage")
    obj = monitoring.get_object(session, actor=actor, object_id=event.object_id)
    kind = None
    if event.sensor_id is not None:
        kind = monitoring.get_sensor(session, actor=actor, sensor_id=event.sensor_id).kind
    hazard = HAZARD_OF_SENSOR_KIND.get(kind or "", "hazchem_leak")
    template = rules().templates[hazard]
    settings = get_settings()
    moment = utcnow()
    shapes = []
    if obj.lon is not None and obj.lat is not None:
        shapes.append({"type": "circle", "center": [obj.lon, obj.lat], "radius_km": 1.0})
    reading = "" if event.reading_value is None else f"（读数 {event.reading_value:g}）"
    warning = EarlyWarning(
        identifier=f"draft:alarm:{event.alarm_id}", hazard_type=hazard,
        duty_type=template.duty_type.value, event=template.event, event_en=template.event_en,
        level=LEVEL_OF_SEVERITY[event.severity], status=WarningStatus.DRAFT.value,
        onset=moment, expires=moment + timedelta(hours=6),
        area_desc=f"{obj.name}及周边", area_region_codes=[obj.region_code], area_shapes=shapes,
        description=f"{obj.name}监测告警{reading}。{template.description}",
        instruction=template.instruction, description_en=template.description_en,
        instruction_en=template.instruction_en, sender_name=settings.cap_sender_name,
        sender_name_en=settings.cap_sender_name_en, region_code=obj.region_code,
        region_path=obj.region_path, source="local", origin_alarm_id=event.alarm_id, version=1,
    )  # fmt: skip
    session.add(warning)
    session.flush()
    record_change(
        session, actor=actor, action="warning.proposed_from_alarm", entity_type=ENTITY,
        entity_id=warning.id, region_path=warning.region_path, before=None,
        after={**snapshot(warning, FIELDS), "alarm_id": str(event.alarm_id)},
    )  # fmt: skip
    record_event(
        session,
        WarningChanged(
            warning_id=warning.id, identifier=warning.identifier, action="proposed",
            status=warning.status, level=warning.level, hazard_type=hazard,
            region_code=warning.region_code, version=1,
        ),
        actor=actor,
    )  # fmt: skip
    return warning
