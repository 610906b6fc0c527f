"""Rules into alarms: lifecycle, idempotency, restart, maintenance, groups, SLA, permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import yingji.monitoring.jobs  # noqa: F401 - registers the alarm SLA job
from tests.factories.auth import make_user
from tests.factories.hazards import SYSTEM, actor_of
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, IllegalTransition, InvalidInput
from yingji.core.events import OutboxEvent
from yingji.core.jobs import Job
from yingji.monitoring import jobs, service
from yingji.monitoring.models import Alarm
from yingji.monitoring.schemas import GatewayCreate, ObjectCreate, SensorCreate
from yingji.monitoring.states import AlarmStatus, Disposition

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
MS = 1000


def _ms(minutes: float) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp() * MS)


@dataclass
class Site:
    enterprise: uuid.UUID
    other: uuid.UUID
    object_id: uuid.UUID
    gas: list[int]


@pytest.fixture
def site(session: Session) -> Site:
    """Enterprise A's tank farm with three gas detectors; enterprise B elsewhere."""
    make_tree(session)
    a = make_org(session, name="A 西陵化工", region_code="420502")
    b = make_org(session, name="B 伍家岗化工", region_code="420503")
    obj = service.create_object(session, actor=SYSTEM, data=ObjectCreate(
        code="OBJ-A", name="液氨罐区", kind="installation", region_code="420502",
        enterprise_id=a.id,
    ))  # fmt: skip
    gateway, _ = service.create_gateway(session, actor=SYSTEM, data=GatewayCreate(
        code="GW-A", name="A 网关", region_code="420502", organisation_id=a.id,
    ))  # fmt: skip
    gas = [
        service.create_sensor(
            session,
            actor=SYSTEM,
            data=SensorCreate(
                code=f"CH4-0{i}",
                name=f"可燃气体 {i}",
                gateway_id=gateway.id,
                object_id=obj.id,
                kind="combustible_gas",
            ),
        ).id
        for i in (1, 2, 3)
    ]
    return Site(a.id, b.id, obj.id, gas)


def _alarms(session: Session) -> list[Alarm]:
    return list(session.scalars(select(Alarm).order_by(Alarm.started_at)))


def test_an_alarm_rises_escalates_lowers_clears_and_is_handled(
    session: Session, site: Site
) -> None:
    runtime = service.RuleRuntime.load(session)
    gas = site.gas[0]
    # One reading a minute: 10, 30 (≥25 yellow), 55 (≥50 orange), 40 (held yellow), 20 (clear).
    values = [10.0, 30.0, 55.0, 40.0, 20.0]
    for minute, value in enumerate(values):
        runtime.evaluate(session, [gas], [_ms(minute)], [value])
    (alarm,) = _alarms(session)
    assert (alarm.rule, alarm.severity, alarm.peak_severity) == ("threshold", "yellow", "orange")
    assert alarm.status == AlarmStatus.CLEARED_UNACK and not alarm.handled
    assert (alarm.first_value, alarm.first_ts, alarm.last_value) == (30.0, _ms(1), 20.0)
    actions = [
        e.payload["action"]
        for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at))
        if e.event_type == "monitoring.alarm_changed"
    ]
    assert actions == ["raised", "escalate", "lowered", "clear"]
    duty = actor_of(session, Role.DUTY_OFFICER, "420500")
    with pytest.raises(InvalidInput):
        service.dispose(session, actor=duty, alarm_id=alarm.id,
                        disposition=Disposition.REAL, note="x")  # fmt: skip
    service.acknowledge(session, actor=duty, alarm_id=alarm.id)
    with pytest.raises(IllegalTransition) as refused:
        service.acknowledge(session, actor=duty, alarm_id=alarm.id)
    assert refused.value.details["allowed"] == ["reactivate"]
    service.dispose(session, actor=duty, alarm_id=alarm.id, disposition=Disposition.REAL,
                    note="阀门法兰泄漏，已紧固")  # fmt: skip
    assert alarm.handled
    # The rule firing again after the alarm was handled opens a new alarm.
    runtime.evaluate(session, [gas], [_ms(6)], [35.0])
    assert len(_alarms(session)) == 2


