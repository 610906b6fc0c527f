"""The audit chain detects tampering, stays valid under concurrency, and is served to auditors."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.auth import bearer, make_user
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry, record_change, verify_chain
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.db import utcnow


def record(session: Session, n: int, *, entity_type: str = "gauge") -> None:
    """Record and commit ``n`` changes of one kind of record, made by "gauge-feed"."""
    actor = system_actor(source="gauge-feed")
    for i in range(n):
        record_change(
            session,
            actor=actor,
            action=f"{entity_type}.updated",
            entity_type=entity_type,
            entity_id=f"G{i}",
            before={"level_cm": i},
            after={"level_cm": i + 1, "note": "水位"},
        )
    session.commit()


def test_untouched_chain_verifies(session: Session) -> None:
    record(session, 5)

    result = verify_chain(session)

    assert (result.ok, result.checked, result.first_broken_seq) == (True, 5, None)


def test_empty_log_verifies(session: Session) -> None:
    assert verify_chain(session).ok


def test_editing_an_entry_in_the_database_names_it(session: Session, backend: str) -> None:
    record(session, 5)
    value = json.dumps({"level_cm": 1, "note": "changed afterwards"})
    cast = "CAST(:v AS JSONB)" if backend == "postgresql" else ":v"
    session.execute(text(f'UPDATE audit_log SET "after" = {cast} WHERE seq = 3'), {"v": value})
    session.commit()

    result = verify_chain(session)

    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert result.reason == "content does not match its hash"
    assert result.checked == 2


def test_deleting_a_middle_entry_names_it(session: Session) -> None:
    record(session, 5)
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    session.commit()

    result = verify_chain(session)

    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert result.reason == "entry 2 is missing"


def test_deleting_the_last_entry_is_detected(session: Session) -> None:
    record(session, 5)
    session.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    session.commit()

    result = verify_chain(session)

    assert (result.ok, result.checked, result.first_broken_seq) == (False, 4, 5)
    assert result.reason == "log ends at 4 but the head says 5"


def test_relinking_a_forged_entry_is_detected(session: Session) -> None:
    record(session, 3)
    session.execute(text("UPDATE audit_log SET prev_hash = :h WHERE seq = 2"), {"h": "0" * 64})
    session.commit()

    result = verify_chain(session)

    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert result.reason == "link to the previous entry does not match"


def test_verify_keeps_the_callers_pending_changes(session: Session) -> None:
    record(session, 2)
    record_change(
        session, actor=system_actor(), action="gauge.created", entity_type="gauge", entity_id="X"
    )

    verify_chain(session)
    session.commit()

    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 3


def test_concurrent_transactions_keep_a_valid_chain(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        try:
            start.wait()
            for i in range(25):
                with session_factory() as s:
                    record_change(
                        s,
                        actor=system_actor(source=name),
                        action="gauge.updated",
                        entity_type="gauge",
                        entity_id=f"{name}-{i}",
                        after={"i": i},
                    )
                    s.commit()
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    result = verify_chain(session)
    assert (result.ok, result.checked) == (True, 50)
    seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
    assert seqs == list(range(1, 51))


@pytest.fixture
def tokens(session: Session) -> dict[Role, str]:
    """One bearer token per role that matters here, all in 宜昌市."""
    make_tree(session)
    roles = (Role.ADMIN, Role.COMMANDER, Role.DUTY_OFFICER, Role.SPECIALIST)
    made = {role: make_user(session, role=role, region_code="420500")[1] for role in roles}
    session.commit()
    return made


def test_admin_and_commander_search_the_log(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    record(session, 3, entity_type="gauge")
    record(session, 2, entity_type="shelter")

    for role in (Role.ADMIN, Role.COMMANDER):
        response = client.get(
            "/api/audit", params={"entity_type": "gauge"}, headers=bearer(tokens[role])
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 3
        assert [item["entity_id"] for item in body["items"]] == ["G2", "G1", "G0"]
        assert body["items"][0]["after"] == {"level_cm": 3, "note": "水位"}


def test_search_filters_and_pages(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    record(session, 5)
    headers = bearer(tokens[Role.ADMIN])
    now = utcnow()

    page = client.get(
        "/api/audit", params={"entity_type": "gauge", "limit": 2, "offset": 1}, headers=headers
    ).json()
    one = client.get("/api/audit", params={"entity_id": "G4"}, headers=headers).json()
    by = client.get("/api/audit", params={"actor": "gauge-feed"}, headers=headers).json()
    future = client.get(
        "/api/audit", params={"since": (now + timedelta(hours=1)).isoformat()}, headers=headers
    ).json()
    past = client.get(
        "/api/audit", params={"until": (now - timedelta(hours=1)).isoformat()}, headers=headers
    ).json()
    window = client.get(
        "/api/audit",
        params={
            "entity_type": "gauge",
            "since": (now - timedelta(hours=1)).isoformat(),
            "until": (now + timedelta(hours=1)).isoformat(),
        },
        headers=headers,
    ).json()

    assert (page["total"], [i["entity_id"] for i in page["items"]]) == (5, ["G3", "G2"])
    assert [i["entity_id"] for i in one["items"]] == ["G4"]
    assert by["total"] == 5
    assert (future["total"], past["total"], window["total"]) == (0, 0, 5)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"entity_type": "gauge\x00"}, "entity_type"),
        ({"actor": "\x00"}, "actor"),
        ({"since": "0001-01-01T00:00:00+08:00"}, "since"),
        ({"since": "2024-05-01T08:00:00"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"}, "since"),
    ],
)
def test_bad_search_parameters_answer_422_naming_the_field(
    client: TestClient, tokens: dict[Role, str], params: dict[str, object], field: str
) -> None:
    response = client.get("/api/audit", params=params, headers=bearer(tokens[Role.ADMIN]))

    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit/verify"])
def test_lower_roles_are_refused(client: TestClient, tokens: dict[Role, str], path: str) -> None:
    for role in (Role.DUTY_OFFICER, Role.SPECIALIST):
        response = client.get(path, headers=bearer(tokens[role]))
        assert response.status_code == 403, (role, response.text)
        assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit/verify"])
def test_anonymous_callers_must_log_in(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 401
    assert client.get(path, headers=bearer("yj_not-a-token")).status_code == 401


def test_verify_endpoint_reports_the_chain(
    client: TestClient, session: Session, tokens: dict[Role, str]
) -> None:
    headers = bearer(tokens[Role.ADMIN])
    healthy = client.get("/api/audit/verify", headers=headers)
    last = session.scalar(select(func.max(AuditEntry.seq)))
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    session.commit()
    broken = client.get("/api/audit/verify", headers=bearer(tokens[Role.COMMANDER]))

    assert healthy.status_code == 200
    assert healthy.json() == {"ok": True, "checked": last, "first_broken_seq": None, "reason": None}
    assert broken.json() == {
        "ok": False,
        "checked": 1,
        "first_broken_seq": 2,
        "reason": "entry 2 is missing",
    }
