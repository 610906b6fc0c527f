"""Responsibility trace-back: one timeline per subject, in order, with who and when; denials."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.factories.regions import make_tree, region_actor
from tests.hazards.test_statistics import add_hazard, enterprise_actor
from yingji.core.audit import record_change
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.hazards import _trace, service
from yingji.hazards.states import HazardGrade


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    make_tree(session)
    a = make_org(session, region_code="420502", name="甲化工")
    b = make_org(session, region_code="420503", name="乙公司")
    path = "/420000/420500/420502/"
    risk_id = uuid.uuid4()
    record_change(
        session, actor=system_actor(source="tests"), action="risk_point.created",
        entity_type="risk_point", entity_id=risk_id, region_path=path,
        after={"organisation_id": str(a.id), "name": "储罐区", "risk_level": "major"},
    )  # fmt: skip
    hazard = add_hazard(session, a, title="储罐泄漏", risk_point_id=None)
    inspector = region_actor(session, role=Role.INSPECTOR, code="420502")
    service.confirm_hazard(session, actor=inspector, hazard_id=hazard.id, grade=HazardGrade.MAJOR)
    record_change(
        session, actor=system_actor(source="worker"), action="inspection_plan.created",
        entity_type="inspection_plan", entity_id=uuid.uuid4(), region_path=path,
        after={"owner_org_id": str(uuid.uuid4()), "enterprise_ids": [str(a.id)],
               "name": "季度检查"},
    )  # fmt: skip
    other = add_hazard(session, b, title="电气线路")
    return {"a": a, "b": b, "hazard": hazard, "other": other, "risk_id": risk_id}


def test_enterprise_timeline(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.INSPECTOR, code="420500")
    timeline = _trace.trace(session, actor=actor, enterprise_id=world["a"].id)
    kinds = [e.entity_type for e in timeline.entries]
    assert kinds[0] == "organisation"  # the enterprise's registration comes first
    assert {"hazard", "risk_point", "inspection_plan"} <= set(kinds)
    assert all(e.entity_id != str(world["other"].id) for e in timeline.entries)
    stamps = [e.at for e in timeline.entries]
    assert stamps == sorted(stamps)
    confirm = [e for e in timeline.entries if e.changed.get("status")]
    assert confirm and confirm[0].changed["status"] == ["reported", "confirmed"]
    assert confirm[0].actor == actor_name(confirm[0].actor)
    assert "status reported → confirmed" in confirm[0].summary
    assert timeline.subject == "甲化工"


def actor_name(name: str) -> str:
    assert name.startswith("inspector@")
    return name


def test_hazard_and_risk_point_timelines(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.INSPECTOR, code="420502")
    timeline = _trace.trace(session, actor=actor, hazard_id=world["hazard"].id)
    assert {e.entity_id for e in timeline.entries} == {str(world["hazard"].id)}
    assert len(timeline.entries) >= 2
    rp = _trace.trace(session, actor=actor, risk_point_id=world["risk_id"])
    assert rp.subject == "储罐区" and rp.entries[0].entity_type == "risk_point"
    with pytest.raises(NotFound):
        _trace.trace(session, actor=actor, risk_point_id=uuid.uuid4())


def test_place_timeline(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.INSPECTOR, code="420500")
    timeline = _trace.trace(session, actor=actor, region_code="420500", place="储罐")
    assert {e.entity_id for e in timeline.entries} == {str(world["hazard"].id)}
    with pytest.raises(InvalidInput):
        _trace.trace(session, actor=actor, region_code="420500", place="  ")


def test_csv_export(session: Session, world: dict[str, Any]) -> None:
    actor = region_actor(session, role=Role.INSPECTOR, code="420502")
    raw = _trace.to_csv(_trace.trace(session, actor=actor, hazard_id=world["hazard"].id))
    assert raw.startswith(b"\xef\xbb\xbf") and "责任倒查" in raw.decode("utf-8-sig")


def test_denials(session: Session, world: dict[str, Any]) -> None:
    other_district = region_actor(session, role=Role.INSPECTOR, code="420503")
    with pytest.raises(Forbidden):
        _trace.trace(session, actor=other_district, enterprise_id=world["a"].id)
    with pytest.raises(Forbidden):
        _trace.trace(session, actor=other_district, hazard_id=world["hazard"].id)
    with pytest.raises(Forbidden):
        _trace.trace(session, actor=other_district, risk_point_id=world["risk_id"])
    with pytest.raises(Forbidden):
        _trace.trace(session, actor=other_district, region_code="420502", place="储罐")
    no_grant = region_actor(session, role=Role.DUTY_OFFICER, code="420502")
    with pytest.raises(Forbidden):
        _trace.trace(session, actor=no_grant, enterprise_id=world["a"].id)
    other_ent = enterprise_actor(session, world["b"])
    with pytest.raises(Forbidden):
        _trace.trace(session, actor=other_ent, enterprise_id=world["a"].id)
    own = _trace.trace(
        session, actor=enterprise_actor(session, world["a"]), enterprise_id=world["a"].id
    )
    assert own.entries
    with pytest.raises(InvalidInput):
        _trace.trace(
            session, actor=other_district, enterprise_id=world["a"].id, hazard_id=world["hazard"].id
        )
