"""The board: visibility, every filter, order and paging; the map layer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.factories.hazards import SYSTEM, World, actor_of, advance, make_hazard, make_world
from tests.factories.orgs import make_org
from yingji.core.auth.roles import Role
from yingji.core.errors import NotFound
from yingji.hazards import service
from yingji.hazards.models import Hazard
from yingji.hazards.schemas import HazardFilter
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrganisationUpdate

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(session: Session) -> World:
    """The small bureau."""
    return make_world(session)


def _ids(session: Session, actor: object, **filters: object) -> list[str]:
    rows, total = service.list_hazards(
        session,
        actor=actor,
        filters=HazardFilter.model_validate(filters),  # type: ignore[arg-type]
    )
    assert total == len(rows)
    return [h.title for h in rows]


@pytest.fixture
def hazards(session: Session, world: World) -> dict[str, Hazard]:
    """Five hazards in two districts and two industries, reported a day apart."""
    mine = make_org(session, name="C 矿山", region_code="420502", industry_code="B0610")
    day = timedelta(days=1)
    a, b = world.ent_a, world.ent_b
    made = {
        "a1": make_hazard(session, enterprise_id=a, title="a1 储罐泄漏", now=T0, lon=111.3,
                          lat=30.7),
        "a2": make_hazard(session, enterprise_id=a, title="a2 消防通道", now=T0 + day,
                          source=HazardSource.SUPERVISORY_INSPECTION),
        "b1": make_hazard(session, enterprise_id=b, title="b1 电气线路", now=T0 + 2 * day),
        "m1": make_hazard(session, enterprise_id=mine.id, title="m1 边坡", now=T0 + 3 * day),
    }  # fmt: skip
    advance(session, made["a2"], HazardStatus.RECTIFYING, person_id=world.person_a,
            grade=HazardGrade.MAJOR)  # fmt: skip
    return made


@pytest.mark.usefixtures("hazards")
def test_visibility(session: Session, world: World) -> None:
    assert _ids(session, SYSTEM) == ["m1 边坡", "b1 电气线路", "a2 消防通道", "a1 储罐泄漏"]
    ent = actor_of(session, Role.ENTERPRISE, "420502", world.ent_a)
    assert _ids(session, ent) == ["a2 消防通道", "a1 储罐泄漏"]
    district = actor_of(session, Role.INSPECTOR, "420503")
    assert _ids(session, district) == ["b1 电气线路"]
    orgs.update_organisation(
        session, actor=SYSTEM, organisation_id=world.department,
        data=OrganisationUpdate(supervised_industries=["B"]),
    )  # fmt: skip
    staff = actor_of(session, Role.SPECIALIST, "420500", world.department)
    assert _ids(session, staff) == ["m1 边坡"]
    public_less = actor_of(session, Role.ENTERPRISE, "420502")
    assert _ids(session, public_less) == []


@pytest.mark.usefixtures("hazards")
def test_filters(session: Session, world: World) -> None:
    assert _ids(session, SYSTEM, status=["rectifying"]) == ["a2 消防通道"]
    assert _ids(session, SYSTEM, status=["reported", "rectifying"], grade="major") == [
        "a2 消防通道"
    ]
    assert _ids(session, SYSTEM, source="supervisory_inspection") == ["a2 消防通道"]
    assert _ids(session, SYSTEM, region_code="420503") == ["b1 电气线路"]
    assert _ids(session, SYSTEM, region_code="420500") == [
        "m1 边坡", "b1 电气线路", "a2 消防通道", "a1 储罐泄漏",
    ]  # fmt: skip
    assert _ids(session, SYSTEM, industry_code="B") == ["m1 边坡"]
    assert _ids(session, SYSTEM, enterprise_id=str(world.ent_b)) == ["b1 电气线路"]
    assert _ids(session, SYSTEM, q="储罐") == ["a1 储罐泄漏"]
    assert _ids(session, SYSTEM, overdue=True) == []
    assert len(_ids(session, SYSTEM, supervised=False)) == 4
    # 2026-03-02 in Asia/Shanghai: the hazard reported at T0 + 1 day (10:00 local).
    assert _ids(session, SYSTEM, reported_from=date(2026, 3, 2), reported_to=date(2026, 3, 2)) == [
        "a2 消防通道"
    ]
    with pytest.raises(NotFound):
        _ids(session, SYSTEM, region_code="999999")


def test_number_search_and_paging(
    session: Session, world: World, hazards: dict[str, Hazard]
) -> None:
    number = hazards["b1"].number
    assert _ids(session, SYSTEM, q=number.lower()) == ["b1 电气线路"]
    rows, total = service.list_hazards(
        session, actor=SYSTEM, filters=HazardFilter(), limit=2, offset=2
    )
    assert total == 4
    assert [h.title for h in rows] == ["a2 消防通道", "a1 储罐泄漏"]


@pytest.mark.usefixtures("hazards")
def test_geojson(session: Session, world: World) -> None:
    collection = service.hazard_features(session, actor=SYSTEM, filters=HazardFilter())
    (feature,) = collection["features"]
    assert feature["geometry"]["coordinates"] == [111.3, 30.7]
    assert feature["properties"]["title"] == "a1 储罐泄漏"
    assert set(feature["properties"]) == {
        "id", "number", "title", "status", "grade", "overdue", "supervised", "enterprise_id",
    }  # fmt: skip
    other = actor_of(session, Role.INSPECTOR, "420503")
    assert service.hazard_features(session, actor=other, filters=HazardFilter())["features"] == []
