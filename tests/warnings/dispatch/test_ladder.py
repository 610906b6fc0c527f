"""The ladder alone: order, delays, cycles, rounds, skipping unreachable channels."""

from __future__ import annotations

import datetime as dt

import pytest

from yingji.warnings._ladder import (
    Ladder,
    advance,
    due_after,
    notice_channel,
    public_channel,
    reachable,
)
from yingji.warnings.channels import ChannelName
from yingji.warnings.config import LadderStep

T0 = dt.datetime(2026, 7, 20, 0, 30, tzinfo=dt.UTC)
LADDER = Ladder(
    steps=(LadderStep("inapp", 0), LadderStep("sms", 0), LadderStep("voice", 120)),
    repeat_after=dt.timedelta(seconds=180),
    cycles=3,
    public_channels=("sms", "email"),
)


def everything(channel: str) -> bool:
    return True


def walk(can_reach: object, *, until: int = 20) -> list[tuple[int, str, int, int]]:
    """Run a ladder from its start; return (seconds, channel, cycle, step) of each rung."""
    out = []
    cycle, step, at = 0, 0, T0
    for _ in range(until):
        moved = advance(LADDER, cycle=cycle, step=step, now=at, can_reach=can_reach)  # type: ignore[arg-type]
        seconds = int((at - T0).total_seconds())
        out += [(seconds, r.channel.value, r.cycle, r.step) for r in moved.rungs]
        if moved.next_at is None:
            break
        cycle, step, at = moved.cycle, moved.step, moved.next_at
    return out


def test_rungs_follow_the_configured_order_delays_and_cycles() -> None:
    assert walk(everything) == [
        (0, "inapp", 0, 0), (0, "sms", 0, 1), (120, "voice", 0, 2),
        (300, "inapp", 1, 0), (300, "sms", 1, 1), (420, "voice", 1, 2),
        (600, "inapp", 2, 0), (600, "sms", 2, 1), (720, "voice", 2, 2),
    ]  # fmt: skip


def test_unreachable_channels_are_skipped_keeping_time() -> None:
    phone_only = walk(lambda c: c in ("sms", "voice"))
    assert [r[1] for r in phone_only] == ["sms", "voice"] * 3
    assert [r[0] for r in phone_only] == [0, 120, 300, 420, 600, 720]
    assert [r[1] for r in walk(lambda c: c == "inapp")] == ["inapp"] * 3
    assert walk(lambda c: False) == []


def test_a_finished_round_rests_and_the_next_round_starts_fresh() -> None:
    done = advance(LADDER, cycle=2, step=2, now=T0, can_reach=everything)
    assert done.next_at is None and done.step == LADDER.rested and done.cycle == 2
    rested = advance(LADDER, cycle=2, step=LADDER.rested, now=T0, can_reach=everything)
    assert rested.rungs == ()
    assert [LADDER.next_round(c) for c in (0, 1, 2, 3, 5)] == [3, 3, 3, 6, 6]


@pytest.mark.parametrize(
    ("taken", "rung", "seconds"),
    [((0, 1), (0, 2), 120), ((0, 2), (1, 0), 180), ((0, 1), (1, 1), 300), ((2, 2), (3, 0), None)],
)
def test_the_next_rung_time_is_recomputed_from_the_last_taken(
    taken: tuple[int, int], rung: tuple[int, int], seconds: int | None
) -> None:
    due = due_after(LADDER, taken=taken, taken_at=T0, next_rung=rung)
    assert due == (None if seconds is None else T0 + dt.timedelta(seconds=seconds))


def test_channels_people_can_be_reached_on() -> None:
    assert reachable("inapp", user_id=1, mobile=None, email=None)
    assert not reachable("inapp", user_id=None, mobile="+8613800000000", email=None)
    assert reachable("voice", user_id=None, mobile="+8613800000000", email=None)
    assert not reachable("sms", user_id=1, mobile=None, email="a@b.cn")
    assert reachable("email", user_id=None, mobile=None, email="a@b.cn")
    assert not reachable("webhook", user_id=1, mobile="+8613800000000", email="a@b.cn")
    assert public_channel(LADDER, lambda c: c == "email") is ChannelName.EMAIL
    assert public_channel(LADDER, lambda c: False) is None
    assert notice_channel(["voice"], everything) is ChannelName.SMS
    assert notice_channel(["inapp"], everything) is ChannelName.INAPP
    assert notice_channel([], everything) is None
