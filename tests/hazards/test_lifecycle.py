"""The hazard lifecycle through the service: every transition of the table, guards, audit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories.hazards import (
    SYSTEM,
    World,
    actor_of,
    advance,
    full_plan,
    make_hazard,
    make_world,
    upload,
)
from tests.orgs.helpers import audit_rows, events
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from yingji.hazards import service, states
from yingji.hazards.models import Hazard
from yingji.hazards.rules import GeneralRectification, RectificationEvidence
from yingji.hazards.states import HazardAction, HazardGrade, HazardStatus

VERIFIER = Actor(role=Role.ADMIN, user_id=uuid.uuid4(), username="verifier", source="tests")


@pytest.fixture
def world(session: Session) -> World:
    """The small bureau."""
    return make_world(session)


def _do(session: Session, hazard: Hazard, action: HazardAction, person: uuid.UUID) -> Hazard:
    """Apply one action with valid inputs as the system (verification by another user)."""
    hid = hazard.id
    if action is HazardAction.CONFIRM:
        return service.confirm_hazard(
            session, actor=SYSTEM, hazard_id=hid, grade=HazardGrade.GENERAL
        )
    if action is HazardAction.REJECT:
        return service.reject_hazard(session, actor=SYSTEM, hazard_id=hid, reason="不属实")
    if action is HazardAction.START_RECTIFICATION:
        plan = GeneralRectification(
            responsible_person_id=person, deadline=date.today() + timedelta(days=5)
        )
        return service.start_rectification(session, actor=SYSTEM, hazard_id=hid, plan=plan)
    if action is HazardAction.SUBMIT_RECTIFICATION:
        evidence = RectificationEvidence(note="done", attachment_ids=(upload(session, SYSTEM),))
        return service.submit_rectification(session, actor=SYSTEM, hazard_id=hid, evidence=evidence)
    if action in (HazardAction.VERIFY_PASS, HazardAction.VERIFY_FAIL):
        return service.verify_hazard(
            session, actor=VERIFIER, hazard_id=hid, passed=action is HazardAction.VERIFY_PASS,
            reason="未整改到位",
        )  # fmt: skip
    return service.close_hazard(session, actor=SYSTEM, hazard_id=hid)


@pytest.mark.parametrize("status", list(HazardStatus))
def test_every_action_from_every_status(
    session: Session, world: World, status: HazardStatus
) -> None:
    for action in HazardAction:
        hazard = make_hazard(session, enterprise_id=world.ent_a)
        advance(session, hazard, status, person_id=world.person_a)
        assert hazard.status == status
        target = states.TRANSITIONS.get((status, action))
        if target is not None:
            version = hazard.version
            _do(session, hazard, action, world.person_a)
            assert hazard.status == target, (status, action)
            assert hazard.version == version + 1
            (last,) = audit_rows(session, hazard.id)[-1:]
            assert last.before is not None and last.before["status"] == status
            assert last.after is not None and last.after["status"] == target
        else:
            with pytest.raises(IllegalTransition) as caught:
                _do(session, hazard, action, world.person_a)
            allowed = [a.value for a in states.allowed_actions(status)]
            assert caught.value.details["allowed_actions"] == allowed
            assert caught.value.details["current"] == status
            assert hazard.status == status


def test_transition_events(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, hazard, HazardStatus.CLOSED, person_id=world.person_a)
    steps = [(e["action"], e["to_status"]) for e in events(session, "hazards.hazard_transitioned")]
    assert steps == [
        ("confirm", "confirmed"),
        ("start_rectification", "rectifying"),
        ("submit_rectification", "rectified"),
        ("verify_pass", "verified"),
        ("close", "closed"),
    ]
    assert hazard.closed_at is not None


def test_major_needs_every_plan_item(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    service.confirm_hazard(session, actor=SYSTEM, hazard_id=hazard.id, grade=HazardGrade.MAJOR)
    general = GeneralRectification(
        responsible_person_id=world.person_a, deadline=date.today() + timedelta(days=3)
    )
    with pytest.raises(InvalidInput) as caught:
        service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id, plan=general)
    assert caught.value.field == "plan"
    partial = full_plan(world.person_a, date.today() + timedelta(days=3), funds_and_materials="")
    with pytest.raises(InvalidInput) as caught:
        service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id, plan=partial)
    assert caught.value.field == "funds_and_materials"
    assert "经费和物资的落实" in caught.value.message
    # A draft may be incomplete; starting from it names the missing item.
    service.save_plan(session, actor=SYSTEM, hazard_id=hazard.id, plan=partial)
    with pytest.raises(InvalidInput):
        service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id)
    complete = full_plan(world.person_a, date.today() + timedelta(days=3))
    service.save_plan(session, actor=SYSTEM, hazard_id=hazard.id, plan=complete)
    service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id)
    assert hazard.status == HazardStatus.RECTIFYING
    assert hazard.deadline == complete.deadline
    assert hazard.responsible_person_id == world.person_a


def test_general_needs_person_and_deadline(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    service.confirm_hazard(session, actor=SYSTEM, hazard_id=hazard.id, grade=HazardGrade.GENERAL)
    with pytest.raises(InvalidInput) as caught:
        service.start_rectification(
            session, actor=SYSTEM, hazard_id=hazard.id,
            plan=GeneralRectification(responsible_person_id=world.person_a),
        )  # fmt: skip
    assert caught.value.field == "deadline"
    with pytest.raises(InvalidInput) as caught:
        service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id)
    assert caught.value.field == "plan"
    past = GeneralRectification(
        responsible_person_id=world.person_a, deadline=date.today() - timedelta(days=3)
    )
    with pytest.raises(InvalidInput) as caught:
        service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id, plan=past)
    assert caught.value.field == "deadline"
    unknown = GeneralRectification(
        responsible_person_id=uuid.uuid4(), deadline=date.today() + timedelta(days=3)
    )
    with pytest.raises(InvalidInput) as caught:
        service.start_rectification(session, actor=SYSTEM, hazard_id=hazard.id, plan=unknown)
    assert caught.value.field == "responsible_person_id"


def test_major_by_definition_cannot_be_confirmed_general(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    hazard.major_by_definition = True
    with pytest.raises(InvalidInput) as caught:
        service.confirm_hazard(
            session, actor=SYSTEM, hazard_id=hazard.id, grade=HazardGrade.GENERAL
        )
    assert caught.value.field == "grade"


def test_verifier_cannot_be_rectifier(session: Session, world: World) -> None:
    ent_user = actor_of(session, Role.ENTERPRISE, "420502", world.ent_a)
    hazard = make_hazard(session, enterprise_id=world.ent_a, actor=ent_user)
    advance(session, hazard, HazardStatus.RECTIFIED, person_id=world.person_a, actor=ent_user)
    assert hazard.rectified_by == ent_user.user_id
    assert HazardAction.VERIFY_PASS not in service.allowed_for(session, ent_user, hazard)
    with pytest.raises(Forbidden):
        service.verify_hazard(session, actor=ent_user, hazard_id=hazard.id, passed=True)
    colleague = actor_of(session, Role.ENTERPRISE, "420502", world.ent_a)
    service.verify_hazard(session, actor=colleague, hazard_id=hazard.id, passed=True)
    assert hazard.status == HazardStatus.VERIFIED
    assert hazard.verified_by == colleague.user_id


def test_failed_verification_returns_to_rectifying(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, hazard, HazardStatus.RECTIFIED, person_id=world.person_a)
    with pytest.raises(InvalidInput) as caught:
        service.verify_hazard(session, actor=VERIFIER, hazard_id=hazard.id, passed=False)
    assert caught.value.field == "reason"
    service.verify_hazard(
        session, actor=VERIFIER, hazard_id=hazard.id, passed=False, reason="仍有泄漏"
    )
    assert hazard.status == HazardStatus.RECTIFYING
    assert hazard.verification_rounds == 1
    assert hazard.verification_note == "仍有泄漏"
    advance(session, hazard, HazardStatus.CLOSED, person_id=world.person_a)
    assert hazard.evidence is not None and hazard.evidence["round"] == 2


def test_reject_needs_reason(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    with pytest.raises(InvalidInput) as caught:
        service.reject_hazard(session, actor=SYSTEM, hazard_id=hazard.id, reason="  ")
    assert caught.value.field == "reason"
    service.reject_hazard(session, actor=SYSTEM, hazard_id=hazard.id, reason="重复上报")
    assert hazard.rejected_reason == "重复上报"


def test_evidence_needs_attachment(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    advance(session, hazard, HazardStatus.RECTIFYING, person_id=world.person_a)
    with pytest.raises(InvalidInput) as caught:
        service.submit_rectification(
            session, actor=SYSTEM, hazard_id=hazard.id,
            evidence=RectificationEvidence(note="done"),
        )  # fmt: skip
    assert caught.value.field == "attachment_ids"


def test_plan_saved_only_while_confirmed(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    plan = GeneralRectification(responsible_person_id=world.person_a)
    with pytest.raises(Conflict):
        service.save_plan(session, actor=SYSTEM, hazard_id=hazard.id, plan=plan)


def test_major_confirmation_is_reported(session: Session, world: World) -> None:
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    service.confirm_hazard(session, actor=SYSTEM, hazard_id=hazard.id, grade=HazardGrade.MAJOR)
    assert hazard.reported_to_department_at is not None
    (event,) = events(session, "hazards.major_hazard_reported")
    assert "report_to_supervising_department" in event["obligations"]
    assert set(event["recipient_ids"]) == {str(world.bureau), str(world.department)}


def test_major_report_follows_industries(session: Session, world: World) -> None:
    from yingji.orgs import service as orgs
    from yingji.orgs.schemas import OrganisationUpdate

    orgs.update_organisation(
        session, actor=SYSTEM, organisation_id=world.department,
        data=OrganisationUpdate(supervised_industries=["B"]),
    )  # fmt: skip
    hazard = make_hazard(session, enterprise_id=world.ent_a)
    service.confirm_hazard(session, actor=SYSTEM, hazard_id=hazard.id, grade=HazardGrade.MAJOR)
    (event,) = events(session, "hazards.major_hazard_reported")
    assert event["recipient_ids"] == [str(world.bureau)]


class TestDenials:
    """Who may not act on a hazard."""

    def test_other_enterprise(self, session: Session, world: World) -> None:
        hazard = make_hazard(session, enterprise_id=world.ent_a)
        other = actor_of(session, Role.ENTERPRISE, "420503", world.ent_b)
        with pytest.raises(Forbidden):
            service.get_hazard(session, actor=other, hazard_id=hazard.id)
        with pytest.raises(Forbidden):
            service.confirm_hazard(
                session, actor=other, hazard_id=hazard.id, grade=HazardGrade.GENERAL
            )
        assert hazard.status == HazardStatus.REPORTED

    def test_other_region(self, session: Session, world: World) -> None:
        hazard = make_hazard(session, enterprise_id=world.ent_a)
        inspector = actor_of(session, Role.INSPECTOR, "420503")
        with pytest.raises(Forbidden):
            service.confirm_hazard(
                session, actor=inspector, hazard_id=hazard.id, grade=HazardGrade.GENERAL
            )
        local = actor_of(session, Role.INSPECTOR, "420502")
        service.confirm_hazard(session, actor=local, hazard_id=hazard.id, grade=HazardGrade.GENERAL)

    def test_department_outside_its_industries(self, session: Session, world: World) -> None:
        from yingji.orgs import service as orgs
        from yingji.orgs.schemas import OrganisationUpdate

        orgs.update_organisation(
            session, actor=SYSTEM, organisation_id=world.department,
            data=OrganisationUpdate(supervised_industries=["B"]),
        )  # fmt: skip
        hazard = make_hazard(session, enterprise_id=world.ent_a)
        staff = actor_of(session, Role.SPECIALIST, "420500", world.department)
        with pytest.raises(Forbidden):
            service.confirm_hazard(
                session, actor=staff, hazard_id=hazard.id, grade=HazardGrade.GENERAL
            )
        assert service.allowed_for(session, staff, hazard) == []

    def test_grassroots_cannot_confirm(self, session: Session, world: World) -> None:
        hazard = make_hazard(session, enterprise_id=world.ent_a)
        grassroots = actor_of(session, Role.GRASSROOTS, "420502")
        service.get_hazard(session, actor=grassroots, hazard_id=hazard.id)
        with pytest.raises(Forbidden):
            service.confirm_hazard(
                session, actor=grassroots, hazard_id=hazard.id, grade=HazardGrade.GENERAL
            )
        with pytest.raises(Forbidden):
            service.reject_hazard(session, actor=grassroots, hazard_id=hazard.id, reason="x")


def test_the_bureau_judges_what_the_bureau_found(session: Session, world: World) -> None:
    """An enterprise rectifies a supervisory finding but cannot reject, verify or close it."""
    own = actor_of(session, Role.ENTERPRISE, "420502", world.ent_a)
    inspector = actor_of(session, Role.INSPECTOR, "420500", world.bureau)
    specialist = actor_of(session, Role.SPECIALIST, "420500", world.bureau)
    found = make_hazard(
        session,
        enterprise_id=world.ent_a,
        actor=inspector,
        source=states.HazardSource.SUPERVISORY_INSPECTION,
    )
    with pytest.raises(Forbidden, match="confirmed, verified and closed by the bureau"):
        service.reject_hazard(session, actor=own, hazard_id=found.id, reason="不认可")
    assert HazardAction.REJECT not in service.allowed_for(session, own, found)
    service.confirm_hazard(session, actor=inspector, hazard_id=found.id, grade=HazardGrade.GENERAL)
    advance(session, found, HazardStatus.RECTIFIED, person_id=world.person_a, actor=own)
    with pytest.raises(Forbidden):
        service.verify_hazard(session, actor=own, hazard_id=found.id, passed=True)
    service.verify_hazard(session, actor=inspector, hazard_id=found.id, passed=True)
    with pytest.raises(Forbidden):
        service.close_hazard(session, actor=own, hazard_id=found.id)
    service.close_hazard(session, actor=specialist, hazard_id=found.id)
    assert found.status == HazardStatus.CLOSED
    # Its own self-inspection finding stays the enterprise's to judge.
    mine = make_hazard(session, enterprise_id=world.ent_a, actor=own)
    service.reject_hazard(session, actor=own, hazard_id=mine.id, reason="重复登记")
    assert mine.status == HazardStatus.REJECTED
