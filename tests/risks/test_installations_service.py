"""Major hazard installation services: GB 18218-2018 S, R and grade, changes and denials."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person
from tests.factories.regions import make_tree
from tests.factories.risks import make_installation
from tests.orgs.helpers import actor, audit_rows, events
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput
from yingji.risks import service
from yingji.risks.schemas import InstallationCreate, SubstanceIn, SubstancesUpdate

# Table 1: 氨 (序号1) Q = 10 t, β = 2 (表3); 氯 (序号12) Q = 5 t, β = 4 (表3).
AMMONIA = 1
CHLORINE = 12


@pytest.fixture
def ents(session: Session) -> tuple[uuid.UUID, uuid.UUID]:
    make_tree(session)
    a = make_org(session, name="A 化工", region_code="420502")
    b = make_org(session, name="B 化工", region_code="420503")
    return a.id, b.id


def _data(org: uuid.UUID, substances: list[dict[str, Any]], people: int) -> InstallationCreate:
    return InstallationCreate(
        organisation_id=org, name="液氨储罐区", unit_kind="storage", exposed_people=people,
        substances=[SubstanceIn.model_validate(s) for s in substances],
    )  # fmt: skip


def test_single_substance_below_q_is_not_major(
    session: Session, ents: tuple[uuid.UUID, uuid.UUID]
) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", ents[0])
    row = service.create_installation(
        session,
        actor=ent,
        data=_data(ents[0], [{"label": "T-101", "seq": AMMONIA, "quantity_t": "5"}], 10),
    )
    # S = 5/10 = 0.5 < 1: not a major hazard, so no grade.
    assert (row.s_exact, row.s_value, row.is_major, row.grade) == ("1/2", 0.5, False, None)
    assert row.alpha == 1.0  # 1~29 people
    assert row.r_exact == "1"  # R = 1.0 × 2 × 0.5, kept for reference
    assert row.region_code == "420502" and row.industry_code == "C2614"
    [entry] = audit_rows(session, row.id)
    assert entry.action == "installation.identified"
    assert events(session, "risks.installation_identified")[0]["is_major"] is False


def test_two_substances_sum_and_grade(session: Session, ents: tuple[uuid.UUID, uuid.UUID]) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", ents[0])
    subs = [
        {"label": "液氨罐", "seq": AMMONIA, "quantity_t": "20"},
        {"label": "液氯罐", "cas": "7782-50-5", "quantity_t": "5"},
    ]
    row = service.create_installation(session, actor=ent, data=_data(ents[0], subs, 120))
    # S = 20/10 + 5/5 = 3 ≥ 1; α = 2 (100人以上); R = 2 × (2×2 + 4×1) = 16: 三级 (10 ≤ R < 50).
    assert (row.s_exact, row.is_major, row.alpha) == ("3", True, 2.0)
    assert (row.r_exact, row.r_value, row.grade) == ("16", 16.0, 3)
    assert service.grade_zh(row.grade) == "三级"
    stored = service.substances_of(session, [row.id])[row.id]
    assert [s.quantity_t for s in stored] == ["20", "5"]


def test_boundary_r_ten_is_third_grade(session: Session, ents: tuple[uuid.UUID, uuid.UUID]) -> None:
    row = make_installation(
        session,
        organisation_id=ents[0],
        exposed_people=0,
        substances=[{"label": "氨", "seq": AMMONIA, "quantity_t": "100"}],
    )
    # α = 0.5 (0人): R = 0.5 × 2 × 10 = 10 exactly: 三级, not 四级.
    assert (row.r_exact, row.grade) == ("10", 3)


def test_quantity_change_recomputes_and_records_why(
    session: Session, ents: tuple[uuid.UUID, uuid.UUID]
) -> None:
    row = make_installation(session, organisation_id=ents[0])  # 50 t chlorine, 100 people
    # S = 10; R = 2 × 4 × 10 = 80: 二级.
    assert (row.grade, row.r_value) == (2, 80.0)
    ent = actor(session, Role.ENTERPRISE, "420502", ents[0])
    changed = service.update_installation_substances(
        session,
        actor=ent,
        installation_id=row.id,
        data=SubstancesUpdate(
            substances=[SubstanceIn(label="液氯储罐", seq=CHLORINE, quantity_t="100")],
            reason="新增一台液氯储罐",
        ),
    )
    # R = 2 × 4 × 20 = 160 ≥ 100: 一级.
    assert (changed.grade, changed.r_value, changed.s_value) == (1, 160.0, 20.0)
    assert changed.last_change_reason is not None
    assert changed.last_change_reason.startswith("新增一台液氯储罐")
    assert "二级" in changed.last_change_reason and "一级" in changed.last_change_reason
    entry = audit_rows(session, row.id)[-1]
    assert entry.action == "installation.substances_changed"
    assert entry.before is not None and entry.after is not None
    assert (entry.before["grade"], entry.after["grade"]) == (2, 1)
    assert entry.after["reason"] == "新增一台液氯储罐"
    assert events(session, "risks.installation_identified")[-1]["grade_changed"] is True
    history = service.installation_history(session, actor=ent, installation_id=row.id)
    assert [h.action for h in history] == [
        "installation.substances_changed",
        "installation.identified",
    ]


def test_unknown_substance_names_the_field(
    session: Session, ents: tuple[uuid.UUID, uuid.UUID]
) -> None:
    ent = actor(session, Role.ENTERPRISE, "420502", ents[0])
    with pytest.raises(InvalidInput) as exc:
        service.create_installation(
            session,
            actor=ent,
            data=_data(
                ents[0],
                [
                    {"label": "ok", "seq": 1, "quantity_t": "1"},
                    {"label": "x", "name": "不存在的物质", "quantity_t": "1"},
                ],
                0,
            ),
        )
    assert exc.value.field is not None and exc.value.field.startswith("substances[1]")


def test_denials(session: Session, ents: tuple[uuid.UUID, uuid.UUID]) -> None:
    row = make_installation(session, organisation_id=ents[0])
    b = actor(session, Role.ENTERPRISE, "420503", ents[1])
    update = SubstancesUpdate(
        substances=[SubstanceIn(label="x", seq=CHLORINE, quantity_t="1")], reason="r"
    )
    with pytest.raises(Forbidden):
        service.get_installation(session, actor=b, installation_id=row.id)
    with pytest.raises(Forbidden):
        service.update_installation_substances(
            session, actor=b, installation_id=row.id, data=update
        )
    with pytest.raises(Forbidden):
        service.installation_history(session, actor=b, installation_id=row.id)
    assert service.list_installations(session, actor=b)[1] == 0
    other_district = actor(session, Role.SPECIALIST, "420503")
    with pytest.raises(Forbidden):
        service.get_installation(session, actor=other_district, installation_id=row.id)
    grassroots = actor(session, Role.GRASSROOTS, "420502")
    assert service.get_installation(session, actor=grassroots, installation_id=row.id)
    with pytest.raises(Forbidden):
        service.update_installation_substances(
            session, actor=grassroots, installation_id=row.id, data=update
        )
    person_b = make_person(session, organisation_id=ents[1], region_code="420503")
    ent = actor(session, Role.ENTERPRISE, "420502", ents[0])
    data = _data(ents[0], [{"label": "x", "seq": 1, "quantity_t": "1"}], 0)
    with pytest.raises(InvalidInput) as exc:
        service.create_installation(
            session,
            actor=ent,
            data=data.model_copy(update={"responsible_person_id": person_b.id}),
        )
    assert exc.value.field == "responsible_person_id"


def test_list_orders_majors_by_grade(session: Session, ents: tuple[uuid.UUID, uuid.UUID]) -> None:
    make_installation(
        session, organisation_id=ents[0],
        substances=[{"label": "小罐", "seq": AMMONIA, "quantity_t": "1"}],
    )  # fmt: skip
    make_installation(session, organisation_id=ents[0])  # 二级
    make_installation(
        session, organisation_id=ents[1],
        substances=[{"label": "大罐", "seq": CHLORINE, "quantity_t": "100"}],
    )  # fmt: skip
    city = actor(session, Role.SPECIALIST, "420500")
    rows, total = service.list_installations(session, actor=city)
    assert total == 3
    assert [r.grade for r in rows] == [1, 2, None]
    assert service.list_installations(session, actor=city, major_only=True)[1] == 2
    assert service.list_installations(session, actor=city, region_code="420503")[1] == 1
