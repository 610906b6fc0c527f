"""The board's ways of finding a page agree with the plain query, whatever the filters."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.hazards import SYSTEM, actor_of, make_world
from tests.factories.orgs import make_org
from yingji.core.auth.roles import Role
from yingji.hazards import _board, service
from yingji.hazards.models import Hazard
from yingji.hazards.schemas import HazardFilter
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrganisationUpdate
from yingji.regions import service as regions

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PLANS = (_board.Plan.EXACT, _board.Plan.WALK, _board.Plan.PLAIN)


def _scatter(session: Session, enterprises: list[Any], rng: random.Random, count: int) -> None:
    """Insert hazards with random board fields (NULL grades and industries included)."""
    paths = {ent.id: regions.path_of(session, ent.region_code) for ent in enterprises}
    for i in range(count):
        ent = rng.choice(enterprises)
        status = rng.choice(list(HazardStatus))
        # Some share a timestamp, so the id must break ties in the same way everywhere.
        reported = T0 + timedelta(hours=rng.randrange(count // 2))
        session.add(
            Hazard(
                number=f"YH-T-{i:05d}",
                enterprise_id=ent.id,
                region_code=ent.region_code,
                region_path=paths[ent.id],
                # Rows imported before industries were required can have none.
                industry_code=None if rng.random() < 0.1 else ent.industry_code,
                title=f"隐患{i}",
                source=rng.choice(list(HazardSource)).value,
                status=status.value,
                grade=rng.choice([None, *[g.value for g in HazardGrade]]),
                reported_at=reported,
                deadline=date(2026, 6, 1),
                overdue=rng.random() < 0.3,
                supervised=rng.random() < 0.2,
                is_demo=True,
            )
        )
    session.flush()
    service.rebuild_stats(session)


def _random_filter(rng: random.Random) -> HazardFilter:
    fields: dict[str, Any] = {}
    if rng.random() < 0.5:
        fields["status"] = rng.sample(list(HazardStatus), rng.randint(1, 3))
    if rng.random() < 0.3:
        fields["grade"] = rng.choice(list(HazardGrade))
    if rng.random() < 0.3:
        fields["source"] = rng.choice(list(HazardSource))
    if rng.random() < 0.4:
        fields["region_code"] = rng.choice(["420000", "420500", "420502", "420503", "420102"])
    if rng.random() < 0.3:
        fields["industry_code"] = rng.choice(["C", "C26", "C2614", "B0610", "G"])
    if rng.random() < 0.3:
        fields["overdue"] = rng.random() < 0.5
    if rng.random() < 0.2:
        fields["supervised"] = rng.random() < 0.5
    return HazardFilter(**fields)


def test_every_plan_returns_the_same_pages(session: Session) -> None:
    world = make_world(session)
    rng = random.Random(20261202)
    enterprises = [
        orgs.get_organisation(session, actor=SYSTEM, organisation_id=world.ent_a),
        orgs.get_organisation(session, actor=SYSTEM, organisation_id=world.ent_b),
        make_org(session, name="矿山", region_code="420503", industry_code="B0610"),
        make_org(session, name="武汉商贸", region_code="420102", industry_code="G5810"),
    ]
    _scatter(session, enterprises, rng, 240)
    orgs.update_organisation(
        session, actor=SYSTEM, organisation_id=world.department,
        data=OrganisationUpdate(supervised_industries=["C26", "B"]),
    )  # fmt: skip
    actors = [
        SYSTEM,
        actor_of(session, Role.SPECIALIST, "420500"),
        actor_of(session, Role.INSPECTOR, "420503"),
        actor_of(session, Role.SPECIALIST, "420500", world.department),
    ]
    compared = 0
    for _ in range(60):
        actor, filters = rng.choice(actors), _random_filter(rng)
        limit, offset = rng.choice([(7, 0), (7, 7), (10, 30), (50, 0)])
        pages = {
            plan: service.list_hazards(
                session, actor=actor, filters=filters, limit=limit, offset=offset, plan=plan
            )
            for plan in PLANS
        }
        plain_rows, plain_total = pages[_board.Plan.PLAIN]
        for plan in (_board.Plan.EXACT, _board.Plan.WALK):
            rows, total = pages[plan]
            assert total == plain_total, (plan, filters)
            assert [h.id for h in rows] == [h.id for h in plain_rows], (plan, filters)
        compared += len(plain_rows)
    assert compared > 300  # the pages were not all empty


@pytest.mark.parametrize(
    ("matching", "cells", "expected"),
    [
        (0, 0, _board.Plan.EXACT),
        (500, 120, _board.Plan.EXACT),  # a few hundred: read them all
        (200_000, 20_000, _board.Plan.WALK),  # a fifth of all: 2,000 newest suffice
        (25_000, 3_000, _board.Plan.WALK),
        (15_000, 1_500, _board.Plan.EXACT),
    ],
)
def test_choose_plan_reads_the_fewest_rows(
    matching: int, cells: int, expected: _board.Plan
) -> None:
    assert _board.choose_plan(matching=matching, cells=cells, need=400, table=1_000_000) is expected


def test_a_region_outside_the_callers_subtree_gives_nothing(session: Session) -> None:
    """A region filter outside the caller's subtree gives nothing, not the caller's subtree."""
    world = make_world(session)
    ent = orgs.get_organisation(session, actor=SYSTEM, organisation_id=world.ent_a)
    _scatter(session, [ent], random.Random(1), 10)
    district = actor_of(session, Role.INSPECTOR, "420503")
    for plan in PLANS:
        rows, total = service.list_hazards(
            session,
            actor=district,
            filters=HazardFilter(region_code="420502"),
            plan=plan,
        )
        assert (rows, total) == ([], 0)