def test_a_cleared_alarm_not_yet_handled_is_reactivated(session: Session, site: Site) -> None:
    runtime = service.RuleRuntime.load(session)
    gas = site.gas[0]
    for minute, value in enumerate([30.0, 10.0, 31.0]):
        runtime.evaluate(session, [gas], [_ms(minute)], [value])
    (alarm,) = _alarms(session)
    assert alarm.status == AlarmStatus.ACTIVE_UNACK and alarm.cleared_at is None


def test_restarting_from_an_older_snapshot_changes_nothing_twice(
    session: Session, site: Site
) -> None:
    """A restart re-evaluates readings already applied: alarm changes are idempotent."""
    runtime = service.RuleRuntime.load(session)
    runtime.save(session)  # the snapshot before any reading
    readings = [(site.gas[0], 0, 30.0), (site.gas[1], 0, 60.0), (site.gas[0], 1, 56.0)]
    for sid, minute, value in readings:
        runtime.evaluate(session, [sid], [_ms(minute)], [value])
    before = [(a.id, a.status, a.severity, a.version) for a in _alarms(session)]
    events = session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.created_at.desc()))
    restarted = service.RuleRuntime.load(session)  # from the old snapshot
    for sid, minute, value in readings:
        restarted.evaluate(session, [sid], [_ms(minute)], [value])
    assert [(a.id, a.status, a.severity, a.version) for a in _alarms(session)] == before
    latest = session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.created_at.desc()))
    assert latest == events  # no new event either
    # Saved after the readings, a restarted engine knows them: a later reading continues.
    runtime.save(session)
    resumed = service.RuleRuntime.load(session)
    resumed.evaluate(session, [site.gas[0]], [_ms(2)], [12.0])
    cleared = [a for a in _alarms(session) if a.sensor_id == site.gas[0]]
    assert cleared[0].status == AlarmStatus.CLEARED_UNACK


def test_maintenance_suppresses_and_reports_afterwards(session: Session, site: Site) -> None:
    gas = site.gas[0]
    service.add_maintenance_window(
        session, actor=SYSTEM, sensor_id=gas, starts_at=T0, ends_at=T0 + timedelta(minutes=10),
        reason="年度标定",
    )  # fmt: skip
    runtime = service.RuleRuntime.load(session)
    runtime.evaluate(session, [gas], [_ms(1)], [60.0])
    assert _alarms(session) == []
    runtime.evaluate(session, [gas], [_ms(11)], [60.0])  # still high after the window
    (alarm,) = _alarms(session)
    assert alarm.severity == "orange"


def test_two_of_three_detectors_raise_an_object_alarm(session: Session, site: Site) -> None:
    group = service.create_alarm_group(
        session, actor=SYSTEM, object_id=site.object_id, name="罐区可燃气体 2/3",
        sensor_ids=site.gas, k=2, min_level=2,
    )  # fmt: skip
    runtime = service.RuleRuntime.load(session)
    runtime.evaluate(session, [site.gas[0]], [_ms(0)], [30.0])
    assert [a.originator for a in _alarms(session)] == [f"s:{site.gas[0]}"]
    runtime.evaluate(session, [site.gas[1]], [_ms(0.5)], [27.0])
    combined = [a for a in _alarms(session) if a.group_id == group.id]
    assert len(combined) == 1 and combined[0].rule == "combination"
    assert combined[0].severity == "yellow" and combined[0].object_id == site.object_id
    runtime.evaluate(session, [site.gas[1]], [_ms(1.5)], [5.0])
    assert combined[0].status == AlarmStatus.CLEARED_UNACK


