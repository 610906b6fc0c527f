"""Hazard statistics: rollup counts by dimension, closure, 动态清零, scopes and denials."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.factories.regions import make_tree, region_actor
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput
from yingji.hazards import _stats, service
from yingji.hazards._statistics import count_hazards, statistics
from yingji.hazards.models import Hazard
from yingji.hazards.schemas import HazardCreate, HazardFilter
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs.models import Organisation
from yingji.orgs.schemas import OrgKind


def add_hazard(
    session: Session,
    enterprise: Organisation,
    *,
    status: HazardStatus = HazardStatus.REPORTED,
    grade: HazardGrade | None = None,
    source: HazardSource = HazardSource.SELF_INSPECTION,
    overdue: bool = False,
    supervised: bool = False,
    days_to_close: float | None = None,
    title: str = "隐患",
    **fields: Any,
) -> Hazard:
    """Report a hazard through the service, then put it in a state (keeping the rollup)."""
    hazard = service.report_hazard(
        session,
        actor=system_actor(source="tests"),
        data=HazardCreate(enterprise_id=enterprise.id, title=title, source=source),
        public_report_id=uuid.uuid4() if source is HazardSource.PUBLIC_REPORT else None,
    )
    with _stats.tracked(session, hazard):
        hazard.status = status.value
        hazard.grade = grade.value if grade else None
        hazard.overdue = overdue
        hazard.supervised = supervised
        if days_to_close is not None:
            hazard.closed_at = hazard.reported_at + timedelta(days=days_to_close)
        for name, value in fields.items():
            setattr(hazard, name, value)
    session.flush()
    return hazard


def enterprise_actor(session: Session, enterprise: Organisation) -> Actor:
    """Return an enterprise user of an enterprise."""
    base = region_actor(session, role=Role.ENTERPRISE, code=enterprise.region_code)
    return Actor(
        role=Role.ENTERPRISE,
        username="ent",
        organisation_id=enterprise.id,
        region_code=base.region_code,
        region_path=base.region_path,
    )


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Two Yichang districts and Wuhan, with chemical and coal enterprises and their hazards."""
    make_tree(session)
    chem = make_org(session, region_code="420502", industry_code="C2614")
    coal = make_org(session, region_code="420503", industry_code="B0610")
    wuhan = make_org(session, region_code="420102", industry_code="C2614")
    G, M = HazardGrade.GENERAL, HazardGrade.MAJOR
    S = HazardStatus
    add_hazard(session, chem, status=S.CLOSED, grade=G, days_to_close=4)
    add_hazard(session, chem, status=S.CLOSED, grade=M, days_to_close=20)
    add_hazard(session, chem, status=S.RECTIFYING, grade=G, overdue=True)
    add_hazard(session, chem, status=S.RECTIFYING, grade=M, supervised=True)
    add_hazard(session, chem, status=S.REJECTED)
    add_hazard(session, coal, status=S.REPORTED, source=HazardSource.PUBLIC_REPORT)
    add_hazard(session, coal, status=S.CONFIRMED, grade=M, source=HazardSource.PUBLIC_REPORT)
    add_hazard(session, wuhan, status=S.CLOSED, grade=G, days_to_close=1)
    return {"chem": chem, "coal": coal, "wuhan": wuhan}


