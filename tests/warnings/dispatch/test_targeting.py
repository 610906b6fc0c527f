"""Targeting: an area to regions, to the responsible persons on duty and to subscribers."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.warnings.dispatch.helpers import (
    NOW,
    add_region,
    make_regions,
    make_warning,
    responsible,
)
from yingji.core.audit import AuditEntry
from yingji.orgs.schemas import DutyType
from yingji.warnings import _d_people, _dispatch
from yingji.warnings.config import rules
from yingji.warnings.models import WarningSubscription, WarningTarget


def _targets(session: Session, warning_id: object) -> dict[str, WarningTarget]:
    rows = session.scalars(select(WarningTarget).where(WarningTarget.warning_id == warning_id))
    return {t.name: t for t in rows}


@pytest.mark.parametrize(
    ("subtree_query", "subtree_roots"),
    [(500, 200), (0, 200), (0, 0)],
    ids=["by-codes", "by-subtree", "too-many-subtrees"],
)
def test_region_codes_reach_the_persons_on_duty_in_the_subtree_once(
    session: Session, monkeypatch: pytest.MonkeyPatch, subtree_query: int, subtree_roots: int
) -> None:
    # Large areas select persons by subtree, small ones (or ones of too many subtrees for one
    # query) by their list of codes: same answer.
    monkeypatch.setattr(_d_people, "SUBTREE_QUERY", subtree_query)
    monkeypatch.setattr(_d_people, "SUBTREE_ROOTS", subtree_roots)
    make_regions(session)
    responsible(session, "420502001001", name="村A防汛")
    responsible(session, "420502001", name="街道综合", duty=DutyType.GENERAL)
    responsible(session, "420502", name="区防汛", title="区防汛责任人", user=True)
    responsible(session, "420502001002", name="村B地灾", duty=DutyType.GEOLOGICAL)
    responsible(session, "420503001001", name="村C防汛")
    responsible(session, "420502001002", name="村B过期", ends_on=dt.date(2020, 1, 1))
    both, _ = responsible(session, "420502001", name="两处")
    from tests.factories.orgs import make_responsibility

    make_responsibility(session, person_id=both, region_code="420502001002")
    warning = make_warning(session, region_codes=["420502"])

    count = _dispatch.start_targets(session, warning_id=warning.id, now=NOW)

    found = _targets(session, warning.id)
    assert sorted(found) == ["两处", "区防汛", "村A防汛", "街道综合"]
    assert count == 4
    assert found["两处"].region_code == "420502001002"  # the deepest of its regions
    assert found["区防汛"].title == "区防汛责任人" and found["区防汛"].user_id is not None
    assert found["村A防汛"].user_id is None
    window = dt.timedelta(seconds=rules().window_seconds(warning.level))
    codes = [t.reply_code for t in found.values()]
    assert len(set(codes)) == 4 and all(re.fullmatch(r"[0-9]{4}", c) for c in codes)
    for target in found.values():
        assert target.status == "pending" and target.kind == "responsible"
        assert target.must_acknowledge and target.step == 0 and target.cycle == 0
        assert target.next_action_at == NOW and target.deadline_at == NOW + window
        assert re.fullmatch(r"[0-9a-f]{24}", target.token_nonce)
    # Written in key order with ascending ids and codes: appended to their indexes.
    by_key = sorted(found.values(), key=lambda t: t.person_key)
    assert [t.id for t in by_key] == sorted(t.id for t in by_key)
    assert [t.reply_code for t in by_key] == sorted(codes)
    (entry,) = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "warning_targets.started")
    ).all()
    assert entry.after is not None and entry.after["responsible"] == 4


def test_a_drawn_polygon_covers_the_regions_it_meets(session: Session) -> None:
    make_regions(session)
    responsible(session, "420502001001", name="村A")
    responsible(session, "420503001001", name="村C")
    inside_xiling = [[111.25, 30.65], [111.35, 30.65], [111.35, 30.75], [111.25, 30.75]]
    warning = make_warning(session, region_codes=[],
                           shapes=[{"type": "polygon", "coordinates": inside_xiling}])  # fmt: skip
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    assert sorted(_targets(session, warning.id)) == ["村A"]


def test_a_circle_is_measured_on_the_ground_within_one_percent(session: Session) -> None:
    make_regions(session)
    lon0, lat0, radius_km = 111.5, 30.7, 5.0
    # East of the centre, one degree of longitude is 111.32 km × cos(latitude) (WGS-84 ~0.2 %).
    per_degree = 111.32 * math.cos(math.radians(lat0))
    for code, fraction in (("420503900001", 0.98), ("420503900002", 1.02)):
        lon = lon0 + fraction * radius_km / per_degree
        add_region(session, code, f"网格{fraction}", "grid", "420503",
                   bbox=(lon - 0.00005, lat0 - 0.00005, lon + 0.00005, lat0 + 0.00005))  # fmt: skip
        responsible(session, code, name=f"网格员{fraction}")
    circle = {"type": "circle", "center": [lon0, lat0], "radius_km": radius_km}
    warning = make_warning(session, region_codes=[], shapes=[circle])
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    assert sorted(_targets(session, warning.id)) == ["网格员0.98"]


def test_subscribers_of_the_hazard_are_told_not_asked(session: Session) -> None:
    make_regions(session)
    responsible(session, "420502001001", name="村A")
    for name, hazards, active in (
        ("all", [], True), ("rain", ["rainstorm"], True), ("wind", ["typhoon"], False),
        ("typhoon", ["typhoon"], True), ("quit", [], False),
    ):  # fmt: skip
        session.add(
            WarningSubscription(name=name, mobile=f"+8613900000{len(name):03d}",
                                region_code="420502001001",
                                region_path="/420000/420500/420502/420502001/420502001001/",
                                hazard_types=hazards, active=active)
        )  # fmt: skip
    session.flush()
    warning = make_warning(session)
    assert _dispatch.start_targets(session, warning_id=warning.id, now=NOW) == 3
    found = _targets(session, warning.id)
    assert sorted(found) == ["all", "rain", "村A"]
    for name in ("all", "rain"):
        target = found[name]
        assert target.kind == "public" and not target.must_acknowledge
        assert target.reply_code == "" and target.person_key == target.subscription_id


def test_an_update_adds_the_newly_covered_and_tells_everyone_again(session: Session) -> None:
    make_regions(session)
    responsible(session, "420502001001", name="村A")
    responsible(session, "420503001001", name="村C")
    warning = make_warning(session, region_codes=["420502"])
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    later = NOW + dt.timedelta(minutes=2)
    first = _targets(session, warning.id)["村A"]
    first.step = 2  # somewhere along the first round
    session.flush()
    warning.area_region_codes = ["420502", "420503"]
    session.flush()

    added = _dispatch.warning_updated(session, warning_id=warning.id, now=later,
                                      level_raised=False, area_changed=True)  # fmt: skip

    assert added == 1
    session.expire_all()
    found = _targets(session, warning.id)
    cycles = rules().cycles
    assert (found["村A"].cycle, found["村A"].step, found["村A"].next_action_at) == (
        cycles, 0, later,
    )  # fmt: skip
    assert found["村A"].deadline_at == NOW + dt.timedelta(seconds=rules().window_seconds(2))
    assert (found["村C"].cycle, found["村C"].next_action_at) == (0, later)
    assert found["村C"].reply_code != found["村A"].reply_code


def test_an_area_of_a_thousand_subtrees_is_one_list_of_codes_not_a_thousand_conditions(
    session: Session,
) -> None:
    # A polygon over 1,200 villages but none of their towns: 1,200 subtrees. As conditions of
    # one query SQLite refused them ("Expression tree is too large"); as codes it is fine.
    paths = {f"9{i:05d}": f"/420000/9{i:05d}/" for i in range(1200)}
    assert _d_people.responsible(session, paths=paths, duties=[DutyType.FLOOD], area=True) == []