def test_a_silent_sensor_goes_stale(session: Session, site: Site) -> None:
    runtime = service.RuleRuntime.load(session)
    runtime.evaluate(session, [site.gas[0]], [_ms(0)], [3.0])
    runtime.tick(session, T0 + timedelta(minutes=6))  # stale_after 300 s
    stale = [a for a in _alarms(session) if a.rule == "stale" and a.sensor_id == site.gas[0]]
    assert len(stale) == 1 and stale[0].severity == "blue" and stale[0].last_value is None
    runtime.evaluate(session, [site.gas[0]], [_ms(7)], [3.0])
    assert stale[0].status == AlarmStatus.CLEARED_UNACK


def test_unacknowledged_alarms_escalate_on_their_sla(session: Session, site: Site) -> None:
    runtime = service.RuleRuntime.load(session)
    runtime.evaluate(session, [site.gas[0]], [_ms(0)], [30.0])  # yellow: 60 then 240 minutes
    (alarm,) = _alarms(session)
    job = session.scalar(select(Job).where(Job.dedupe_key == f"alarm-sla:{alarm.id}"))
    assert job is not None and job.run_at == T0 + timedelta(minutes=60)
    jobs.alarm_sla(session, job.payload)
    assert alarm.escalation_level == 1
    followup = session.scalar(
        select(Job).where(Job.dedupe_key == f"alarm-sla:{alarm.id}", Job.status == "pending")
    )
    assert followup is not None and followup.payload["step"] == 2
    escalated = [
        e.payload
        for e in session.scalars(select(OutboxEvent))
        if e.event_type == "monitoring.alarm_escalated"
    ]
    assert escalated[0]["to_region_code"] == "420502" and escalated[0]["step"] == 1
    service.acknowledge(session, actor=SYSTEM, alarm_id=alarm.id)
    session.flush()
    assert session.get(Job, followup.id).status == "cancelled"  # type: ignore[union-attr]
    jobs.alarm_sla(session, {"alarm_id": str(alarm.id), "step": 2})
    assert alarm.escalation_level == 1  # acknowledged: no further escalation


def test_who_may_handle_an_alarm(session: Session, site: Site) -> None:
    runtime = service.RuleRuntime.load(session)
    runtime.evaluate(session, [site.gas[0]], [_ms(0)], [30.0])
    (alarm,) = _alarms(session)
    own = actor_of(session, Role.ENTERPRISE, "420502", site.enterprise)
    other = actor_of(session, Role.ENTERPRISE, "420503", site.other)
    district_b = actor_of(session, Role.SPECIALIST, "420503")
    inspector = actor_of(session, Role.INSPECTOR, "420500")
    for denied in (other, district_b):
        with pytest.raises(Forbidden):
            service.get_alarm(session, actor=denied, alarm_id=alarm.id)
    assert service.get_alarm(session, actor=inspector, alarm_id=alarm.id) is alarm  # reads
    with pytest.raises(Forbidden):
        service.acknowledge(session, actor=inspector, alarm_id=alarm.id)
    assert service.list_alarms(session, actor=other)[1] == 0
    assert service.list_alarms(session, actor=own)[1] == 1
    service.acknowledge(session, actor=own, alarm_id=alarm.id)
    assert alarm.acknowledged_by == own.user_id


def test_an_alarm_is_assigned_only_to_someone_who_may_handle_it(
    session: Session, site: Site
) -> None:
    runtime = service.RuleRuntime.load(session)
    runtime.evaluate(session, [site.gas[0]], [_ms(0)], [30.0])
    (alarm,) = _alarms(session)
    duty, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420500")
    elsewhere, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420503")
    reader, _ = make_user(session, role=Role.INSPECTOR, region_code="420500")
    for user in (elsewhere, reader):
        with pytest.raises(InvalidInput) as refused:
            service.assign(session, actor=SYSTEM, alarm_id=alarm.id, user_id=user.id)
        assert refused.value.field == "user_id"
    with pytest.raises(InvalidInput):
        service.assign(session, actor=SYSTEM, alarm_id=alarm.id, user_id=uuid.uuid4())
    service.assign(session, actor=SYSTEM, alarm_id=alarm.id, user_id=duty.id)
    assert alarm.assigned_to == duty.id