def test_city_statistics_count_every_dimension(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420500")
    stats = statistics(session, actor=actor)
    assert stats.total == 7  # Wuhan's hazard is outside Yichang
    assert stats.by_status["closed"] == 2
    assert stats.by_status["rectifying"] == 2
    assert stats.by_status["rejected"] == 1
    assert stats.by_grade == {"general": 2, "major": 3, "ungraded": 2}
    assert stats.closure_rate == round(2 / 6, 4)  # closed / (all − rejected)
    assert stats.overdue == 1
    assert stats.mean_days_to_close == pytest.approx(12.0, abs=0.01)
    assert (stats.major_total, stats.major_open, stats.major_closed) == (3, 2, 1)
    assert stats.major_supervised_open == 1
    assert stats.major_clearance == round(1 / 3, 4)
    regions = {row.key: row for row in stats.by_region}
    assert set(regions) == {"420502", "420503"}
    assert regions["420502"].label == "西陵区"
    assert (regions["420502"].total, regions["420502"].open) == (5, 2)
    industries = {row.key: row for row in stats.by_industry}
    assert industries["C26"].total == 5 and "化学" in industries["C26"].label
    assert industries["B06"].total == 2
    sources = {row.key: row for row in stats.by_source}
    assert sources["public_report"].total == 2 and sources["public_report"].label == "群众举报"


def test_filters_narrow_the_counts(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420000")
    assert statistics(session, actor=actor).total == 8
    assert statistics(session, actor=actor, region_code="420503").total == 2
    assert statistics(session, actor=actor, industry_code="C26").total == 6
    assert statistics(session, actor=actor, industry_code="B").total == 2
    assert statistics(session, actor=actor, source="public_report").total == 2
    by_city = {r.key: r.total for r in statistics(session, actor=actor).by_region}
    assert by_city == {"420500": 7, "420100": 1}


def test_rollup_and_direct_counts_agree(session: Session, world: dict[str, Any]) -> None:
    bureau = region_actor(session, role=Role.SPECIALIST, code="420502")
    own = enterprise_actor(session, world["chem"])  # counted from the hazards table
    a = statistics(session, actor=bureau).model_dump(exclude={"region_code", "region_name"})
    b = statistics(session, actor=own).model_dump(exclude={"region_code", "region_name"})
    assert a["by_status"] == b["by_status"]
    assert a["total"] == b["total"] == 5
    assert a["mean_days_to_close"] == pytest.approx(b["mean_days_to_close"], abs=0.01)
    assert a["major_open"] == b["major_open"]


def test_enterprise_user_sees_only_its_enterprise(session: Session, world: dict[str, Any]) -> None:
    stats = statistics(session, actor=enterprise_actor(session, world["coal"]))
    assert stats.total == 2
    assert {r.key for r in stats.by_industry} == {"B06"}


def test_department_sees_only_its_industries(session: Session, world: dict[str, Any]) -> None:
    bureau = make_org(session, kind=OrgKind.BUREAU, region_code="420500")
    dept = make_org(
        session,
        kind=OrgKind.DEPARTMENT,
        region_code="420500",
        parent_id=bureau.id,
        supervised_industries=["B"],
    )
    base = region_actor(session, role=Role.SPECIALIST, code="420500")
    actor = Actor(
        role=Role.SPECIALIST,
        username="dept",
        organisation_id=dept.id,
        region_code=base.region_code,
        region_path=base.region_path,
    )
    stats = statistics(session, actor=actor)
    assert stats.total == 2
    assert statistics(session, actor=actor, industry_code="C26").total == 0


def test_denials(session: Session, world: dict[str, Any]) -> None:
    county = region_actor(session, role=Role.SPECIALIST, code="420502")
    with pytest.raises(Forbidden):
        statistics(session, actor=county, region_code="420500")  # above its region
    with pytest.raises(Forbidden):
        statistics(session, actor=county, region_code="420102")  # another region
    with pytest.raises(Forbidden):
        statistics(session, actor=region_actor(session, role=Role.GRASSROOTS, code="420502"))
    with pytest.raises(InvalidInput):
        statistics(session, actor=county, industry_code="Z99")


def test_count_hazards_matches_the_board(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420500")
    for filters in (
        HazardFilter(),
        HazardFilter(status=[HazardStatus.RECTIFYING, HazardStatus.CONFIRMED]),
        HazardFilter(grade=HazardGrade.MAJOR, region_code="420502"),
        HazardFilter(industry_code="B06", source=HazardSource.PUBLIC_REPORT),
        HazardFilter(overdue=True),
    ):
        _rows, total = service.list_hazards(session, actor=actor, filters=filters, limit=5)
        assert count_hazards(session, actor=actor, filters=filters) == total
    assert count_hazards(session, actor=actor, filters=HazardFilter(q="隐患")) is None
    assert (
        count_hazards(session, actor=actor, filters=HazardFilter(enterprise_id=uuid.uuid4()))
        is None
    )
    own = enterprise_actor(session, world["chem"])
    assert count_hazards(session, actor=own, filters=HazardFilter()) is None
