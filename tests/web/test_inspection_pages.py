"""The inspection pages: the overview with its plan form, and the phone-sized task page."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.web.conftest import LoggedIn, csrf_of
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.hazards import _inspections
from yingji.hazards.models import InspectionPlan, InspectionTask


def test_enterprise_plans_and_opens_a_task(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="西陵化工厂")
    session.commit()
    logged_in(Role.ENTERPRISE, "420502", ent.id)
    page = client.get("/inspections")
    assert page.status_code == 200
    assert "新建企业自查计划" in page.text
    posted = client.post(
        "/inspections/plans",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "每周自查",
            "checklist_id": "huagong_2017_121",
            "every_days": "7",
            "starts_on": "2026-11-01",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    plan = session.scalars(select(InspectionPlan)).one()
    assert plan.owner_org_id == ent.id
    _inspections.create_due_tasks(session, actor=system_actor(), today=date(2026, 11, 1))
    session.commit()
    task = session.scalars(select(InspectionTask)).one()
    overview = client.get("/inspections")
    assert f"/inspections/tasks/{task.id}" in overview.text
    page = client.get(f"/inspections/tasks/{task.id}")
    assert page.status_code == 200
    assert page.text.count('class="item-card"') == 20
    assert 'capture="environment"' in page.text
    assert 'accept="image/*"' in page.text
    assert "/static/js/inspection_task.js" in page.text
    assert "<script>" not in page.text and "style=" not in page.text


def test_plan_form_problem_and_expired_form(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="西陵化工厂")
    session.commit()
    logged_in(Role.ENTERPRISE, "420502", ent.id)
    page = client.get("/inspections")
    bad = client.post(
        "/inspections/plans",
        data={"csrf_token": csrf_of(page.text), "name": "", "checklist_id": "huagong_2017_121"},
    )
    assert bad.status_code == 422
    expired = client.post("/inspections/plans", data={"csrf_token": "nope", "name": "x"})
    assert expired.status_code == 403


def test_task_page_of_another_enterprise_is_refused(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    ent = make_org(session, name="甲")
    other = make_org(session, name="乙")
    session.commit()
    from tests.factories.auth import make_user
    from tests.hazards.inspection_fixtures import actor_of
    from yingji.hazards.inspection_schemas import InspectionKind, PlanCreate

    owner, _ = make_user(
        session, role=Role.ENTERPRISE, region_code="420502", organisation_id=ent.id
    )
    _inspections.create_plan(
        session,
        actor=actor_of(session, owner),
        data=PlanCreate(
            kind=InspectionKind.SELF,
            name="自查",
            checklist_id="huagong_2017_121",
            starts_on=date(2026, 11, 1),
        ),
    )
    _inspections.create_due_tasks(session, actor=system_actor(), today=date(2026, 11, 1))
    session.commit()
    task = session.scalars(select(InspectionTask)).one()
    logged_in(Role.ENTERPRISE, "420502", other.id)
    assert client.get(f"/inspections/tasks/{task.id}").status_code == 404
    assert client.get("/inspections/tasks/not-a-uuid").status_code == 404


def test_bureau_sees_supervisory_form(
    client: TestClient, session: Session, logged_in: LoggedIn
) -> None:
    from yingji.orgs.schemas import OrgKind

    bureau = make_org(session, kind=OrgKind.BUREAU, name="西陵区应急管理局")
    make_org(session, name="西陵化工厂")
    session.commit()
    logged_in(Role.SPECIALIST, "420502", bureau.id)
    page = client.get("/inspections")
    assert page.status_code == 200
    assert "新建监督检查计划" in page.text
    assert "西陵化工厂" in page.text
