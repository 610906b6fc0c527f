"""Organisation and person services: business rules, permissions, audit and events."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.orgs import credit_code, make_org, make_person
from tests.factories.regions import make_tree
from tests.orgs.helpers import actor, audit_count, audit_rows, events
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.orgs import service
from yingji.orgs.models import Organisation
from yingji.orgs.schemas import (
    OrganisationCreate,
    OrganisationUpdate,
    OrgKind,
    PersonCreate,
    PersonUpdate,
    TeamType,
)

SYSTEM = system_actor(source="tests")


@pytest.fixture
def tree(session: Session) -> None:
    """The small region tree."""
    make_tree(session)


def _org_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Organisation)) or 0


def _enterprise(**fields: object) -> OrganisationCreate:
    values: dict[str, object] = {
        "kind": OrgKind.ENTERPRISE, "name": "宜昌某化工有限公司", "region_code": "420502",
        "credit_code": credit_code(), "industry_code": "C2614",
    }  # fmt: skip
    values.update(fields)
    return OrganisationCreate.model_validate(values)


@pytest.mark.usefixtures("tree")
def test_create_is_audited_and_announced(session: Session) -> None:
    data = _enterprise(lon=111.3, lat=30.7, phone="0717-6222333")
    org = service.create_organisation(session, actor=SYSTEM, data=data)
    (entry,) = audit_rows(session, org.id)
    assert entry.action == "organisation.created"
    assert entry.before is None
    assert entry.after is not None
    assert entry.after["credit_code"] == data.credit_code
    assert entry.after["phone"] == "+867176222333"
    assert events(session, "orgs.organisation_created") == [
        {
            "event_id": events(session, "orgs.organisation_created")[0]["event_id"],
            "organisation_id": str(org.id), "kind": "enterprise", "region_code": "420502",
        }
    ]  # fmt: skip


@pytest.mark.usefixtures("tree")
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"region_code": "999999"}, "region_code"),
        ({"industry_code": None}, "industry_code"),
        ({"credit_code": None}, "credit_code"),
        ({"lon": 111.3}, "lat"),
        ({"lat": 30.7}, "lon"),
        ({"team_type": TeamType.SOCIAL}, "team_type"),
        ({"headcount": 12}, "headcount"),
        ({"parent_id": uuid.uuid4()}, "parent_id"),
    ],
)
def test_invalid_input_writes_nothing(
    session: Session, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        service.create_organisation(session, actor=SYSTEM, data=_enterprise(**fields))
    assert info.value.field == field
    assert (_org_count(session), audit_count(session)) == (0, 0)


@pytest.mark.usefixtures("tree")
def test_duplicate_credit_code_is_a_conflict(session: Session) -> None:
    first = make_org(session)
    with pytest.raises(Conflict) as info:
        service.create_organisation(
            session, actor=SYSTEM, data=_enterprise(credit_code=first.credit_code)
        )
    assert info.value.field == "credit_code"
    other = make_org(session)
    with pytest.raises(Conflict):
        service.update_organisation(
            session, actor=SYSTEM, organisation_id=other.id,
            data=OrganisationUpdate(credit_code=first.credit_code),
        )  # fmt: skip


@pytest.mark.usefixtures("tree")
def test_kind_rules(session: Session) -> None:
    bureau = make_org(session, kind=OrgKind.BUREAU, region_code="420500", name="宜昌市应急管理局")
    unit = make_org(session, kind=OrgKind.MEMBER_UNIT, region_code="420500", name="宜昌市水利局")
    dept = OrganisationCreate(kind=OrgKind.DEPARTMENT, name="防汛科", region_code="420500")
    with pytest.raises(InvalidInput, match="needs its bureau"):
        service.create_organisation(session, actor=SYSTEM, data=dept)
    with pytest.raises(InvalidInput, match="must be a bureau"):
        service.create_organisation(
            session, actor=SYSTEM, data=dept.model_copy(update={"parent_id": unit.id})
        )
    made = service.create_organisation(
        session, actor=SYSTEM, data=dept.model_copy(update={"parent_id": bureau.id})
    )
    assert made.parent_id == bureau.id
    wuhan = dept.model_copy(update={"parent_id": bureau.id, "region_code": "420102"})
    with pytest.raises(InvalidInput, match="bureau's region"):
        service.create_organisation(session, actor=SYSTEM, data=wuhan)
    team = OrganisationCreate(kind=OrgKind.RESCUE_TEAM, name="救援队", region_code="420502")
    with pytest.raises(InvalidInput) as info:
        service.create_organisation(session, actor=SYSTEM, data=team)
    assert info.value.field == "team_type"
    team = team.model_copy(update={"team_type": TeamType.SOCIAL, "headcount": 30})
    assert service.create_organisation(session, actor=SYSTEM, data=team).headcount == 30


@pytest.mark.usefixtures("tree")
def test_parent_cycles_are_refused(session: Session) -> None:
    top = make_org(session, kind=OrgKind.MEMBER_UNIT)
    below = make_org(session, kind=OrgKind.MEMBER_UNIT, parent_id=top.id)
    for parent in (below.id, top.id):
        with pytest.raises(InvalidInput) as info:
            service.update_organisation(
                session, actor=SYSTEM, organisation_id=top.id,
                data=OrganisationUpdate(parent_id=parent),
            )  # fmt: skip
        assert info.value.field == "parent_id"


@pytest.mark.usefixtures("tree")
def test_update_records_before_and_after(session: Session) -> None:
    org = make_org(session, name="旧名")
    changed = service.update_organisation(
        session, actor=SYSTEM, organisation_id=org.id,
        data=OrganisationUpdate(name="新名", address="西陵区某路1号", credit_code=org.credit_code),
    )  # fmt: skip
    assert changed.name == "新名"
    update = audit_rows(session, org.id)[-1]
    assert update.action == "organisation.updated"
    assert (update.before or {})["name"] == "旧名"
    assert (update.after or {})["name"] == "新名"
    (event,) = events(session, "orgs.organisation_changed")
    assert event["changed"] == ["address", "name"]
    # An update that changes nothing records nothing.
    service.update_organisation(
        session, actor=SYSTEM, organisation_id=org.id, data=OrganisationUpdate(name="新名")
    )
    assert len(audit_rows(session, org.id)) == 2


@pytest.mark.usefixtures("tree")
def test_clearing_a_required_field_is_refused(session: Session) -> None:
    org = make_org(session)
    for update, field in (
        (OrganisationUpdate(industry_code=None), "industry_code"),
        (OrganisationUpdate(name=None), "name"),
        (OrganisationUpdate(region_code=None), "region_code"),
    ):
        with pytest.raises(InvalidInput) as info:
            service.update_organisation(session, actor=SYSTEM, organisation_id=org.id, data=update)
        assert info.value.field == field
    assert len(audit_rows(session, org.id)) == 1


@pytest.mark.usefixtures("tree")
def test_specialist_works_inside_their_subtree_only(session: Session) -> None:
    specialist = actor(session, Role.SPECIALIST, "420503")
    outside = make_org(session, region_code="420502")
    with pytest.raises(Forbidden):
        service.create_organisation(session, actor=specialist, data=_enterprise())
    with pytest.raises(Forbidden):
        service.get_organisation(session, actor=specialist, organisation_id=outside.id)
    mine = service.create_organisation(
        session, actor=specialist, data=_enterprise(region_code="420503")
    )
    with pytest.raises(Forbidden):
        service.update_organisation(
            session, actor=specialist, organisation_id=mine.id,
            data=OrganisationUpdate(region_code="420502"),
        )  # fmt: skip
    assert mine.region_code == "420503"
    rows, total = service.list_organisations(session, actor=specialist)
    assert ([r.id for r in rows], total) == ([mine.id], 1)


@pytest.mark.usefixtures("tree")
def test_enterprise_user_reaches_only_its_own_organisation(session: Session) -> None:
    own, other = make_org(session), make_org(session)
    user = actor(session, Role.ENTERPRISE, "420502", organisation_id=own.id)
    assert service.get_organisation(session, actor=user, organisation_id=own.id) is own
    with pytest.raises(Forbidden):
        service.get_organisation(session, actor=user, organisation_id=other.id)
    with pytest.raises(Forbidden):
        service.create_organisation(session, actor=user, data=_enterprise())
    with pytest.raises(Forbidden):
        service.update_organisation(
            session, actor=user, organisation_id=other.id, data=OrganisationUpdate(name="x")
        )
    with pytest.raises(Forbidden):
        service.deactivate_organisation(session, actor=user, organisation_id=own.id)
    service.update_organisation(
        session, actor=user, organisation_id=own.id, data=OrganisationUpdate(name="改名")
    )
    assert own.name == "改名"
    rows, total = service.list_organisations(session, actor=user)
    assert ([r.id for r in rows], total) == ([own.id], 1)


@pytest.mark.usefixtures("tree")
def test_roles_without_write_permission_are_refused(session: Session) -> None:
    org = make_org(session)
    for role in (Role.DUTY_OFFICER, Role.COMMANDER, Role.INSPECTOR, Role.MEMBER_UNIT):
        who = actor(session, role, "420000")
        with pytest.raises(Forbidden):
            service.create_organisation(session, actor=who, data=_enterprise())
        with pytest.raises(Forbidden):
            service.deactivate_organisation(session, actor=who, organisation_id=org.id)
        assert service.get_organisation(session, actor=who, organisation_id=org.id) is org


@pytest.mark.usefixtures("tree")
def test_list_filters_and_pages(session: Session) -> None:
    a = make_org(session, name="A 甲化工", region_code="420502")
    b = make_org(session, name="B 乙化工", region_code="420503")
    team = make_org(session, kind=OrgKind.RESCUE_TEAM, name="C 丙救援队", region_code="420102")
    gone = make_org(session, name="D 丁化工", region_code="420502")
    service.deactivate_organisation(session, actor=SYSTEM, organisation_id=gone.id)

    def ids(**kw: object) -> list[uuid.UUID]:
        rows, _ = service.list_organisations(session, actor=SYSTEM, **kw)  # type: ignore[arg-type]
        return [r.id for r in rows]

    assert ids() == [a.id, b.id, team.id]  # ordered by name
    assert ids(kind=OrgKind.RESCUE_TEAM) == [team.id]
    assert ids(region_code="420500") == [a.id, b.id]
    assert ids(q="化工") == [a.id, b.id]
    assert ids(q=a.credit_code.lower() if a.credit_code else "") == [a.id]
    assert ids(q="%") == []
    assert set(ids(active=None)) == {a.id, b.id, team.id, gone.id}
    assert ids(active=False) == [gone.id]
    rows, total = service.list_organisations(session, actor=SYSTEM, limit=1, offset=1)
    assert ([r.id for r in rows], total) == ([b.id], 3)
    with pytest.raises(InvalidInput) as info:
        ids(region_code="999999")
    assert info.value.field == "region"


@pytest.mark.usefixtures("tree")
def test_deactivate_is_audited_once(session: Session) -> None:
    org = make_org(session)
    service.deactivate_organisation(session, actor=SYSTEM, organisation_id=org.id)
    service.deactivate_organisation(session, actor=SYSTEM, organisation_id=org.id)
    assert [e.action for e in audit_rows(session, org.id)] == [
        "organisation.created", "organisation.deactivated",
    ]  # fmt: skip
    assert len(events(session, "orgs.organisation_deactivated")) == 1
    with pytest.raises(NotFound):
        service.get_organisation(session, actor=SYSTEM, organisation_id=uuid.uuid4())


@pytest.mark.usefixtures("tree")
def test_person_lifecycle_is_audited(session: Session) -> None:
    org = make_org(session)
    data = PersonCreate(
        name="张三", region_code="420502", organisation_id=org.id, mobile="138 1234 5678",
        phone="0717-6222333", email="Zhang@Example.com", position="安全主任",
    )  # fmt: skip
    person = service.create_person(session, actor=SYSTEM, data=data)
    assert (person.mobile, person.phone, person.email) == (
        "+8613812345678", "+867176222333", "Zhang@example.com",
    )  # fmt: skip
    service.update_person(
        session, actor=SYSTEM, person_id=person.id, data=PersonUpdate(position="总经理")
    )
    service.deactivate_person(session, actor=SYSTEM, person_id=person.id)
    assert [e.action for e in audit_rows(session, person.id)] == [
        "person.created", "person.updated", "person.deactivated",
    ]  # fmt: skip
    assert [e["changed"] for e in events(session, "orgs.person_changed")] == [["position"]]
    assert len(events(session, "orgs.person_created")) == 1
    assert len(events(session, "orgs.person_deactivated")) == 1
    assert "+8613812345678" not in str(events(session, "orgs.person_created"))


@pytest.mark.usefixtures("tree")
def test_person_rules(session: Session) -> None:
    org = make_org(session)
    for fields, field in (
        ({"region_code": "999999"}, "region_code"),
        ({"organisation_id": uuid.uuid4()}, "organisation_id"),
    ):
        data = PersonCreate.model_validate({"name": "李四", "region_code": "420502", **fields})
        with pytest.raises(InvalidInput) as info:
            service.create_person(session, actor=SYSTEM, data=data)
        assert info.value.field == field
    service.deactivate_organisation(session, actor=SYSTEM, organisation_id=org.id)
    data = PersonCreate(name="李四", region_code="420502", organisation_id=org.id)
    with pytest.raises(InvalidInput, match="inactive"):
        service.create_person(session, actor=SYSTEM, data=data)


@pytest.mark.usefixtures("tree")
def test_member_unit_manages_only_its_own_people(session: Session) -> None:
    unit = make_org(session, kind=OrgKind.MEMBER_UNIT, region_code="420500")
    other = make_org(session, kind=OrgKind.MEMBER_UNIT, region_code="420500")
    mine = make_person(session, organisation_id=unit.id)
    theirs = make_person(session, organisation_id=other.id)
    user = actor(session, Role.MEMBER_UNIT, "420500", organisation_id=unit.id)
    calls: list[Callable[[], object]] = [
        lambda: service.get_person(session, actor=user, person_id=theirs.id),
        lambda: service.update_person(
            session, actor=user, person_id=theirs.id, data=PersonUpdate(name="x")
        ),
        lambda: service.deactivate_person(session, actor=user, person_id=theirs.id),
        lambda: service.create_person(
            session, actor=user,
            data=PersonCreate(name="x", region_code="420502", organisation_id=other.id),
        ),
        lambda: service.create_person(
            session, actor=user, data=PersonCreate(name="x", region_code="420502")
        ),
        lambda: service.update_person(
            session, actor=user, person_id=mine.id, data=PersonUpdate(organisation_id=other.id)
        ),
    ]  # fmt: skip
    for call in calls:
        with pytest.raises(Forbidden):
            call()
    made = service.create_person(
        session, actor=user,
        data=PersonCreate(name="王五", region_code="420503", organisation_id=unit.id),
    )  # fmt: skip
    rows, total = service.list_persons(session, actor=user)
    assert ({r.id for r in rows}, total) == ({mine.id, made.id}, 2)


@pytest.mark.usefixtures("tree")
def test_person_list_filters(session: Session) -> None:
    org = make_org(session)
    a = make_person(session, name="赵一", organisation_id=org.id, mobile="13812345678")
    b = make_person(session, name="钱二", region_code="420102")
    district = actor(session, Role.SPECIALIST, "420502")
    rows, _ = service.list_persons(session, actor=district)
    assert [r.id for r in rows] == [a.id]
    rows, _ = service.list_persons(session, actor=SYSTEM, q="1381234")
    assert [r.id for r in rows] == [a.id]
    rows, _ = service.list_persons(session, actor=SYSTEM, region_code="420100")
    assert [r.id for r in rows] == [b.id]
    rows, _ = service.list_persons(session, actor=SYSTEM, organisation_id=org.id)
    assert [r.id for r in rows] == [a.id]
    with pytest.raises(Forbidden):
        service.get_person(session, actor=district, person_id=b.id)


@pytest.mark.usefixtures("tree")
def test_supervised_industries_are_set_by_the_bureau_only(session: Session) -> None:
    bureau = make_org(session, kind=OrgKind.BUREAU)
    dept = make_org(session, kind=OrgKind.DEPARTMENT, parent_id=bureau.id)
    specialist = actor(session, Role.SPECIALIST, "420500", organisation_id=bureau.id)
    service.update_organisation(
        session,
        actor=specialist,
        organisation_id=dept.id,
        data=OrganisationUpdate.model_validate({"supervised_industries": ["c26", "D45"]}),
    )
    assert dept.supervised_industries == ["C26", "D45"]
    assert service.industry_scope(
        session, actor(session, Role.INSPECTOR, "420500", organisation_id=dept.id)
    ) == ("C26", "D45")
    assert service.industry_scope(session, specialist) is None
    with pytest.raises(ValidationError) as refused:
        OrganisationUpdate.model_validate({"supervised_industries": ["Z99"]})
    assert refused.value.errors()[0]["loc"] == ("supervised_industries", 0)
    enterprise = make_org(session)
    own = actor(session, Role.ENTERPRISE, "420502", organisation_id=enterprise.id)
    with pytest.raises(Forbidden) as denied:
        service.update_organisation(
            session,
            actor=own,
            organisation_id=enterprise.id,
            data=OrganisationUpdate.model_validate({"supervised_industries": ["C"]}),
        )
    assert denied.value.field == "supervised_industries"
    with pytest.raises(InvalidInput) as wrong_kind:
        service.update_organisation(
            session,
            actor=SYSTEM,
            organisation_id=enterprise.id,
            data=OrganisationUpdate.model_validate({"supervised_industries": ["C"]}),
        )
    assert wrong_kind.value.field == "supervised_industries"
