"""Reporting hazards: who may report against which enterprise, and what a report carries."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.hazards import SYSTEM, World, actor_of, make_hazard, make_world
from tests.orgs.helpers import audit_rows, events
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput
from yingji.hazards import service
from yingji.hazards.states import HazardSource, HazardStatus


@pytest.fixture
def world(session: Session) -> World:
    """The small bureau."""
    return make_world(session)


def test_report_is_audited_counted_and_announced(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a, title="储罐泄漏")
    assert hazard.status == HazardStatus.REPORTED
    assert hazard.number.startswith("YH420502-")
    assert hazard.region_path == "/420000/420500/420502/"
    assert hazard.industry_code == "C2614"
    (entry,) = audit_rows(session, hazard.id)
    assert entry.action == "hazard.reported"
    (event,) = events(session, "hazards.hazard_reported")
    assert event["hazard_id"] == str(hazard.id)


def test_report_refusals(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_hazard(session, enterprise_id=world.ent_a, source=HazardSource.PUBLIC_REPORT)
    assert caught.value.field == "source"
    with pytest.raises(InvalidInput) as caught:
        make_hazard(session, enterprise_id=world.bureau)
    assert caught.value.field == "enterprise_id"
    with pytest.raises(InvalidInput) as caught:
        make_hazard(session, enterprise_id=world.ent_a, lon=111.3)
    assert caught.value.field == "lat"


def test_who_may_report(session: Session, world: World) -> None:
    own = actor_of(session, Role.ENTERPRISE, "420502", world.ent_a)
    make_hazard(session, enterprise_id=world.ent_a, actor=own)
    with pytest.raises(Forbidden):
        make_hazard(session, enterprise_id=world.ent_b, actor=own)
    grassroots = actor_of(session, Role.GRASSROOTS, "420502")
    make_hazard(session, enterprise_id=world.ent_a, actor=grassroots)
    with pytest.raises(Forbidden):
        make_hazard(session, enterprise_id=world.ent_b, actor=grassroots)


def test_read_denials(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    assert service.get_hazard(session, actor=SYSTEM, hazard_id=hazard.id) is hazard
    for actor in (
        actor_of(session, Role.ENTERPRISE, "420503", world.ent_b),
        actor_of(session, Role.INSPECTOR, "420503"),
        actor_of(session, Role.PUBLIC, "420502"),
    ):
        with pytest.raises(Forbidden):
            service.get_hazard(session, actor=actor, hazard_id=hazard.id)
