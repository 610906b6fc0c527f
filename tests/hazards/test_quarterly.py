"""The quarterly/annual hazard statistics table: periods, due dates, counts, exports, denials."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.factories.regions import make_tree, region_actor
from tests.hazards.test_statistics import add_hazard, enterprise_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput
from yingji.hazards import _quarterly
from yingji.hazards.states import HazardGrade, HazardStatus

Q3 = datetime(2026, 8, 10, tzinfo=UTC)
Q2 = datetime(2026, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quarter", "start", "end", "due"),
    [
        (1, date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 15)),
        (3, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 15)),
        (4, date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 15)),
        (None, date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 31)),
    ],
)
def test_periods_and_due_dates(quarter: int | None, start: date, end: date, due: date) -> None:
    assert _quarterly.period(2026, quarter) == (start, end, due)


def test_bad_periods() -> None:
    with pytest.raises(InvalidInput):
        _quarterly.period(2026, 5)
    with pytest.raises(InvalidInput):
        _quarterly.period(1999, 1)


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    make_tree(session)
    a = make_org(session, region_code="420502", name="甲化工")
    b = make_org(session, region_code="420503", name="乙公司")
    G, M, S = HazardGrade.GENERAL, HazardGrade.MAJOR, HazardStatus
    closed_in_q3 = datetime(2026, 9, 1, tzinfo=UTC)
    after_q3 = datetime(2026, 10, 5, tzinfo=UTC)
    add_hazard(session, a, status=S.CLOSED, grade=G, reported_at=Q3, closed_at=closed_in_q3)
    add_hazard(session, a, status=S.CLOSED, grade=G, reported_at=Q3, closed_at=after_q3)
    add_hazard(session, a, status=S.RECTIFYING, grade=M, reported_at=Q3, supervised=True,
               plan={"goal_and_tasks": "x"})  # fmt: skip
    add_hazard(session, a, status=S.REPORTED, reported_at=Q3)
    add_hazard(session, a, status=S.REJECTED, reported_at=Q3)
    add_hazard(session, a, status=S.CLOSED, grade=G, reported_at=Q2, closed_at=Q3)  # Q2
    add_hazard(session, b, status=S.CLOSED, grade=M, reported_at=Q3, closed_at=closed_in_q3)
    return {"a": a, "b": b}


def test_enterprise_table(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420500")
    table = _quarterly.quarterly_table(
        session, actor=actor, year=2026, quarter=3, enterprise_id=world["a"].id
    )
    t = table.total
    assert (t.general_found, t.general_rectified, t.general_rate) == (2, 1, 50.0)
    assert (t.major_found, t.major_rectified, t.major_rate) == (1, 0, 0.0)
    assert (t.major_planned, t.major_supervised, t.ungraded) == (1, 1, 1)
    assert table.due_on == date(2026, 10, 15)
    assert table.subject == "甲化工" and table.rows == []
    annual = _quarterly.quarterly_table(
        session, actor=actor, year=2026, quarter=None, enterprise_id=world["a"].id
    )
    assert annual.total.general_found == 3 and annual.total.general_rectified == 3


def test_region_table_by_child(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420500")
    table = _quarterly.quarterly_table(session, actor=actor, year=2026, quarter=3)
    rows = {r.subject: r for r in table.rows}
    assert rows["西陵区"].general_found == 2
    assert rows["伍家岗区"].major_rectified == 1
    assert table.total.major_found == 2 and table.total.major_rate == 50.0


def test_exports(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.SPECIALIST, code="420500")
    table = _quarterly.quarterly_table(session, actor=actor, year=2026, quarter=3)
    raw = _quarterly.to_csv(table)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "一般隐患排查数" in text and "主要负责人" in text and "2026-10-15" in text
    xlsx = _quarterly.to_xlsx(table)
    assert xlsx is not None and xlsx[:2] == b"PK"
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A3"].value == "单位/地区"


def test_denials(session: Session, world: dict[str, Any]) -> None:
    county = region_actor(session, role=Role.SPECIALIST, code="420502")
    with pytest.raises(Forbidden):
        _quarterly.quarterly_table(
            session, actor=county, year=2026, quarter=3, enterprise_id=world["b"].id
        )
    with pytest.raises(Forbidden):
        _quarterly.quarterly_table(
            session, actor=county, year=2026, quarter=3, region_code="420500"
        )
    grassroots = region_actor(session, role=Role.GRASSROOTS, code="420502")
    with pytest.raises(Forbidden):
        _quarterly.quarterly_table(session, actor=grassroots, year=2026, quarter=3)
    own = enterprise_actor(session, world["a"])
    with pytest.raises(Forbidden):
        _quarterly.quarterly_table(
            session, actor=own, year=2026, quarter=3, enterprise_id=world["b"].id
        )
    mine = _quarterly.quarterly_table(session, actor=own, year=2026, quarter=3)
    assert mine.enterprise_id == world["a"].id and mine.total.general_found == 2
