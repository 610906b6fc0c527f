"""The HTTP API of checklists, plans and tasks."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.core.test_files import png
from tests.factories.auth import bearer
from tests.hazards.inspection_fixtures import CUSTOM, make_world
from yingji.core.auth import service as auth
from yingji.core.auth.actor import system_actor
from yingji.hazards import _inspections


def _token(session: Session, user_id: object) -> str:
    user = auth.get_user(session, user_id=user_id)  # type: ignore[arg-type]
    _, raw = auth.issue_token(session, actor=system_actor(), user_id=user.id, name="api")
    return raw


def test_self_inspection_through_the_api(client: TestClient, session: Session) -> None:
    w = make_world(session)
    ent = bearer(_token(session, w.ent_user.id))
    session.commit()
    listed = client.get("/api/checklists", headers=ent).json()
    assert {"huagong_2017_121", "gongmao_2023_10"} <= {c["id"] for c in listed["items"]}
    one = client.get("/api/checklists/huagong_2017_121", headers=ent).json()
    assert len(one["items"]) == 20
    created = client.post("/api/checklists", json={"content": CUSTOM}, headers=ent)
    assert created.status_code == 201, created.text
    plan = client.post(
        "/api/inspection-plans",
        json={
            "kind": "self",
            "name": "每日自查",
            "checklist_id": "xiling-daily",
            "every_days": 1,
            "starts_on": "2026-11-01",
        },
        headers=ent,
    )
    assert plan.status_code == 201, plan.text
    assert client.get("/api/inspection-plans", headers=ent).json()["total"] == 1
    _inspections.create_due_tasks(session, actor=system_actor(), today=date(2026, 11, 1))
    session.commit()
    tasks = client.get("/api/inspection-tasks?mine=true", headers=ent).json()
    assert tasks["total"] == 1
    task_id = tasks["items"][0]["id"]
    detail = client.get(f"/api/inspection-tasks/{task_id}", headers=ent).json()
    assert [i["id"] for i in detail["items"]] == ["XL-1", "XL-2", "XL-3"]
    incomplete = client.post(f"/api/inspection-tasks/{task_id}/complete", headers=ent)
    assert incomplete.status_code == 409  # still pending
    photo = client.post(
        "/api/attachments", files={"file": ("p.png", png(), "image/png")}, headers=ent
    ).json()
    answer = client.put(
        f"/api/inspection-tasks/{task_id}/findings/XL-1",
        json={"result": "fail", "note": "安全出口堵塞", "attachment_ids": [photo["id"]]},
        headers=ent,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["attachment_ids"] == [photo["id"]]
    refused = client.post(f"/api/inspection-tasks/{task_id}/complete", headers=ent)
    assert refused.status_code == 422
    assert "XL-2" in refused.json()["message"]
    for item in ("XL-2", "XL-3"):
        client.put(
            f"/api/inspection-tasks/{task_id}/findings/{item}", json={"result": "pass"}, headers=ent
        )
    done = client.post(f"/api/inspection-tasks/{task_id}/complete", headers=ent)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert body["summary"]["hazards_created"] == 1
    assert body["items"][0]["finding"]["hazard_id"]
    bad = client.put(
        f"/api/inspection-tasks/{task_id}/findings/XL-1", json={"result": "maybe"}, headers=ent
    )
    assert bad.status_code == 422


def test_api_denials(client: TestClient, session: Session) -> None:
    w = make_world(session)
    inspector = bearer(_token(session, w.inspector.id))
    other = bearer(_token(session, w.other_ent_user.id))
    planner = bearer(_token(session, w.planner.id))
    session.commit()
    assert (
        client.post("/api/checklists", json={"content": CUSTOM}, headers=inspector).status_code
        == 403
    )
    plan = client.post(
        "/api/inspection-plans",
        json={
            "kind": "supervisory",
            "name": "四不两直",
            "checklist_id": "huagong_2017_121",
            "enterprise_ids": [str(w.enterprise.id)],
            "assignee_user_ids": [str(w.inspector.id)],
            "unannounced": True,
            "starts_on": "2026-11-20",
        },
        headers=planner,
    )
    assert plan.status_code == 201, plan.text
    _inspections.create_due_tasks(session, actor=system_actor(), today=date(2026, 11, 20))
    session.commit()
    task_id = client.get("/api/inspection-tasks?mine=true", headers=inspector).json()["items"][0][
        "id"
    ]
    assert client.get(f"/api/inspection-tasks/{task_id}", headers=other).status_code == 404
    assert (
        client.put(
            f"/api/inspection-tasks/{task_id}/findings/HG-1",
            json={"result": "pass"},
            headers=planner,
        ).status_code
        == 403
    )
    started = client.post(f"/api/inspection-tasks/{task_id}/start", headers=inspector)
    assert started.status_code == 200
    again = client.post(f"/api/inspection-tasks/{task_id}/start", headers=inspector)
    assert again.status_code == 409
    cancelled = client.post(f"/api/inspection-tasks/{task_id}/cancel", headers=planner)
    assert cancelled.status_code == 200
    assert cancelled.json()["allowed_actions"] == []
