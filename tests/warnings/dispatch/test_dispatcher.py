"""The dispatcher: the ladder against the database, escalation, crash recovery, the end notice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.warnings.dispatch.helpers import (
    NOW,
    Recorder,
    make_regions,
    make_warning,
    recorders,
    responsible,
)
from yingji.core.audit import AuditEntry
from yingji.core.config import Settings
from yingji.core.events import OutboxEvent
from yingji.warnings import _dispatch
from yingji.warnings._ack import acknowledge_by_reply
from yingji.warnings._d_plan import claim
from yingji.warnings._d_send import ENDED
from yingji.warnings._tokens import key_of, target_id_of, verify_token
from yingji.warnings.channels import ChannelName
from yingji.warnings.config import rules
from yingji.warnings.jobs import Dispatcher
from yingji.warnings.models import DeliveryAttempt, WarningSubscription, WarningTarget

VILLAGE, TOWN, COUNTY = "420502001001", "420502001", "420502"


def seconds(n: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=n)


def targets(session: Session) -> dict[str, WarningTarget]:
    session.expire_all()
    return {t.name: t for t in session.scalars(select(WarningTarget))}


def attempts(session: Session, target: WarningTarget) -> list[tuple[int, int, str, str]]:
    rows = session.execute(
        select(DeliveryAttempt.cycle, DeliveryAttempt.step, DeliveryAttempt.channel,
               DeliveryAttempt.status)
        .where(DeliveryAttempt.target_id == target.id)
        .order_by(DeliveryAttempt.cycle, DeliveryAttempt.step)
    )  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def events(session: Session, kind: str) -> list[dict[str, object]]:
    return list(session.scalars(select(OutboxEvent.payload).where(OutboxEvent.event_type == kind)))


@pytest.fixture
def channels() -> dict[ChannelName, Recorder]:
    return recorders()


@pytest.fixture
def dispatcher(
    session_factory: sessionmaker[Session],
    settings: Settings,
    channels: dict[ChannelName, Recorder],
) -> Dispatcher:
    return Dispatcher(session_factory, settings, channels=channels, resend_after_seconds=30)


def _start(session: Session, **area: object) -> uuid.UUID:
    warning = make_warning(session, **area)  # type: ignore[arg-type]
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    session.commit()
    return warning.id


def test_the_ladder_runs_in_order_then_the_silent_escalate_up_to_the_limit(
    session: Session,
    dispatcher: Dispatcher,
    channels: dict[ChannelName, Recorder],
    settings: Settings,
) -> None:
    make_regions(session)
    responsible(session, VILLAGE, name="村A", user=True)
    responsible(session, TOWN, name="街道")
    responsible(session, COUNTY, name="区")
    responsible(session, "420500", name="市")
    _start(session, region_codes=[VILLAGE])
    window = rules().window_seconds(2)
    assert window == 300  # the shipped default; the timings below follow it

    first = dispatcher.run_pass(NOW)
    assert (first.claimed, first.attempts, first.in_app, first.sent) == (1, 2, 1, 1)
    village = targets(session)["村A"]
    assert attempts(session, village) == [(0, 0, "inapp", "delivered"), (0, 1, "sms", "sent")]
    assert (village.step, village.next_action_at) == (2, seconds(120))
    (sms,) = channels[ChannelName.SMS].sent
    assert sms.recipient == village.mobile and sms.reply_code == village.reply_code
    assert village.reply_code in sms.text and sms.ack_url is not None
    token = sms.ack_url.rsplit("/w/", 1)[1]
    assert target_id_of(token) == village.id
    assert verify_token(key_of(settings), token, village.id, village.token_nonce)

    assert dispatcher.run_pass(seconds(119)).claimed == 0
    assert dispatcher.run_pass(seconds(120)).attempts == 1
    (call,) = channels[ChannelName.VOICE].sent
    assert call.ack_url is None and "按1" in call.text
    assert targets(session)["村A"].next_action_at == seconds(window)  # the deadline comes first

    at_deadline = dispatcher.run_pass(seconds(window))
    assert at_deadline.escalated == 1
    found = targets(session)
    village, town = found["村A"], found["街道"]
    assert (village.status, village.escalated_at) == ("escalated", seconds(window))
    assert (town.kind, town.escalated_from_id, town.region_code) == ("superior", village.id, TOWN)
    assert town.next_action_at == seconds(window) and town.deadline_at == seconds(2 * window)
    # Still asked: the silent person's second cycle started at the deadline too (300 s).
    assert attempts(session, village)[3:] == [(1, 0, "inapp", "delivered"), (1, 1, "sms", "sent")]
    (event,) = events(session, "warnings.target_escalated")
    assert event["target_id"] == str(village.id) and event["superior_target_ids"] == [str(town.id)]
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "warning_targets.escalated")
    ).one()
    assert audit.after is not None and audit.after["escalated"][0]["target"] == str(village.id)

    dispatcher.run_pass(seconds(window))  # the town's ladder starts
    assert attempts(session, targets(session)["街道"]) == [(0, 1, "sms", "sent")]
    # The superior is told why they are asked: who did not answer (未叫应).
    *earlier, to_town = channels[ChannelName.SMS].sent
    assert to_town.recipient == targets(session)["街道"].mobile
    assert to_town.text.startswith("【未叫应】") and "村A未在时限内确认" in to_town.text
    assert to_town.reply_code and to_town.reply_code in to_town.text  # and can still answer
    assert not any("未叫应" in m.text for m in earlier)  # the silent person is asked as before
    dispatcher.run_pass(seconds(2 * window))  # the town is silent: the county is called
    dispatcher.run_pass(seconds(2 * window))
    dispatcher.run_pass(seconds(3 * window))  # the county is silent: the limit (2) is reached
    found = targets(session)
    assert sorted(found) == ["区", "村A", "街道"]
    assert found["区"].escalated_from_id == found["街道"].id
    assert found["区"].status == "escalated"
    last = events(session, "warnings.target_escalated")[-1]
    assert last["target_id"] == str(found["区"].id) and last["superior_target_ids"] == []
    steps = Counter(
        session.execute(select(DeliveryAttempt.target_id, DeliveryAttempt.cycle,
                               DeliveryAttempt.step)).all()
    )  # fmt: skip
    assert set(steps.values()) == {1}


def test_people_without_a_channel_are_skipped_yet_still_escalate(
    session: Session, dispatcher: Dispatcher, channels: dict[ChannelName, Recorder]
) -> None:
    make_regions(session)
    responsible(session, VILLAGE, name="无联系", phone=False)
    responsible(session, VILLAGE, name="只有账号", phone=False, user=True)
    _start(session, region_codes=[VILLAGE])
    assert dispatcher.run_pass(NOW).attempts == 1  # in-app only
    found = targets(session)
    assert attempts(session, found["无联系"]) == []
    assert attempts(session, found["只有账号"]) == [(0, 0, "inapp", "delivered")]
    assert channels[ChannelName.SMS].sent == []
    assert found["无联系"].next_action_at == seconds(300)
    assert dispatcher.run_pass(seconds(300)).escalated == 2


def test_subscribers_are_told_once_and_never_escalate(
    session: Session, dispatcher: Dispatcher, channels: dict[ChannelName, Recorder]
) -> None:
    make_regions(session)
    session.add(
        WarningSubscription(name="居民", mobile="+8613900000001", region_code=VILLAGE,
                            region_path="/420000/420500/420502/420502001/420502001001/",
                            hazard_types=[], active=True)
    )  # fmt: skip
    session.flush()
    _start(session, region_codes=[VILLAGE])
    assert dispatcher.run_pass(NOW).sent == 1
    (told,) = channels[ChannelName.SMS].sent
    assert told.reply_code is None and told.ack_url is None and "回复" not in told.text
    assert targets(session)["居民"].next_action_at is None
    assert dispatcher.run_pass(seconds(3600)).claimed == 0


def test_a_crash_before_the_receipts_resends_the_same_deliveries_once(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    dispatcher: Dispatcher,
) -> None:
    make_regions(session)
    for n in range(3):
        responsible(session, VILLAGE, name=f"P{n}")
    _start(session, region_codes=[VILLAGE])
    planned = dispatcher.plan(NOW)  # committed, then the process dies before sending
    first_ids = sorted(o.delivery.delivery_id for o in planned.outgoing)
    assert len(first_ids) == 3
    statuses = session.scalars(select(DeliveryAttempt.status)).all()
    assert sorted(statuses) == ["sending"] * 3

    again = recorders()
    restarted = Dispatcher(session_factory, settings, channels=again, resend_after_seconds=30)
    early = restarted.run_pass(seconds(10), recover=True)
    assert (early.resent, early.claimed) == (0, 0)  # not stale yet; nothing else is due
    late = restarted.run_pass(seconds(31), recover=True)
    assert late.resent == 3 and late.sent == 3
    assert sorted(again[ChannelName.SMS].ids()) == first_ids  # the same delivery ids
    assert restarted.run_pass(seconds(40), recover=True).resent == 0
    session.expire_all()
    rows = session.execute(select(DeliveryAttempt.id, DeliveryAttempt.status)).all()
    assert sorted(str(r[0]) for r in rows) == first_ids  # no second attempt row for the step
    assert {r[1] for r in rows} == {"sent"}


def test_lifting_closes_targets_and_notifies_those_reached_once(
    session: Session, dispatcher: Dispatcher, channels: dict[ChannelName, Recorder]
) -> None:
    make_regions(session)
    responsible(session, VILLAGE, name="收到短信")
    responsible(session, VILLAGE, name="已确认")
    responsible(session, VILLAGE, name="联系不上", phone=False)
    warning_id = _start(session, region_codes=[VILLAGE])
    dispatcher.run_pass(NOW)
    answered = targets(session)["已确认"]
    acknowledge_by_reply(session, phone=answered.mobile or "", code=answered.reply_code,
                         now=seconds(30))  # fmt: skip
    session.commit()
    channels[ChannelName.SMS].sent.clear()

    from yingji.warnings.models import EarlyWarning

    warning = session.get(EarlyWarning, warning_id)
    assert warning is not None
    warning.status = "lifted"
    assert _dispatch.close_targets(session, warning_id=warning_id, now=seconds(60)) == 2
    session.commit()
    found = targets(session)
    assert [found[n].status for n in ("收到短信", "已确认", "联系不上")] == [
        "closed", "acknowledged", "closed",
    ]  # fmt: skip
    assert found["联系不上"].next_action_at is None

    result = dispatcher.run_pass(seconds(60))
    assert result.notices == 2
    texts = sorted(d.text for d in channels[ChannelName.SMS].sent)
    assert len(texts) == 2 and all("已解除" in t and "回复" not in t for t in texts)
    assert dispatcher.run_pass(seconds(600)).claimed == 0  # nothing more, to anyone
    (notice,) = [a for a in attempts(session, found["收到短信"]) if a[0] < 0]
    assert notice == (-1, 0, "sms", "sent")


def test_nothing_asking_is_sent_once_the_warning_ended(
    session: Session, dispatcher: Dispatcher, channels: dict[ChannelName, Recorder]
) -> None:
    make_regions(session)
    responsible(session, VILLAGE, name="P")
    warning_id = _start(session, region_codes=[VILLAGE])
    planned = dispatcher.plan(NOW)
    from yingji.warnings.models import EarlyWarning

    warning = session.get(EarlyWarning, warning_id)
    assert warning is not None
    warning.status = "cancelled"
    _dispatch.close_targets(session, warning_id=warning_id, now=seconds(1))
    session.commit()
    done = dispatcher.send(planned.outgoing)
    assert (done.sent, done.failed) == (0, 1)
    assert channels[ChannelName.SMS].sent == []
    session.expire_all()
    assert session.scalars(select(DeliveryAttempt.reason)).one() == ENDED


def test_two_dispatchers_never_claim_the_same_target(
    session: Session, session_factory: sessionmaker[Session], backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises dispatchers on its write lock instead")
    make_regions(session)
    for n in range(4):
        responsible(session, VILLAGE, name=f"P{n}")
    _start(session, region_codes=[VILLAGE])
    with session_factory() as one, session_factory() as two:
        first = {r.id for r in claim(one, now=NOW, limit=2)}
        second = {r.id for r in claim(two, now=NOW, limit=10)}
        assert len(first) == 2 and len(second) == 2 and not first & second
        one.rollback()
        two.rollback()


def test_a_level_rise_asks_those_who_answered_again(
    session: Session, dispatcher: Dispatcher
) -> None:
    make_regions(session)
    responsible(session, VILLAGE, name="P")
    warning_id = _start(session, region_codes=[VILLAGE])
    dispatcher.run_pass(NOW)
    target = targets(session)["P"]
    acknowledge_by_reply(session, phone=target.mobile or "", code=target.reply_code,
                         now=seconds(10))  # fmt: skip
    session.commit()
    _dispatch.warning_updated(session, warning_id=warning_id, now=seconds(60),
                              level_raised=True, area_changed=False)  # fmt: skip
    session.commit()
    target = targets(session)["P"]
    assert (target.status, target.acknowledged_at, target.cycle, target.step) == (
        "pending", None, rules().cycles, 0,
    )  # fmt: skip
    assert target.deadline_at == seconds(60 + rules().window_seconds(2))
    assert dispatcher.run_pass(seconds(60)).attempts == 1
