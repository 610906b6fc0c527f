"""Risk point services: worked assessments, re-assessment audit, scope denials, summary."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person
from tests.factories.regions import make_tree
from tests.factories.risks import (
    LEC_CONSIDERABLE,
    LEC_GENERAL,
    LEC_LOW,
    LEC_MAJOR,
    make_risk_point,
)
from tests.orgs.helpers import actor, audit_rows, events
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrganisationUpdate, OrgKind
from yingji.risks import service
from yingji.risks.assessment import RiskLevel
from yingji.risks.schemas import ControlMeasureIn, RiskPointCreate, RiskPointUpdate


@dataclass
class World:
    ent_a: uuid.UUID
    ent_b: uuid.UUID
    ent_mine: uuid.UUID
    person_a: uuid.UUID
    person_b: uuid.UUID


@pytest.fixture
def world(session: Session) -> World:
    make_tree(session)
    a = make_org(session, name="A 西陵化工", region_code="420502", industry_code="C2614")
    b = make_org(session, name="B 伍家岗化工", region_code="420503", industry_code="C2614")
    mine = make_org(session, name="C 西陵矿业", region_code="420502", industry_code="B0810")
    pa = make_person(session, organisation_id=a.id, region_code="420502")
    pb = make_person(session, organisation_id=b.id, region_code="420503")
    return World(a.id, b.id, mine.id, pa.id, pb.id)


def _create(session: Session, w: World, **fields: object) -> RiskPointCreate:
    base: dict[str, object] = {
        "organisation_id": w.ent_a,
        "name": "液氯储罐区",
        "kind": "installation",
        "hazard_factors": ["液氯泄漏"],
        "accident_types": ["中毒和窒息"],
        "method": "lec",
        "factors": LEC_CONSIDERABLE,
        "control_level": "enterprise",
        "lon": 111.3,
        "lat": 30.7,
    }
    base.update(fields)
    return RiskPointCreate.model_validate(base)


def test_lec_worked_example_grades_and_audits(session: Session, world: World) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", world.ent_a)
    data = _create(
        session,
        world,
        responsible_person_id=world.person_a,
        measures=[
            ControlMeasureIn(
                kind="engineering",
                description="泄漏报警与紧急切断",
                control_level="enterprise",
                responsible_person_id=world.person_a,
            )
        ],
    )
    point = service.create_risk_point(session, actor=ent, data=data)
    # D = 3 × 6 × 15 = 270: 160–320 is 较大 (orange) in the default band set.
    assert point.score == 270
    assert point.level == RiskLevel.CONSIDERABLE
    assert RiskLevel(point.level).zh == "较大" and RiskLevel(point.level).colour == "orange"
    assert point.level_confirmed is True
    assert point.bands == "xiaomilidoc" and point.method == "lec"
    assert point.region_code == "420502" and point.industry_code == "C2614"
    assert point.region_path.endswith("/420502/")
    assert len(service.measures_of(session, [point.id])[point.id]) == 1
    [entry] = audit_rows(session, point.id)
    assert entry.action == "risk_point.created" and entry.after is not None
    assert entry.after["level"] == "considerable"
    assert len(events(session, "risks.risk_point_assessed")) == 1


@pytest.mark.parametrize(
    ("factors", "score", "level"),
    [
        (LEC_MAJOR, 2400, RiskLevel.MAJOR),
        (LEC_GENERAL, 126, RiskLevel.GENERAL),
        (LEC_LOW, 18, RiskLevel.LOW),
    ],
)
def test_lec_each_level(
    session: Session, world: World, factors: dict[str, float], score: float, level: RiskLevel
) -> None:
    point = make_risk_point(session, organisation_id=world.ent_a, factors=factors)
    assert (point.score, point.level) == (score, level.value)


def test_ls_default_and_alternate_bands(session: Session, world: World) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", world.ent_a)
    default = service.create_risk_point(
        session, actor=ent, data=_create(session, world, method="ls", factors={"L": 3, "S": 3})
    )
    # R = 9: 较大 in the zgmkw default (9–16), 一般 in the widely cited set (9–12, [U]).
    assert (default.score, default.level, default.bands) == (9, "considerable", "zgmkw")
    assert default.level_confirmed is True
    other = service.create_risk_point(
        session,
        actor=ent,
        data=_create(session, world, method="ls", factors={"L": 3, "S": 3}, bands="widely_cited"),
    )
    assert (other.level, other.bands, other.level_confirmed) == ("general", "widely_cited", False)


def test_mes_is_marked_unconfirmed(session: Session, world: World) -> None:
    point = make_risk_point(
        session, organisation_id=world.ent_a, method="mes", factors={"M": 5, "E": 6, "S": 8}
    )
    # R = 5 × 6 × 8 = 240 > 180: 重大, but the MES S table and bands are [U].
    assert (point.score, point.level, point.level_confirmed) == (240, "major", False)


def test_bad_factor_and_band_name_the_field(session: Session, world: World) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", world.ent_a)
    with pytest.raises(InvalidInput) as exc:
        service.create_risk_point(
            session, actor=ent, data=_create(session, world, factors={"L": 4, "E": 6, "C": 15})
        )
    assert exc.value.field == "factors.L"
    with pytest.raises(InvalidInput) as exc:
        service.create_risk_point(session, actor=ent, data=_create(session, world, bands="nope"))
    assert exc.value.field == "bands"


def test_responsible_person_must_be_staff(session: Session, world: World) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", world.ent_a)
    with pytest.raises(InvalidInput) as exc:
        service.create_risk_point(
            session, actor=ent, data=_create(session, world, responsible_person_id=world.person_b)
        )
    assert exc.value.field == "responsible_person_id"
    bad = ControlMeasureIn(kind="ppe", description="防毒面具", control_level="team",
                           responsible_person_id=uuid.uuid4())  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        service.create_risk_point(session, actor=ent, data=_create(session, world, measures=[bad]))
    assert exc.value.field == "measures[0].responsible_person_id"


def test_reassessment_recomputes_and_audits_why(session: Session, world: World) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", world.ent_a)
    point = service.create_risk_point(session, actor=ent, data=_create(session, world))
    with pytest.raises(InvalidInput) as exc:
        service.update_risk_point(
            session, actor=ent, risk_point_id=point.id, data=RiskPointUpdate(factors=LEC_LOW)
        )
    assert exc.value.field == "reason"
    updated = service.update_risk_point(
        session,
        actor=ent,
        risk_point_id=point.id,
        data=RiskPointUpdate(factors=LEC_LOW, reason="加装自动切断装置后复评"),
    )
    assert (updated.score, updated.level) == (18, "low")
    entry = audit_rows(session, point.id)[-1]
    assert entry.action == "risk_point.reassessed"
    assert entry.before is not None and entry.after is not None
    assert (entry.before["level"], entry.after["level"]) == ("considerable", "low")
    assert entry.after["reason"] == "加装自动切断装置后复评"
    # Switching method needs its factors.
    with pytest.raises(InvalidInput) as exc:
        service.update_risk_point(
            session,
            actor=ent,
            risk_point_id=point.id,
            data=RiskPointUpdate(method="ls", reason="x"),
        )
    assert exc.value.field == "factors"
    switched = service.update_risk_point(
        session,
        actor=ent,
        risk_point_id=point.id,
        data=RiskPointUpdate(method="ls", factors={"L": 5, "S": 4}, reason="改用风险矩阵"),
    )
    assert (switched.method, switched.bands, switched.level) == ("ls", "zgmkw", "major")


def test_enterprise_b_cannot_read_or_change_a(session: Session, world: World) -> None:
    point = make_risk_point(session, organisation_id=world.ent_a)
    b = actor(session, Role.ENTERPRISE, "420503", world.ent_b)
    with pytest.raises(Forbidden):
        service.get_risk_point(session, actor=b, risk_point_id=point.id)
    with pytest.raises(Forbidden):
        service.update_risk_point(
            session, actor=b, risk_point_id=point.id, data=RiskPointUpdate(name="x")
        )
    with pytest.raises(Forbidden):
        service.deactivate_risk_point(session, actor=b, risk_point_id=point.id)
    with pytest.raises(Forbidden):
        service.create_risk_point(session, actor=b, data=_create(session, world))
    rows, total = service.list_risk_points(session, actor=b)
    assert (rows, total) == ([], 0)


def test_bureau_outside_region_and_grassroots(session: Session, world: World) -> None:
    point = make_risk_point(session, organisation_id=world.ent_a)
    other = actor(session, Role.SPECIALIST, "420503")
    with pytest.raises(Forbidden):
        service.get_risk_point(session, actor=other, risk_point_id=point.id)
    assert service.list_risk_points(session, actor=other)[1] == 0
    city = actor(session, Role.SPECIALIST, "420500")
    assert service.get_risk_point(session, actor=city, risk_point_id=point.id).id == point.id
    grassroots = actor(session, Role.GRASSROOTS, "420502")
    assert service.get_risk_point(session, actor=grassroots, risk_point_id=point.id)
    with pytest.raises(Forbidden):
        service.update_risk_point(
            session, actor=grassroots, risk_point_id=point.id, data=RiskPointUpdate(name="x")
        )
    with pytest.raises(Forbidden):
        service.create_risk_point(session, actor=grassroots, data=_create(session, world))


def test_department_outside_its_industries(session: Session, world: World) -> None:
    chem = make_risk_point(session, organisation_id=world.ent_a)
    mine = make_risk_point(session, organisation_id=world.ent_mine)
    dept = make_org(session, kind=OrgKind.MEMBER_UNIT, name="非煤矿山科", region_code="420500")
    orgs.update_organisation(
        session,
        actor=system_actor(source="tests"),
        organisation_id=dept.id,
        data=OrganisationUpdate(supervised_industries=["B"]),
    )
    specialist = actor(session, Role.SPECIALIST, "420500", dept.id)
    assert service.get_risk_point(session, actor=specialist, risk_point_id=mine.id)
    with pytest.raises(Forbidden):
        service.get_risk_point(session, actor=specialist, risk_point_id=chem.id)
    with pytest.raises(Forbidden):
        service.update_risk_point(
            session, actor=specialist, risk_point_id=chem.id, data=RiskPointUpdate(name="x")
        )
    rows, total = service.list_risk_points(session, actor=specialist)
    assert total == 1 and rows[0].id == mine.id


def test_list_filters_and_deactivate(session: Session, world: World) -> None:
    city = actor(session, Role.SPECIALIST, "420500")
    make_risk_point(session, organisation_id=world.ent_a, factors=LEC_MAJOR, name="甲 反应釜")
    make_risk_point(session, organisation_id=world.ent_b, factors=LEC_LOW, name="乙 仓库")
    rows, total = service.list_risk_points(session, actor=city)
    assert total == 2 and rows[0].level == "major"  # most severe first
    assert service.list_risk_points(session, actor=city, region_code="420503")[1] == 1
    assert service.list_risk_points(session, actor=city, level="low")[1] == 1
    assert service.list_risk_points(session, actor=city, q="反应")[1] == 1
    assert service.list_risk_points(session, actor=city, q="100%_")[1] == 0
    with pytest.raises(InvalidInput) as exc:
        service.list_risk_points(session, actor=city, region_code="999999")
    assert exc.value.field == "region"
    done = service.deactivate_risk_point(session, actor=city, risk_point_id=rows[0].id)
    assert done.active is False
    assert service.list_risk_points(session, actor=city)[1] == 1
    with pytest.raises(NotFound):
        service.get_risk_point(session, actor=city, risk_point_id=uuid.uuid4())


def test_summary_by_region_and_industry(session: Session, world: World) -> None:
    make_risk_point(session, organisation_id=world.ent_a, factors=LEC_MAJOR)
    make_risk_point(session, organisation_id=world.ent_a, factors=LEC_LOW)
    make_risk_point(session, organisation_id=world.ent_b, factors=LEC_GENERAL)
    make_risk_point(session, organisation_id=world.ent_mine, factors=LEC_CONSIDERABLE)
    city = actor(session, Role.SPECIALIST, "420500")
    rows = {row["key"]: row for row in service.risk_summary(session, actor=city, group_by="region")}
    assert set(rows) == {"420502", "420503"}
    assert rows["420502"]["name"] == "西陵区"
    assert (rows["420502"]["major"], rows["420502"]["considerable"], rows["420502"]["low"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert rows["420503"]["general"] == 1
    by_industry = {
        row["key"]: row for row in service.risk_summary(session, actor=city, group_by="industry")
    }
    assert by_industry["C26"]["major"] == 1 and by_industry["C26"]["general"] == 1
    assert by_industry["B08"]["considerable"] == 1
    district = actor(session, Role.SPECIALIST, "420503")
    with pytest.raises(Forbidden):
        service.risk_summary(session, actor=district, group_by="region", region_code="420502")
    with pytest.raises(InvalidInput):
        service.risk_summary(session, actor=city, group_by="nonsense")


def test_demo_loader_covers_four_levels_and_is_idempotent(session: Session) -> None:
    import random

    from yingji.demo._risks import load_risks

    make_tree(session)
    demo = make_org(session, name="演示化工", region_code="420502", is_demo=True)
    make_person(session, organisation_id=demo.id, region_code="420502")
    make_org(session, name="真实企业", region_code="420502")
    system = system_actor(source="demo")
    created = load_risks(session, actor=system, rng=random.Random(1))
    points, total = service.list_risk_points(session, actor=system, organisation_id=demo.id)
    assert 4 <= total <= 8 and created == total + 3
    assert {p.level for p in points} == {level.value for level in RiskLevel}
    assert all(p.is_demo and p.lon is not None for p in points)
    assert all(service.measures_of(session, [p.id])[p.id] for p in points)
    units, _ = service.list_installations(session, actor=system, organisation_id=demo.id)
    assert sorted((u.is_major, u.grade or 0) for u in units) == [(False, 0), (True, 2), (True, 4)]
    assert load_risks(session, actor=system, rng=random.Random(2)) == 0
    assert service.list_risk_points(session, actor=system)[1] == total
