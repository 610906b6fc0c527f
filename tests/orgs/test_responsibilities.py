"""Responsibility assignments (包保责任人) and the responsible_persons lookup."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person, make_responsibility
from tests.factories.regions import make_tree
from tests.orgs.helpers import actor, audit_count, audit_rows, events
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.orgs import service
from yingji.orgs.schemas import DutyType, ResponsibilityCreate

SYSTEM = system_actor(source="tests")
DAY = date(2025, 7, 1)


@pytest.fixture
def tree(session: Session) -> None:
    """The small region tree."""
    make_tree(session)


def test_duty_types_have_chinese_labels() -> None:
    assert DutyType.FLOOD.label == "防汛"
    assert DutyType.GEOLOGICAL.label == "地质灾害"
    assert DutyType.SAFETY_PRODUCTION.label == "安全生产"
    assert DutyType.FOREST_FIRE.label == "森林防火"
    assert DutyType.HAZARDOUS_CHEMICALS.label == "危险化学品"
    assert DutyType.URBAN_GAS.label == "城镇燃气"
    assert DutyType.EARTHQUAKE.label == "地震"
    assert DutyType.GENERAL.label == "综合"


@pytest.mark.usefixtures("tree")
def test_assign_and_unassign_are_audited(session: Session) -> None:
    person = make_person(session)
    row = make_responsibility(session, person_id=person.id, title="村级防汛责任人")
    (assigned,) = events(session, "orgs.responsibility_assigned")
    assert assigned["person_id"] == str(person.id)
    assert assigned["duty_type"] == "flood"
    row_id = row.id
    service.unassign_responsibility(session, actor=SYSTEM, responsibility_id=row_id)
    assert [e.action for e in audit_rows(session, row_id)] == [
        "responsibility.assigned", "responsibility.unassigned",
    ]  # fmt: skip
    assert (audit_rows(session, row_id)[-1].before or {})["title"] == "村级防汛责任人"
    assert len(events(session, "orgs.responsibility_unassigned")) == 1
    with pytest.raises(NotFound):
        service.get_responsibility(session, actor=SYSTEM, responsibility_id=row_id)
    with pytest.raises(NotFound):
        service.unassign_responsibility(session, actor=SYSTEM, responsibility_id=row_id)


@pytest.mark.usefixtures("tree")
def test_assignment_rules(session: Session) -> None:
    person = make_person(session)
    make_responsibility(session, person_id=person.id)
    before = audit_count(session)
    with pytest.raises(Conflict) as conflict:
        make_responsibility(session, person_id=person.id)
    assert conflict.value.field == "duty_type"
    cases: list[tuple[dict[str, object], str]] = [
        ({"region_code": "999999"}, "region_code"),
        ({"person_id": uuid.uuid4()}, "person_id"),
        ({"starts_on": date(2025, 7, 2), "ends_on": date(2025, 7, 1)}, "ends_on"),
    ]
    for fields, field in cases:
        values = {"person_id": person.id, "region_code": "420503", "duty_type": "geological"}
        data = ResponsibilityCreate.model_validate({**values, **fields})
        with pytest.raises(InvalidInput) as info:
            service.assign_responsibility(session, actor=SYSTEM, data=data)
        assert info.value.field == field
    service.deactivate_person(session, actor=SYSTEM, person_id=person.id)
    with pytest.raises(InvalidInput, match="inactive"):
        make_responsibility(session, person_id=person.id, duty_type=DutyType.EARTHQUAKE)
    assert audit_count(session) == before + 1  # only the deactivation


@pytest.mark.usefixtures("tree")
def test_assignment_permissions(session: Session) -> None:
    person = make_person(session, region_code="420502")
    district = actor(session, Role.SPECIALIST, "420503")
    data = ResponsibilityCreate(person_id=person.id, region_code="420502", duty_type="flood")
    with pytest.raises(Forbidden):
        service.assign_responsibility(session, actor=district, data=data)
    mine = service.assign_responsibility(
        session, actor=district, data=data.model_copy(update={"region_code": "420503"})
    )
    outside = make_responsibility(session, person_id=person.id, region_code="420502")
    with pytest.raises(Forbidden):
        service.unassign_responsibility(session, actor=district, responsibility_id=outside.id)
    with pytest.raises(Forbidden):
        service.get_responsibility(session, actor=district, responsibility_id=outside.id)
    rows, total = service.list_responsibilities(session, actor=district)
    assert ([r.id for r in rows], total) == ([mine.id], 1)
    for role in (Role.DUTY_OFFICER, Role.GRASSROOTS, Role.MEMBER_UNIT):
        who = actor(session, role, "420000")
        with pytest.raises(Forbidden):
            service.unassign_responsibility(session, actor=who, responsibility_id=mine.id)
        assert service.list_responsibilities(session, actor=who)[1] == 2
    enterprise = make_org(session)
    boss = actor(session, Role.ENTERPRISE, "420502", organisation_id=enterprise.id)
    with pytest.raises(Forbidden):
        service.list_responsibilities(session, actor=boss)


@pytest.mark.usefixtures("tree")
def test_list_filters(session: Session) -> None:
    a, b = make_person(session, name="A"), make_person(session, name="B")
    r1 = make_responsibility(session, person_id=a.id, region_code="420502")
    r2 = make_responsibility(session, person_id=b.id, region_code="420102")
    r3 = make_responsibility(
        session, person_id=a.id, region_code="420503", duty_type=DutyType.GEOLOGICAL
    )

    def ids(**kw: object) -> set[uuid.UUID]:
        rows, _ = service.list_responsibilities(session, actor=SYSTEM, **kw)  # type: ignore[arg-type]
        return {r.id for r in rows}

    assert ids() == {r1.id, r2.id, r3.id}
    assert ids(region_code="420500") == {r1.id, r3.id}
    assert ids(duty_type=DutyType.FLOOD) == {r1.id, r2.id}
    assert ids(person_id=a.id) == {r1.id, r3.id}
    rows, total = service.list_responsibilities(session, actor=SYSTEM, limit=2)
    assert (len(rows), total) == (2, 3)


@pytest.mark.usefixtures("tree")
def test_responsible_persons_on_a_day(session: Session) -> None:
    org = make_org(session)
    primary = make_person(session, name="Primary", organisation_id=org.id, mobile="13812345678")
    deputy = make_person(session, name="Deputy")
    expired = make_person(session, name="Expired")
    future = make_person(session, name="Future")
    retired = make_person(session, name="Retired")
    wuhan = make_person(session, name="Wuhan", region_code="420102")
    geo = make_person(session, name="Geo")
    make_responsibility(session, person_id=primary.id, title="区防汛责任人")
    make_responsibility(session, person_id=deputy.id, is_primary=False, starts_on=DAY)
    make_responsibility(session, person_id=expired.id, ends_on=date(2025, 6, 30))
    make_responsibility(session, person_id=future.id, starts_on=date(2025, 7, 2))
    make_responsibility(session, person_id=retired.id)
    make_responsibility(session, person_id=wuhan.id, region_code="420102")
    make_responsibility(session, person_id=geo.id, duty_type=DutyType.GEOLOGICAL)
    make_responsibility(session, person_id=primary.id, region_code="420500", ends_on=DAY)
    service.deactivate_person(session, actor=SYSTEM, person_id=retired.id)

    found = service.responsible_persons(
        session, region_codes=["420502", "420500"], duty_type=DutyType.FLOOD, on=DAY
    )
    assert [(p.region_code, p.name, p.is_primary) for p in found] == [
        ("420500", "Primary", True),
        ("420502", "Primary", True),
        ("420502", "Deputy", False),
    ]
    first = found[1]
    assert (first.person_id, first.organisation_id, first.mobile, first.title) == (
        primary.id, org.id, "+8613812345678", "区防汛责任人",
    )  # fmt: skip
    both = service.responsible_persons(
        session, region_codes={"420502"}, duty_type=[DutyType.FLOOD, DutyType.GEOLOGICAL], on=DAY
    )
    assert {p.name for p in both} == {"Primary", "Deputy", "Geo"}
    later = service.responsible_persons(
        session, region_codes=["420502"], duty_type=DutyType.FLOOD, on=date(2025, 7, 3)
    )
    assert {p.name for p in later} == {"Primary", "Deputy", "Future"}
    assert service.responsible_persons(session, region_codes=[], duty_type=DutyType.FLOOD) == []
    today = service.responsible_persons(session, region_codes=["420102"], duty_type=DutyType.FLOOD)
    assert [p.name for p in today] == ["Wuhan"]


@pytest.mark.usefixtures("tree")
def test_responsible_rows_of_whole_subtrees(session: Session) -> None:
    for name, code in (("City", "420500"), ("Xiling", "420502"), ("Wujiagang", "420503"),
                       ("Wuhan", "420102")):  # fmt: skip
        make_responsibility(session, person_id=make_person(session, name=name).id,
                            region_code=code)  # fmt: skip
    yichang = "/420000/420500/"

    rows = service.responsible_rows(session, within=[yichang], duty_type=DutyType.FLOOD, on=DAY)
    assert [(r.region_code, r.name, r.duty_type) for r in rows] == [
        ("420500", "City", "flood"), ("420502", "Xiling", "flood"),
        ("420503", "Wujiagang", "flood"),
    ]  # fmt: skip
    exact = service.responsible_rows(
        session, region_codes=["420500", "420502", "420503"], duty_type=DutyType.FLOOD, on=DAY
    )
    assert exact == rows
    # Subtrees and codes together: Wuhan's county by code, Xiling's subtree by path.
    both = service.responsible_rows(session, region_codes=["420102"],
                                    within=["/420000/420500/420502/"], duty_type=DutyType.FLOOD,
                                    on=DAY)  # fmt: skip
    assert [r.name for r in both] == ["Wuhan", "Xiling"]
    assert service.responsible_rows(session, within=[], duty_type=DutyType.FLOOD) == []
    assert service.responsible_rows(session, within=[yichang], duty_type=DutyType.GEOLOGICAL,
                                    on=DAY) == []  # fmt: skip
