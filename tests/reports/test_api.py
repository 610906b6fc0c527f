"""Public reports over HTTP: intake, tracking, triage, rewards and the denials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.orgs import make_org
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry
from yingji.core.auth.roles import Role
from yingji.core.db import utcnow
from yingji.core.events import OutboxEvent
from yingji.hazards.models import Hazard
from yingji.reports import service
from yingji.reports.models import PublicReport

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class World:
    enterprise_id: uuid.UUID
    specialist: dict[str, str]
    specialist2: dict[str, str]
    commander: dict[str, str]
    other_region: dict[str, str]
    enterprise: dict[str, str]
    grassroots: dict[str, str]


@pytest.fixture
def world(session: Session) -> World:
    make_tree(session)
    org = make_org(session, region_code="420502")

    def user(role: Role, code: str = "420500", org_id: uuid.UUID | None = None) -> dict[str, str]:
        return bearer(make_user(session, role=role, region_code=code, organisation_id=org_id)[1])

    w = World(
        enterprise_id=org.id,
        specialist=user(Role.SPECIALIST),
        specialist2=user(Role.SPECIALIST),
        commander=user(Role.COMMANDER),
        other_region=user(Role.SPECIALIST, "420100"),
        enterprise=user(Role.ENTERPRISE, "420502", org.id),
        grassroots=user(Role.GRASSROOTS, "420502"),
    )
    session.commit()
    return w


def _token(client: TestClient) -> str:
    response = client.get("/api/public/reports/form")
    assert response.status_code == 200
    return str(response.json()["form_token"])


def _file(client: TestClient, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "major_hazard",
        "text": "仓库里堆放了大量易燃物品，消防通道被堵死。",
        "place": "西陵区某工业园3号仓库",
        "lon": 111.3,
        "lat": 30.7,
        "form_token": _token(client),
        **fields,
    }
    response = client.post("/api/public/reports", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_anonymous_report_is_tracked_by_its_code_only(
    client: TestClient, session: Session, world: World
) -> None:
    receipt = _file(client, reporter_name="张三", reporter_phone="13812345678")
    code = receipt["tracking_code"]
    assert len(code) == 24 and code.count("-") == 4
    assert receipt["received_on"] and receipt["due_on"]
    report = session.scalars(select(PublicReport)).one()
    assert report.anonymous and report.reporter_name is None and report.reporter_phone is None
    assert report.region_code == "420502" and code not in report.tracking_hash
    tracked = client.post("/api/public/reports/track", json={"code": code.lower()}).json()
    assert tracked["found"] and tracked["status"] == "received"
    unknown = client.post("/api/public/reports/track", json={"code": "0000-0000-0000-0000-0000"})
    assert unknown.status_code == 200 and set(unknown.json()) == set(tracked)
    assert unknown.json()["found"] is False and unknown.json()["status"] is None
    for leak in ("hazard", "enterprise", "text", "reporter", "region", "id"):
        assert not any(leak in key for key in tracked), leak


def test_named_report_keeps_the_normalised_phone(
    client: TestClient, session: Session, world: World
) -> None:
    _file(client, anonymous=False, reporter_name="李四", reporter_phone="138 1234 5678")
    report = session.scalars(select(PublicReport)).one()
    assert report.reporter_phone == "+8613812345678"
    # The identity stays on the report row: never in the audit log or an event payload.
    logged = [e.after for e in session.scalars(select(AuditEntry))]
    logged += [e.payload for e in session.scalars(select(OutboxEvent))]
    assert logged and not any("13812345678" in str(x) or "李四" in str(x) for x in logged)
    bad = client.post(
        "/api/public/reports",
        json={
            "category": "other", "text": "一段足够长的举报内容文字。", "anonymous": False,
            "reporter_name": "李四", "reporter_phone": "12", "form_token": _token(client),
        },
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "reporter_phone"


def test_public_form_needs_the_token_and_an_empty_honeypot(
    client: TestClient, world: World
) -> None:
    body = {"category": "other", "text": "一段足够长的举报内容文字。"}
    assert client.post("/api/public/reports", json=body).json()["field"] == "form_token"
    forged = {**body, "form_token": "1700000000.abcdef"}
    assert client.post("/api/public/reports", json=forged).json()["field"] == "form_token"
    bot = {**body, "form_token": _token(client), "website": "http://spam"}
    assert client.post("/api/public/reports", json=bot).json()["field"] == "website"
    upload = client.post("/api/public/attachments", files={"file": ("a.png", PNG, "image/png")})
    assert upload.status_code == 422 and upload.json()["field"] == "form_token"


def test_submissions_are_rate_limited_with_retry_after(client: TestClient, world: World) -> None:
    for _ in range(service.handling().reports_per_hour):
        _file(client)
    body = {"category": "other", "text": "一段足够长的举报内容文字。", "form_token": _token(client)}
    refused = client.post("/api/public/reports", json=body)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # Tracking has its own budget.
    code = {"code": "0000-0000-0000-0000-0000"}
    assert client.post("/api/public/reports/track", json=code).status_code == 200


def test_tracking_is_rate_limited(client: TestClient, world: World) -> None:
    code = {"code": "0000-0000-0000-0000-0000"}
    for _ in range(service.handling().tracking_per_hour):
        assert client.post("/api/public/reports/track", json=code).status_code == 200
    assert client.post("/api/public/reports/track", json=code).status_code == 429


def test_photos_are_uploaded_and_claimed_by_the_report(
    client: TestClient, session: Session, world: World
) -> None:
    token = _token(client)
    upload = client.post(
        "/api/public/attachments",
        files={"file": ("a.png", PNG, "image/png")},
        headers={"X-Form-Token": token},
    )
    assert upload.status_code == 201, upload.text
    photo = upload.json()["id"]
    _file(client, attachment_ids=[photo])
    report = session.scalars(select(PublicReport)).one()
    assert report.attachment_ids == [photo]
    again = client.post(
        "/api/public/reports",
        json={"category": "other", "text": "另一份举报，重复使用照片。", "attachment_ids": [photo],
              "form_token": token},
    )  # fmt: skip
    assert again.status_code == 422 and again.json()["field"] == "attachment_ids"


def _report_id(session: Session) -> str:
    return str(session.scalars(select(PublicReport.id)).one())


def _accept(client: TestClient, world: World, rid: str) -> Any:
    body = {"enterprise_id": str(world.enterprise_id), "title": "仓库消防通道堵塞"}
    return client.post(f"/api/reports/{rid}/accept", json=body, headers=world.specialist)


def test_triage_accept_creates_a_public_report_hazard(
    client: TestClient, session: Session, world: World
) -> None:
    code = _file(client)["tracking_code"]
    rid = _report_id(session)
    listed = client.get("/api/reports", headers=world.specialist).json()
    assert listed["total"] == 1 and listed["items"][0]["allowed_actions"][0] == "accept"
    accepted = _accept(client, world, rid)
    assert accepted.status_code == 200, accepted.text
    hazard = session.get(Hazard, uuid.UUID(accepted.json()["hazard_id"]))
    assert hazard is not None and hazard.source == "public_report"
    assert str(hazard.public_report_id) == rid
    again = _accept(client, world, rid)
    assert again.status_code == 409 and again.json()["details"]["allowed"] == [
        "extend", "conclude_true", "conclude_false",
    ]  # fmt: skip
    tracked = client.post("/api/public/reports/track", json={"code": code}).json()
    assert tracked["status"] == "accepted" and "hazard_id" not in tracked


def test_reject_needs_a_reason(client: TestClient, session: Session, world: World) -> None:
    _file(client)
    rid = _report_id(session)
    url = f"/api/reports/{rid}/reject"
    assert client.post(url, json={"reason": " "}, headers=world.specialist).status_code == 422
    done = client.post(
        url, json={"reason": "不属于安全生产领域", "public_note": "请向12345反映"},
        headers=world.specialist,
    )  # fmt: skip
    assert done.json()["status"] == "rejected"


def test_extend_once(client: TestClient, session: Session, world: World) -> None:
    _file(client)
    rid = _report_id(session)
    url = f"/api/reports/{rid}/extend"
    first = client.post(url, json={"reason": "情况复杂"}, headers=world.specialist).json()
    assert first["extended"]
    assert first["due_on"] == str(service.local_today() + timedelta(days=90))
    assert client.post(url, json={"reason": "再次"}, headers=world.specialist).status_code == 409


def test_denials(client: TestClient, session: Session, world: World) -> None:
    _file(client)
    rid = _report_id(session)
    assert client.get(f"/api/reports/{rid}", headers=world.other_region).status_code == 404
    assert client.get("/api/reports", headers=world.other_region).json()["total"] == 0
    assert client.get("/api/reports", headers=world.enterprise).status_code == 403
    assert client.get("/api/reports", headers=world.grassroots).status_code == 403
    as_grassroots = World(**{**world.__dict__, "specialist": world.grassroots})
    assert _accept(client, as_grassroots, rid).status_code == 403
    refused = client.post(
        f"/api/reports/{rid}/reject", json={"reason": "x"}, headers=world.enterprise
    )
    assert refused.status_code == 403
    assert (
        client.get("/api/reports/" + rid, headers=world.specialist).json()["reporter_name"] is None
    )


def _verified(client: TestClient, session: Session, world: World) -> str:
    return _verified_with_code(client, session, world)[0]


def _verified_with_code(client: TestClient, session: Session, world: World) -> tuple[str, str]:
    code = _file(client)["tracking_code"]
    rid = _report_id(session)
    assert _accept(client, world, rid).status_code == 200
    done = client.post(
        f"/api/reports/{rid}/conclude", json={"verified": True, "public_note": "经核查属实"},
        headers=world.specialist,
    )  # fmt: skip
    assert done.json()["status"] == "verified"
    return rid, code


def test_reward_workflow(client: TestClient, session: Session, world: World) -> None:
    rid, code = _verified_with_code(client, session, world)
    base = f"/api/reports/{rid}/reward"
    proposed = client.post(
        f"{base}/propose", json={"basis": "fine", "inputs": {"fine_amount": "1000000"}},
        headers=world.specialist,
    )  # fmt: skip
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["reward_amount"] == "150000.00"
    own = client.post(f"{base}/approve", json={}, headers=world.specialist)
    assert own.status_code == 403
    assert client.post(f"{base}/approve", json={}, headers=world.commander).status_code == 200
    notified = client.post(f"{base}/notify", headers=world.specialist).json()
    assert notified["reward_claim_by"] == str(service.local_today() + timedelta(days=60))
    tracked = client.post("/api/public/reports/track", json={"code": code}).json()
    assert tracked["reward_notice"] and tracked["public_note"] == "经核查属实"
    assert "reward_amount" not in tracked
    assert client.post(f"{base}/paid", headers=world.specialist).json()["reward_status"] == "paid"


def test_unclaimed_rewards_lapse(client: TestClient, session: Session, world: World) -> None:
    rid = _verified(client, session, world)
    base = f"/api/reports/{rid}/reward"
    body = {"basis": "concealment", "inputs": {"accident_grade": "larger", "concealed_deaths": 2}}
    amount = client.post(f"{base}/propose", json=body, headers=world.specialist).json()
    assert amount["reward_amount"] == "80000.00"
    client.post(f"{base}/approve", json={}, headers=world.commander)
    client.post(f"{base}/notify", headers=world.specialist)
    session.expire_all()
    assert service.lapse_unclaimed(session, now=utcnow() + timedelta(days=59)) == 0
    assert service.lapse_unclaimed(session, now=utcnow() + timedelta(days=62)) == 1
    session.commit()
    assert client.get(f"/api/reports/{rid}", headers=world.specialist).json()["reward_status"] == (
        "lapsed"
    )


def test_regional_rules_override_the_national_ones(
    client: TestClient, session: Session, world: World
) -> None:
    national = client.get("/api/reward-rules/420502", headers=world.specialist).json()
    assert national["source_region_code"] is None
    rules = national["rules"]
    rules["fine"]["minimum"] = "5000"
    put = client.put(
        "/api/reward-rules/420500", json={"basis": "宜昌市举报奖励办法 (test)", "rules": rules},
        headers=world.specialist,
    )  # fmt: skip
    assert put.status_code == 200, put.text
    denied = client.put(
        "/api/reward-rules/420100", json={"basis": "x", "rules": rules}, headers=world.specialist
    )
    assert denied.status_code == 403
    rid = _verified(client, session, world)
    proposed = client.post(
        f"/api/reports/{rid}/reward/propose",
        json={"basis": "fine", "inputs": {"fine_amount": "10000"}}, headers=world.specialist,
    ).json()  # fmt: skip
    assert proposed["reward_amount"] == "5000.00"


def test_reward_needs_a_verified_report(client: TestClient, session: Session, world: World) -> None:
    _file(client)
    rid = _report_id(session)
    body = {"basis": "fine", "inputs": {"fine_amount": "10000"}}
    response = client.post(
        f"/api/reports/{rid}/reward/propose", json=body, headers=world.specialist
    )
    assert response.status_code == 409


def test_overdue_job_flags_open_reports(client: TestClient, session: Session, world: World) -> None:
    _file(client)
    rid = uuid.UUID(_report_id(session))
    assert not service.flag_overdue(session, report_id=rid)
    assert service.flag_overdue(session, report_id=rid, now=utcnow() + timedelta(days=62))
    overdue = client.get("/api/reports?overdue=true", headers=world.specialist).json()
    assert overdue["total"] == 0  # not yet overdue today


def test_demo_reports_load_once(session: Session, world: World) -> None:
    import random

    from yingji.reports.demo import load_reports

    assert load_reports(session, rng=random.Random(7)) == 5
    assert load_reports(session, rng=random.Random(7)) == 0
    statuses = sorted(session.scalars(select(PublicReport.status)).all())
    assert statuses == ["accepted", "received", "received", "rejected", "verified"]


def test_only_the_first_valid_reporter_is_rewarded(
    client: TestClient, session: Session, world: World
) -> None:
    first = _verified(client, session, world)
    hazard_id = client.get(f"/api/reports/{first}", headers=world.specialist).json()["hazard_id"]
    _file(client, text="同一仓库通道堵塞，第二次举报。")
    second = str(
        session.scalars(select(PublicReport.id).where(PublicReport.id != uuid.UUID(first))).one()
    )
    linked = client.post(
        f"/api/reports/{second}/accept", json={"duplicate_of_hazard_id": hazard_id},
        headers=world.specialist,
    )  # fmt: skip
    assert linked.status_code == 200, linked.text
    assert linked.json()["hazard_id"] == hazard_id
    assert len(session.scalars(select(Hazard)).all()) == 1
    client.post(
        f"/api/reports/{second}/conclude", json={"verified": True}, headers=world.specialist
    )
    body = {"basis": "fine", "inputs": {"fine_amount": "10000"}}
    refused = client.post(
        f"/api/reports/{second}/reward/propose", json=body, headers=world.specialist
    )
    assert refused.status_code == 409 and "first" in refused.json()["message"]
    granted = client.post(
        f"/api/reports/{first}/reward/propose", json=body, headers=world.specialist
    )
    assert granted.status_code == 200


def test_accept_names_the_missing_enterprise(
    client: TestClient, session: Session, world: World
) -> None:
    _file(client)
    rid = _report_id(session)
    response = client.post(
        f"/api/reports/{rid}/accept", json={"title": "x"}, headers=world.specialist
    )
    assert response.status_code == 422 and response.json()["field"] == "enterprise_id"
