"""The deadline job: overdue marking, two escalation levels, idempotence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories.hazards import World, advance, make_hazard, make_world
from tests.orgs.helpers import audit_rows, events
from yingji.core.clock import local_today
from yingji.hazards import jobs, service
from yingji.hazards._escalation import config
from yingji.hazards.states import HazardStatus


@pytest.fixture
def world(session: Session) -> World:
    """The small bureau."""
    return make_world(session)


def test_escalates_in_two_levels(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, hazard, HazardStatus.RECTIFYING, person_id=world.person_a)
    assert hazard.deadline is not None
    done = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, done, HazardStatus.RECTIFIED, person_id=world.person_a)
    # 16:00 UTC is 00:00 the next day in Asia/Shanghai: local "today" decides.
    deadline = hazard.deadline
    on_deadline = datetime(deadline.year, deadline.month, deadline.day, 15, 0, tzinfo=UTC)
    assert service.escalate_overdue(session, now=on_deadline) == 0
    day_after = on_deadline + timedelta(hours=1)
    assert local_today(day_after) == deadline + timedelta(days=1)
    assert service.escalate_overdue(session, now=day_after) == 1
    assert hazard.overdue and hazard.escalation_level == 1
    assert not done.overdue
    assert service.escalate_overdue(session, now=day_after + timedelta(hours=5)) == 0
    (first,) = events(session, "hazards.hazard_escalated")
    assert first["level"] == 1
    assert first["recipient_ids"] == [str(world.bureau)]  # no parent: the nearest bureau
    later = day_after + timedelta(days=config().level2_after_days)
    assert service.escalate_overdue(session, now=later - timedelta(days=1)) == 0
    assert service.escalate_overdue(session, now=later) == 1
    assert hazard.escalation_level == 2
    second = events(session, "hazards.hazard_escalated")[-1]
    assert set(second["recipient_ids"]) == {str(world.bureau), str(world.department)}
    assert service.escalate_overdue(session, now=later + timedelta(days=30)) == 0
    actions = [e.action for e in audit_rows(session, hazard.id)]
    assert actions.count("hazard.escalated") == 2
    assert audit_rows(session, hazard.id)[-1].actor.startswith("worker")


def test_supervision_deadline_counts(session: Session, world: World) -> None:
    from yingji.hazards.states import HazardGrade

    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(
        session, hazard, HazardStatus.RECTIFYING, person_id=world.person_a, grade=HazardGrade.MAJOR
    )
    soon = date.today() + timedelta(days=2)
    from tests.factories.hazards import SYSTEM

    service.list_supervision(
        session, actor=SYSTEM, hazard_id=hazard.id, supervising_org_id=world.bureau, deadline=soon
    )
    when = datetime(soon.year, soon.month, soon.day, 20, 0, tzinfo=UTC)
    assert service.escalate_overdue(session, now=when) == 1
    assert hazard.overdue


def test_job_is_registered(session: Session) -> None:
    from yingji.core.jobs import _PERIODICS

    assert jobs.ESCALATION_JOB in _PERIODICS
    jobs.run_escalation(session, {})
