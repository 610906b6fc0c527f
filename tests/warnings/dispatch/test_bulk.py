"""Rows written in bulk read back as the ORM and the outbox relay expect them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.warnings.dispatch.helpers import NOW, make_regions, make_warning, responsible
from yingji.core.auth.actor import system_actor
from yingji.core.db import new_ordered_id, ordered_ids
from yingji.core.events import DomainEvent, OutboxEvent, record_event, subscribe, unsubscribe
from yingji.core.outbox import relay_once
from yingji.orgs.schemas import ResponsibleRow
from yingji.warnings import _dispatch
from yingji.warnings._d_bulk import binary_types, record_events
from yingji.warnings._d_people import RECIPIENT_COLUMNS, Candidate, Reach, person_candidate
from yingji.warnings._d_rows import CodePool, taken_codes
from yingji.warnings.events import TargetEscalated
from yingji.warnings.models import WarningTarget
from yingji.warnings.schemas import TargetKind

SUBSCRIBER = "tests.dispatch.bulk"


@pytest.fixture
def received() -> Iterator[list[DomainEvent]]:
    got: list[DomainEvent] = []
    subscribe("warnings.target_escalated", name=SUBSCRIBER)(lambda _s, event: got.append(event))
    yield got
    unsubscribe(SUBSCRIBER)


def _event() -> TargetEscalated:
    return TargetEscalated(warning_id=uuid.uuid4(), target_id=uuid.uuid4(),
                           region_code="420502", superior_target_ids=[uuid.uuid4()])  # fmt: skip


def test_bulk_events_are_the_rows_record_event_writes(
    session: Session, session_factory: sessionmaker[Session], received: list[DomainEvent]
) -> None:
    actor = system_actor(source="tests")
    one, many = _event(), [_event(), _event()]
    record_event(session, one, actor=actor)
    record_events(session, many, actor=actor)
    session.commit()
    rows = {r.id: r for r in session.scalars(select(OutboxEvent))}
    assert set(rows) == {one.event_id, *(e.event_id for e in many)}
    reference = rows[one.event_id]
    for event in many:
        row = rows[event.event_id]
        assert row.payload == event.model_dump(mode="json")
        assert (row.event_type, row.actor, row.actor_id, row.correlation_id, row.fanned_out) == (
            reference.event_type, reference.actor, reference.actor_id,
            reference.correlation_id, False,
        )  # fmt: skip
        assert abs(row.created_at - reference.created_at) < dt.timedelta(minutes=1)
    relay_once(session_factory)
    assert sorted(str(e.event_id) for e in received) == sorted(str(i) for i in rows)
    assert all(isinstance(e, TargetEscalated) for e in received)


def test_an_unregistered_event_is_refused(session: Session) -> None:
    class Stray(DomainEvent):
        event_type = "tests.stray"  # type: ignore[assignment]

    with pytest.raises(LookupError):
        record_events(session, [Stray()], actor=system_actor(source="tests"))


def test_ordered_ids_are_ascending_version_7() -> None:
    ids = list(ordered_ids(5000))
    assert ids == sorted(ids) and len(set(ids)) == 5000
    assert {(i.version, i.variant) for i in ids} == {(7, uuid.RFC_4122)}
    assert all(i == uuid.UUID(str(i)) and hash(i) == hash(uuid.UUID(str(i))) for i in ids)
    millis = ids[0].int >> 80
    assert abs(millis - dt.datetime.now(dt.UTC).timestamp() * 1000) < 60_000
    later = new_ordered_id()
    assert later > ids[-1] or (later.int >> 80) == millis  # later, or the same millisecond
    assert (later.version, later.variant) == (7, uuid.RFC_4122)


def test_reply_codes_ascend_and_avoid_the_taken_ones() -> None:
    mobiles = [f"+86138{i:08d}" if i % 3 else None for i in range(3000)]
    own = {"10000", "10001", "55555"}
    # The phone +8613800000001 already has code c on another warning, for every c: only
    # a code outside that set will do. Here: every 5-digit code from 10000 to 99998.
    clash = {("+8613800000001", str(c)) for c in range(10_000, 99_999)}
    pool = CodePool(len(mobiles), own=own, others=clash)
    codes = [pool.take(mobile) for mobile in mobiles]
    assert len(codes) == 3000 and len(set(codes)) == 3000 and not set(codes) & own
    assert {len(c) for c in codes} == {5}  # 3,003 in use: 5 digits (20× the codes in use)
    assert codes[1] == "99999"  # the clash was replaced; the rest ascend in the given order
    rest = codes[:1] + codes[2:]
    assert rest == sorted(rest)


def test_taken_codes_are_those_open_in_warnings_in_force(session: Session) -> None:
    make_regions(session)
    for name in ("P", "Q", "R"):
        responsible(session, "420502001001", name=name)
    first, second, ended = (make_warning(session, region_codes=["420502001001"]) for _ in "abc")
    for warning in (first, second, ended):
        _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    session.flush()
    targets = list(session.scalars(select(WarningTarget)))
    answered = next(t for t in targets if t.warning_id == first.id)
    answered.status = "acknowledged"
    ended.status = "lifted"  # its targets are left open here: a warning's status decides
    session.flush()

    own, others = taken_codes(session, warning_id=first.id)

    def codes(warning_id: uuid.UUID) -> set[str]:
        return {t.reply_code for t in targets if t.warning_id == warning_id}

    assert own == codes(first.id) - {answered.reply_code} and len(own) == 2
    assert others == {(t.mobile, t.reply_code) for t in targets if t.warning_id == second.id}
    assert len(others) == 3


def test_the_fan_outs_rows_are_the_candidates_columns_in_key_order() -> None:
    """Reach.recipients (a county's fan-out, no objects) and Candidate.columns agree."""
    ids = sorted(uuid.uuid4() for _ in range(6))
    phone = "+8613800000001"
    persons = [
        ResponsibleRow(ids[0], "甲", None, phone, None, "420502001", "flood", "村长", True),
        ResponsibleRow(ids[2], "乙", None, "", None, "420502001001", "general", None, False),
        ResponsibleRow(ids[4], "丙", None, None, None, "420502001001", "flood", "网格员", True),
    ]  # fmt: skip
    paths = {"420502001": "/420502/420502001/", "420502001001": "/420502/420502001/420502001001/"}
    users = {ids[2]: (uuid.uuid4(), "en_US"), ids[4]: (uuid.uuid4(), "zh_CN")}
    public = [
        Candidate(person_key=key, name="公众", kind=TargetKind.PUBLIC, region_code="420502001",
                  region_path=paths["420502001"], must_acknowledge=False, subscription_id=key,
                  mobile="+8613800000009")
        for key in (ids[1], ids[5])
    ]  # fmt: skip
    reach = Reach(persons, paths, users, public)
    rows = list(reach.recipients())
    made = [person_candidate(p, paths=paths, users=users, kind=TargetKind.RESPONSIBLE)
            for p in persons]  # fmt: skip
    assert rows == [c.columns() for c in sorted([*made, *public], key=lambda c: c.person_key)]
    assert [row[0] for row in rows] == ids[:3] + ids[4:] and len(reach) == 5
    assert dict(zip(RECIPIENT_COLUMNS, rows[2], strict=True)) == {
        "person_key": ids[2], "person_id": ids[2], "subscription_id": None,
        "user_id": users[ids[2]][0], "name": "乙", "mobile": None, "email": None,
        "language": "en", "kind": "responsible", "region_code": "420502001001",
        "region_path": paths["420502001001"], "title": None, "must_acknowledge": True,
    }  # fmt: skip


def test_binary_copy_types_follow_the_columns() -> None:
    import yingji.models  # noqa: F401 - the tables

    assert binary_types("warning_targets", ("id", "name", "must_acknowledge", "step",
                                            "deadline_at")) == [
        "uuid", "text", "bool", "int4", "timestamptz",
    ]  # fmt: skip
    assert binary_types("outbox_events", ("id", "payload")) is None  # JSON: the text format
    assert binary_types("no_such_table", ("id",)) is None
