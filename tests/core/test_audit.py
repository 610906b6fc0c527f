"""The audit chain detects tampering and stays valid under concurrency; entries carry regions."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.audit import WUJIAGANG, XILING, record
from tests.factories.auth import make_user
from tests.factories.orgs import make_org, make_person, make_responsibility
from tests.factories.regions import make_tree
from yingji.core.audit import AuditEntry, record_change, verify_chain
from yingji.core.auth import service as auth_service
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.errors import NotAuthenticated
from yingji.regions import service as regions
from yingji.regions.schemas import RegionUpdate


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


@pytest.mark.parametrize("forged", [WUJIAGANG, None], ids=["other-district", "no-region"])
def test_moving_an_entry_to_another_region_in_the_database_names_it(
    session: Session, forged: str | None
) -> None:
    record(session, 4, region_path=XILING)
    session.execute(text("UPDATE audit_log SET region_path = :p WHERE seq = 3"), {"p": forged})
    session.commit()

    result = verify_chain(session)

    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert result.reason == "content does not match its hash"


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
        session,
        actor=system_actor(),
        action="gauge.created",
        entity_type="gauge",
        entity_id="X",
        region_path=XILING,
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
                        region_path=XILING if i % 2 else None,
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


def _regions_of(session: Session, entity_type: str) -> dict[str, str | None]:
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.region_path).where(
            AuditEntry.entity_type == entity_type
        )
    )
    return dict(rows.all())


def test_changes_carry_the_region_of_their_record(session: Session, settings: Settings) -> None:
    make_tree(session)
    make_org(session, region_code="420503")
    person = make_person(session, region_code="420502")
    make_responsibility(session, person_id=person.id, region_code="420503")
    user, _ = make_user(session, role=Role.DUTY_OFFICER, region_code="420503")
    regions.update_region(
        session, actor=system_actor(), code="420502", data=RegionUpdate(name="西陵区(新)")
    )
    for username in ("nobody-here", user.username):
        with pytest.raises(NotAuthenticated):
            auth_service.authenticate(
                session, username=username, password="wrong password", settings=settings,
                source="api",
            )  # fmt: skip

    assert _regions_of(session, "organisation") == {"organisation.created": WUJIAGANG}
    assert _regions_of(session, "person") == {"person.created": XILING}
    assert _regions_of(session, "responsibility") == {"responsibility.assigned": WUJIAGANG}
    assert _regions_of(session, "api_token") == {"token.issued": WUJIAGANG}
    assert _regions_of(session, "region") == {"region.updated": XILING}
    assert _regions_of(session, "user") == {"auth.login_failed": WUJIAGANG}
    assert _regions_of(session, "login") == {"auth.login_failed": None}
