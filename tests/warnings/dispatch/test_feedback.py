"""Evacuation feedback with its roll-up, and the 叫应 board, with their permissions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.regions import region_actor
from tests.warnings.dispatch.helpers import (
    NOW,
    make_regions,
    make_warning,
    recorders,
    responsible,
)
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from yingji.core.events import OutboxEvent
from yingji.warnings import _dispatch
from yingji.warnings._ack import acknowledge_by_reply
from yingji.warnings._feedback import evacuation_totals, report_evacuation
from yingji.warnings._tokens import key_of, make_token
from yingji.warnings._tracking import tracking_board
from yingji.warnings.jobs import Dispatcher
from yingji.warnings.models import EvacuationReport, WarningTarget
from yingji.warnings.schemas import EvacuationInput

VILLAGE_A, VILLAGE_B, TOWN, COUNTY = "420502001001", "420502001002", "420502001", "420502"


def _setup(session: Session) -> tuple[uuid.UUID, dict[str, WarningTarget]]:
    make_regions(session)
    responsible(session, VILLAGE_A, name="村A")
    responsible(session, VILLAGE_B, name="村B")
    responsible(session, TOWN, name="街道")
    warning = make_warning(session, region_codes=[COUNTY])
    _dispatch.start_targets(session, warning_id=warning.id, now=NOW)
    session.commit()
    return warning.id, {t.name: t for t in session.scalars(select(WarningTarget))}


def at(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)


def test_reports_roll_up_by_region_and_a_newer_report_replaces_the_older(
    session: Session, settings: Settings
) -> None:
    warning_id, found = _setup(session)
    a_user = region_actor(session, role=Role.GRASSROOTS, code=VILLAGE_A)
    token_b = make_token(key_of(settings), found["村B"].id, found["村B"].token_nonce)
    report_evacuation(session, warning_id=warning_id, actor=a_user,
                      data=EvacuationInput(evacuated=30, shelter="村小学"), now=at(1))  # fmt: skip
    report_evacuation(session, warning_id=warning_id, actor=a_user,
                      data=EvacuationInput(evacuated=45, shelter="村小学"), now=at(5))  # fmt: skip
    report_evacuation(session, warning_id=warning_id, token=token_b, settings=settings,
                      data=EvacuationInput(evacuated=12), now=at(2))  # fmt: skip
    town_user = region_actor(session, role=Role.GRASSROOTS, code=TOWN)
    report_evacuation(session, warning_id=warning_id, actor=town_user,
                      data=EvacuationInput(evacuated=3, shelter="街道办"), now=at(3))  # fmt: skip
    assert len(session.scalars(select(EvacuationReport)).all()) == 4
    assert len(session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == "warnings.evacuation_reported")
    ).all()) == 4  # fmt: skip

    commander = region_actor(session, role=Role.COMMANDER, code="420500")
    totals = {t.region_code: t for t in evacuation_totals(session, warning_id=warning_id,
                                                          actor=commander)}  # fmt: skip
    assert (totals[VILLAGE_A].evacuated, totals[VILLAGE_A].total) == (45, 45)
    assert (totals[VILLAGE_B].evacuated, totals[VILLAGE_B].total) == (12, 12)
    assert (totals[TOWN].evacuated, totals[TOWN].total) == (3, 60)
    assert (totals[COUNTY].total, totals["420500"].total) == (60, 60)
    assert totals[TOWN].shelters == ["村小学", "街道办"]
    assert "420000" not in totals  # above the commander's region
    village = region_actor(session, role=Role.DUTY_OFFICER, code=VILLAGE_B)
    own = evacuation_totals(session, warning_id=warning_id, actor=village)
    assert [(t.region_code, t.total) for t in own] == [(VILLAGE_B, 12)]


def test_who_may_report_where(session: Session, settings: Settings) -> None:
    warning_id, found = _setup(session)
    data = EvacuationInput(evacuated=5)
    a_user = region_actor(session, role=Role.GRASSROOTS, code=VILLAGE_A)
    with pytest.raises(Forbidden):  # another village
        report_evacuation(session, warning_id=warning_id, actor=a_user, now=NOW,
                          data=EvacuationInput(evacuated=5, region_code=VILLAGE_B))  # fmt: skip
    enterprise = region_actor(session, role=Role.ENTERPRISE, code=VILLAGE_A)
    with pytest.raises(Forbidden):  # no warning:feedback
        report_evacuation(session, warning_id=warning_id, actor=enterprise, now=NOW, data=data)
    with pytest.raises(NotAuthenticated):
        report_evacuation(session, warning_id=warning_id, now=NOW, data=data)
    token_a = make_token(key_of(settings), found["村A"].id, found["村A"].token_nonce)
    with pytest.raises(Forbidden):  # the link reaches its region and below, not above
        report_evacuation(session, warning_id=warning_id, token=token_a, settings=settings,
                          now=NOW, data=EvacuationInput(evacuated=5, region_code=TOWN))  # fmt: skip
    with pytest.raises(NotFound):  # a link of this warning only
        report_evacuation(session, warning_id=uuid.uuid4(), token=token_a, settings=settings,
                          now=NOW, data=data)  # fmt: skip
    with pytest.raises(NotFound):
        forged = token_a[:-2] + ("A" if token_a[-2] != "A" else "B") + token_a[-1]
        report_evacuation(session, warning_id=warning_id, token=forged, settings=settings,
                          now=NOW, data=data)  # fmt: skip
    with pytest.raises(InvalidInput):
        unknown = EvacuationInput(evacuated=5, region_code="999999")
        report_evacuation(session, warning_id=warning_id, token=token_a, settings=settings,
                          now=NOW, data=unknown)  # fmt: skip
    # After acknowledging, the link still reports, as often as needed.
    target = found["村A"]
    acknowledge_by_reply(session, phone=target.mobile or "", code=target.reply_code, now=NOW)
    town_token = make_token(key_of(settings), found["街道"].id, found["街道"].token_nonce)
    for link, code in ((token_a, None), (token_a, None), (town_token, VILLAGE_A)):
        one = EvacuationInput(evacuated=1, region_code=code)
        report = report_evacuation(session, warning_id=warning_id, token=link,
                                   settings=settings, now=NOW, data=one)  # fmt: skip
        assert report.region_code == VILLAGE_A


def test_the_board_counts_answers_per_region_and_lists_the_silent(
    session: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    warning_id, found = _setup(session)
    target = found["村A"]
    acknowledge_by_reply(session, phone=target.mobile or "", code=target.reply_code, now=NOW)
    session.commit()
    Dispatcher(session_factory, settings, channels=recorders()).run_pass(at(5))  # deadline
    session.expire_all()
    commander = region_actor(session, role=Role.COMMANDER, code="420500")

    board = tracking_board(session, actor=commander, warning_id=warning_id)
    assert [(r.region_code, r.acknowledged, r.escalated) for r in board.regions] == [(COUNTY, 1, 2)]
    assert board.totals.asked == 3 and board.unanswered_total == 2
    assert sorted(u.name for u in board.unanswered) == ["村B", "街道"]
    assert all(u.escalated for u in board.unanswered)

    town = tracking_board(session, actor=commander, warning_id=warning_id, region_code=TOWN)
    assert [(r.region_code, r.acknowledged, r.escalated) for r in town.regions] == [
        (TOWN, 0, 1), (VILLAGE_A, 1, 0), (VILLAGE_B, 0, 1),
    ]  # fmt: skip
    duty = region_actor(session, role=Role.DUTY_OFFICER, code=VILLAGE_B)
    own = tracking_board(session, actor=duty, warning_id=warning_id)
    assert [u.name for u in own.unanswered] == ["村B"] and own.totals.asked == 1
    with pytest.raises(Forbidden):
        tracking_board(session, actor=duty, warning_id=warning_id, region_code=TOWN)
    grassroots = region_actor(session, role=Role.GRASSROOTS, code=VILLAGE_A)
    with pytest.raises(Forbidden):  # no warning:track
        tracking_board(session, actor=grassroots, warning_id=warning_id)
    elsewhere = region_actor(session, role=Role.COMMANDER, code="420100")
    with pytest.raises(NotFound):  # a warning of another city is not theirs to see
        tracking_board(session, actor=elsewhere, warning_id=warning_id)
