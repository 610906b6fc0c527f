"""Response linkage: unanswered red warnings are flagged for supervision; alarms propose drafts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.regions import make_tree, region_actor
from tests.warnings.test_authoring import NOW, draft_data
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.events import OutboxEvent
from yingji.monitoring import service as monitoring
from yingji.monitoring.events import AlarmChanged
from yingji.monitoring.schemas import ObjectCreate, ObjectKind
from yingji.warnings import service
from yingji.warnings.config import rules
from yingji.warnings.linkage import flag_red_warnings, propose_from_alarm
from yingji.warnings.models import EarlyWarning


def _issued(session: Session, settings: Settings, level: int) -> Any:
    specialist = region_actor(session, role=Role.SPECIALIST, code="420500")
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    warning = service.create_draft(session, actor=specialist, data=draft_data(level=level),
                                   settings=settings)  # fmt: skip
    service.submit(session, actor=specialist, warning_id=warning.id)
    return service.approve(session, actor=commander, warning_id=warning.id, settings=settings,
                           now=NOW)  # fmt: skip


def test_a_red_warning_without_response_is_flagged_once(
    session: Session, settings: Settings
) -> None:
    make_tree(session)
    red = _issued(session, settings, level=1)
    orange = _issued(session, settings, level=2)
    limit = dt.timedelta(minutes=rules().red_supervision_after_minutes)
    assert flag_red_warnings(session, now=NOW + limit - dt.timedelta(seconds=1)) == 0
    assert flag_red_warnings(session, now=NOW + limit) == 1
    assert red.supervision_flagged_at is not None and orange.supervision_flagged_at is None
    assert flag_red_warnings(session, now=NOW + 2 * limit) == 0  # once
    (event,) = session.scalars(
        select(OutboxEvent.payload).where(OutboxEvent.event_type == "warnings.supervision_flagged")
    ).all()
    assert event["to_region_code"] == "420000" and event["minutes_without_response"] == 60


def test_a_response_started_in_time_prevents_the_flag(session: Session, settings: Settings) -> None:
    make_tree(session)
    red = _issued(session, settings, level=1)
    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    service.mark_response_started(session, actor=commander, warning_id=red.id,
                                  now=NOW + dt.timedelta(minutes=20))  # fmt: skip
    assert flag_red_warnings(session, now=NOW + dt.timedelta(hours=5)) == 0


def _alarm(object_id: uuid.UUID, severity: str, action: str = "raised") -> AlarmChanged:
    return AlarmChanged(
        alarm_id=uuid.uuid4(), action=action, status="active_unack", severity=severity,
        rule="threshold", object_id=object_id, reading_value=62.5,
    )  # fmt: skip


def test_a_red_alarm_proposes_one_draft_in_the_objects_region(session: Session) -> None:
    make_tree(session)
    obj = monitoring.create_object(
        session, actor=system_actor(source="tests"),
        data=ObjectCreate(code="GAS-7", name="城东燃气调压站", kind=ObjectKind.GAS_PIPELINE,
                          region_code="420502", lon=111.3, lat=30.7),
    )  # fmt: skip
    assert propose_from_alarm(session, _alarm(obj.id, "orange")) is None  # below the floor
    event = _alarm(obj.id, "red")
    draft = propose_from_alarm(session, event)
    assert draft is not None and draft.status == "draft" and draft.level == 1
    assert draft.id.version == 7
    assert draft.region_code == "420502" and draft.origin_alarm_id == event.alarm_id
    assert draft.area_shapes[0]["type"] == "circle" and "城东燃气调压站" in draft.area_desc
    assert "62.5" in draft.description
    assert propose_from_alarm(session, event) is None  # one draft per alarm
    assert propose_from_alarm(session, _alarm(obj.id, "red", action="clear")) is None
    assert len(session.scalars(select(EarlyWarning)).all()) == 1
