"""挂牌督办: listing only confirmed major hazards, lifting only after verification."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories.hazards import SYSTEM, World, actor_of, advance, make_hazard, make_world
from tests.orgs.helpers import events
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Conflict, Forbidden, InvalidInput
from yingji.hazards import service
from yingji.hazards.models import Hazard
from yingji.hazards.states import HazardAction, HazardGrade, HazardStatus

VERIFIER = Actor(role=Role.ADMIN, user_id=uuid.uuid4(), username="verifier", source="tests")
SOON = date.today() + timedelta(days=20)


@pytest.fixture
def world(session: Session) -> World:
    """The small bureau."""
    return make_world(session)


def _major(session: Session, world: World, to: HazardStatus) -> Hazard:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, hazard, to, person_id=world.person_a, grade=HazardGrade.MAJOR)
    return hazard


def test_list_and_lift(session: Session, world: World) -> None:
    hazard = _major(session, world, HazardStatus.RECTIFYING)
    chief = actor_of(session, Role.COMMANDER, "420500", world.bureau)
    service.list_supervision(
        session, actor=chief, hazard_id=hazard.id, supervising_org_id=world.department,
        deadline=SOON, note="市级挂牌",
    )  # fmt: skip
    assert hazard.supervised and hazard.supervising_org_id == world.department
    assert events(session, "hazards.supervision_listed")
    with pytest.raises(Conflict):
        service.lift_supervision(session, actor=chief, hazard_id=hazard.id)
    advance(session, hazard, HazardStatus.VERIFIED, person_id=world.person_a)
    assert HazardAction.CLOSE not in service.allowed_for(session, SYSTEM, hazard)
    with pytest.raises(Conflict) as caught:
        service.close_hazard(session, actor=SYSTEM, hazard_id=hazard.id)
    assert caught.value.field == "supervised"
    service.lift_supervision(session, actor=chief, hazard_id=hazard.id)
    assert not hazard.supervised and hazard.supervision_lifted_at is not None
    service.close_hazard(session, actor=SYSTEM, hazard_id=hazard.id)
    assert hazard.status == HazardStatus.CLOSED


@pytest.mark.parametrize("status", [HazardStatus.REPORTED, HazardStatus.VERIFIED])
def test_only_open_confirmed_major(session: Session, world: World, status: HazardStatus) -> None:
    hazard = _major(session, world, status)
    with pytest.raises(Conflict):
        service.list_supervision(
            session, actor=SYSTEM, hazard_id=hazard.id, supervising_org_id=world.bureau,
            deadline=SOON,
        )  # fmt: skip


def test_general_cannot_be_listed(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, hazard, HazardStatus.CONFIRMED, person_id=world.person_a)
    with pytest.raises(Conflict):
        service.list_supervision(
            session, actor=SYSTEM, hazard_id=hazard.id, supervising_org_id=world.bureau,
            deadline=SOON,
        )  # fmt: skip


def test_supervising_unit_and_deadline_checked(session: Session, world: World) -> None:
    hazard = _major(session, world, HazardStatus.CONFIRMED)
    for unit, deadline, field in (
        (world.ent_b, SOON, "supervising_org_id"),
        (uuid.uuid4(), SOON, "supervising_org_id"),
        (world.bureau, date.today() - timedelta(days=1), "deadline"),
    ):
        with pytest.raises(InvalidInput) as caught:
            service.list_supervision(
                session, actor=SYSTEM, hazard_id=hazard.id, supervising_org_id=unit,
                deadline=deadline,
            )  # fmt: skip
        assert caught.value.field == field


def test_enterprise_cannot_list(session: Session, world: World) -> None:
    hazard = _major(session, world, HazardStatus.CONFIRMED)
    ent = actor_of(session, Role.ENTERPRISE, "420502", world.ent_a)
    with pytest.raises(Forbidden):
        service.list_supervision(
            session, actor=ent, hazard_id=hazard.id, supervising_org_id=world.bureau,
            deadline=SOON,
        )  # fmt: skip
    other_region = actor_of(session, Role.COMMANDER, "420100")
    with pytest.raises(Forbidden):
        service.list_supervision(
            session, actor=other_region, hazard_id=hazard.id, supervising_org_id=world.bureau,
            deadline=SOON,
        )  # fmt: skip
