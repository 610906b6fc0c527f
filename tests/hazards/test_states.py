"""Pure, table-driven tests of the hazard lifecycle (cn-rules §3.6)."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from yingji.core.errors import IllegalTransition
from yingji.hazards.states import (
    TRANSITIONS,
    HazardAction,
    HazardGrade,
    HazardSource,
    HazardStatus,
    allowed_actions,
    ensure_allowed,
)

S, A = HazardStatus, HazardAction

# Written out again on purpose: changing the lifecycle must change this test too.
EXPECTED = {
    (S.REPORTED, A.CONFIRM): S.CONFIRMED,
    (S.REPORTED, A.REJECT): S.REJECTED,
    (S.CONFIRMED, A.START_RECTIFICATION): S.RECTIFYING,
    (S.RECTIFYING, A.SUBMIT_RECTIFICATION): S.RECTIFIED,
    (S.RECTIFIED, A.VERIFY_PASS): S.VERIFIED,
    (S.RECTIFIED, A.VERIFY_FAIL): S.RECTIFYING,
    (S.VERIFIED, A.CLOSE): S.CLOSED,
}
ALL_PAIRS = list(product(HazardStatus, HazardAction))


def test_table_is_exactly_the_expected_lifecycle() -> None:
    assert dict(TRANSITIONS) == EXPECTED


def test_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[(S.CLOSED, A.CONFIRM)] = S.CONFIRMED  # type: ignore[index]


@pytest.mark.parametrize(("current", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_status_action_pair(current: HazardStatus, action: HazardAction) -> None:
    if (current, action) in EXPECTED:
        assert ensure_allowed(current, action) is EXPECTED[(current, action)]
        assert action in allowed_actions(current)
    else:
        with pytest.raises(IllegalTransition) as caught:
            ensure_allowed(current, action)
        assert caught.value.details["current"] == current.value
        assert caught.value.details["action"] == action.value
        assert caught.value.details["entity"] == "hazard"
        assert action not in allowed_actions(current)


def test_refusal_names_the_target_of_the_action() -> None:
    with pytest.raises(IllegalTransition) as caught:
        ensure_allowed(S.CLOSED, A.VERIFY_FAIL)
    assert caught.value.details["target"] == "rectifying"
    assert caught.value.status_code == 409
    assert caught.value.to_dict()["error"] == "illegal_transition"


@pytest.mark.parametrize("status", list(HazardStatus))
def test_terminal_states_have_no_actions_and_others_do(status: HazardStatus) -> None:
    assert status.terminal == (allowed_actions(status) == ())


def test_terminal_states_are_rejected_and_closed() -> None:
    assert {s for s in HazardStatus if s.terminal} == {S.REJECTED, S.CLOSED}


def test_allowed_actions_follow_declaration_order() -> None:
    assert allowed_actions(S.RECTIFIED) == (A.VERIFY_PASS, A.VERIFY_FAIL)
    assert allowed_actions(S.REPORTED) == (A.CONFIRM, A.REJECT)


def test_failed_verification_loops_back_until_it_passes() -> None:
    status = S.REPORTED
    for action in (
        A.CONFIRM,
        A.START_RECTIFICATION,
        A.SUBMIT_RECTIFICATION,
        A.VERIFY_FAIL,
        A.SUBMIT_RECTIFICATION,
        A.VERIFY_PASS,
        A.CLOSE,
    ):
        status = ensure_allowed(status, action)
    assert status is S.CLOSED


def test_verified_is_not_closed_until_the_close_act() -> None:
    assert not S.VERIFIED.terminal
    assert allowed_actions(S.VERIFIED) == (A.CLOSE,)


def test_every_status_is_reachable_from_reported() -> None:
    reached, frontier = {S.REPORTED}, [S.REPORTED]
    while frontier:
        current = frontier.pop()
        for action in allowed_actions(current):
            target = ensure_allowed(current, action)
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(HazardStatus)


def test_every_action_is_used_and_has_one_target() -> None:
    targets: dict[HazardAction, set[HazardStatus]] = {}
    for (_, action), target in TRANSITIONS.items():
        targets.setdefault(action, set()).add(target)
    assert set(targets) == set(HazardAction)
    assert all(len(found) == 1 for found in targets.values())


@pytest.mark.parametrize("enum", [HazardStatus, HazardAction, HazardSource, HazardGrade])
def test_labels_are_present_and_distinct(enum: Any) -> None:
    members = list(enum)
    zh = [m.zh for m in members]
    en = [m.en for m in members]
    assert all(zh) and all(en)
    assert len(set(zh)) == len(members) == len(set(en))


def test_values_are_the_stored_strings() -> None:
    assert [s.value for s in HazardStatus] == [
        "reported",
        "confirmed",
        "rejected",
        "rectifying",
        "rectified",
        "verified",
        "closed",
    ]
    assert [s.value for s in HazardSource] == [
        "self_inspection",
        "supervisory_inspection",
        "public_report",
        "monitoring_alarm",
        "accident_lesson",
    ]
    assert HazardStatus.CLOSED.zh == "已销号"


def test_grades() -> None:
    assert HazardGrade.MAJOR.requires_plan
    assert not HazardGrade.GENERAL.requires_plan
    assert HazardGrade.MAJOR.zh == "重大事故隐患"
    assert HazardGrade.GENERAL.zh == "一般事故隐患"
