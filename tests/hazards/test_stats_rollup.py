"""The statistics rollup stays equal to a rebuild after a random series of operations."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.hazards import SYSTEM, advance, make_hazard, make_world
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.errors import DomainError
from yingji.hazards import service
from yingji.hazards.models import Hazard, HazardStats
from yingji.hazards.states import HazardGrade, HazardStatus

VERIFIER = Actor(role=Role.ADMIN, user_id=uuid.uuid4(), username="verifier", source="tests")


def _rollup(session: Session) -> dict[tuple[object, ...], tuple[int, float]]:
    rows = session.scalars(select(HazardStats)).all()
    return {
        (r.region_code, r.industry_code, r.source, r.grade, r.status, r.overdue, r.supervised): (
            r.count,
            round(r.days_to_close_sum, 3),
        )
        for r in rows
        if r.count
    }


def test_rollup_equals_rebuild(session: Session) -> None:
    world = make_world(session)
    rng = random.Random(20261122)
    made: list[Hazard] = []
    for _ in range(30):
        enterprise = rng.choice([world.ent_a, world.ent_b])
        hazard = make_hazard(session, enterprise_id=enterprise)
        made.append(hazard)
        target = rng.choice(list(HazardStatus))
        grade = rng.choice(list(HazardGrade))
        try:
            advance(session, hazard, target, person_id=world.person_a, grade=grade)
            if hazard.grade == HazardGrade.MAJOR and rng.random() < 0.5:
                service.list_supervision(
                    session, actor=SYSTEM, hazard_id=hazard.id,
                    supervising_org_id=world.bureau, deadline=hazard.deadline or date.today(),
                )  # fmt: skip
        except DomainError:
            pass
        if hazard.status == HazardStatus.RECTIFIED and rng.random() < 0.5:
            service.verify_hazard(
                session, actor=VERIFIER, hazard_id=hazard.id, passed=False, reason="再整改"
            )
    far = datetime(2099, 1, 1, tzinfo=UTC)
    service.escalate_overdue(session, now=far)
    session.flush()
    running = _rollup(session)
    service.rebuild_stats(session)
    assert _rollup(session) == running
    assert sum(c for c, _ in running.values()) == len(made)


def test_demo_hazards_keep_the_rollup(session: Session, tmp_path: object) -> None:
    from pathlib import Path

    from tests.factories.orgs import make_org
    from yingji.hazards.demo import load_hazards

    world = make_world(session)
    for region in ("420502", "420503"):
        make_org(session, region_code=region, is_demo=True, lon=111.3, lat=30.7)
    rng = random.Random(7)
    made = load_hazards(session, actor=SYSTEM, rng=rng, data_dir=Path(str(tmp_path)))
    assert made == 40
    assert load_hazards(session, actor=SYSTEM, rng=rng, data_dir=Path(str(tmp_path))) == 0
    hazards = session.scalars(select(Hazard).where(Hazard.is_demo)).all()
    assert {h.enterprise_id for h in hazards}.isdisjoint({world.ent_a, world.ent_b})
    assert {h.status for h in hazards} == {s.value for s in HazardStatus}
    assert sum(h.supervised for h in hazards) == 1
    assert sum(h.overdue for h in hazards) == 3
    running = _rollup(session)
    service.rebuild_stats(session)
    assert _rollup(session) == running
