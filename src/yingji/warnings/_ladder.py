"""The ladder of one person (叫应): which channel next, and when. Pure: no database, no clock.

The rules (data/warnings.toml) give rungs ``(channel, delay_seconds)``; a target stands at a
rung ``(cycle, step)``. Rung ``step`` of a cycle is due ``delay_seconds`` after the previous
rung was taken; the first rung of the next cycle ``repeat_after_seconds`` (plus its own delay)
after the last rung of a cycle. ``cycles`` cycles make a *round*; after a round the ladder
rests (``step == len(steps)``) until the warning is updated, which starts a new round at once.
Rounds are numbered implicitly: round r holds cycles ``r * cycles … r * cycles + cycles - 1``,
so no counter needs storing and a rung's ``(cycle, step)`` never repeats within a target,
which is what the unique (target, cycle, step) of delivery attempts relies on.

A rung on a channel the person cannot be reached on (no account: no in-app; no mobile: no SMS
or voice; no address: no email) is skipped without a message, keeping its place in time.

Members of the public are told, not asked: one rung on the first of ``public_channels`` they
can be reached on. Notices (解除/撤销) use their own cycle, ``NOTICE_CYCLE``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from yingji.warnings.channels import ChannelName
from yingji.warnings.config import LadderStep, WarningRules

NOTICE_CYCLE: Final = -1  # the one informational notice of a lift or cancellation
PUBLIC_STEP: Final = 0

CanReach = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Ladder:
    """The ladder of the rules, as the dispatcher uses it."""

    steps: tuple[LadderStep, ...]
    repeat_after: timedelta
    cycles: int
    public_channels: tuple[str, ...]

    @classmethod
    def of(cls, rules: WarningRules) -> Ladder:
        """Return the ladder of a set of rules."""
        return cls(
            steps=rules.steps,
            repeat_after=timedelta(seconds=rules.repeat_after_seconds),
            cycles=rules.cycles,
            public_channels=rules.public_channels,
        )

    @property
    def rested(self) -> int:
        """The step of a ladder that has finished its round."""
        return len(self.steps)

    def next_round(self, cycle: int) -> int:
        """Return the first cycle of the round after the one ``cycle`` belongs to."""
        return (max(cycle, 0) // self.cycles + 1) * self.cycles

    def _gap(self, step: int) -> timedelta:
        """Return the wait before rung ``step`` (of the next cycle when ``step`` is 0)."""
        delay = timedelta(seconds=self.steps[step].delay_seconds)
        return self.repeat_after + delay if step == 0 else delay

    def _after(self, cycle: int, step: int) -> tuple[int, int] | None:
        """Return the rung after ``(cycle, step)``, or None at the end of the round."""
        if step + 1 < len(self.steps):
            return cycle, step + 1
        if (cycle + 1) % self.cycles == 0:
            return None
        return cycle + 1, 0


@dataclass(frozen=True, slots=True)
class Rung:
    """One message to send now: the rung's place and its channel."""

    cycle: int
    step: int
    channel: ChannelName


@dataclass(frozen=True, slots=True)
class Advance:
    """The rungs taken now and where the ladder stands after them."""

    rungs: tuple[Rung, ...]
    cycle: int
    step: int
    next_at: datetime | None  # when the next rung is due; None: the round is over


def reachable(channel: str, *, user_id: object, mobile: str | None, email: str | None) -> bool:
    """Return whether a person can be reached on a channel at all."""
    if channel == ChannelName.INAPP:
        return user_id is not None
    if channel in (ChannelName.SMS, ChannelName.VOICE):
        return bool(mobile)
    if channel == ChannelName.EMAIL:
        return bool(email)
    return False  # webhooks carry no person


def advance(
    ladder: Ladder, *, cycle: int, step: int, now: datetime, can_reach: CanReach
) -> Advance:
    """Take the rung at ``(cycle, step)`` (due now) and every rung due with it."""
    if step >= ladder.rested or not any(can_reach(s.channel) for s in ladder.steps):
        return Advance((), cycle, ladder.rested, None)
    rungs: list[Rung] = []
    while True:
        channel = ladder.steps[step].channel
        if can_reach(channel):
            rungs.append(Rung(cycle, step, ChannelName(channel)))
        after = ladder._after(cycle, step)
        if after is None:
            return Advance(tuple(rungs), cycle, ladder.rested, None)
        cycle, step = after
        gap = ladder._gap(step)
        if gap > timedelta(0):
            return Advance(tuple(rungs), cycle, step, now + gap)


def due_after(
    ladder: Ladder, *, taken: tuple[int, int], taken_at: datetime, next_rung: tuple[int, int]
) -> datetime | None:
    """Return when rung ``next_rung`` is due, given that rung ``taken`` was taken at a time.

    None when ``next_rung`` is not ahead of ``taken`` in the same round (the caller then
    treats it as due at once).
    """
    cycle, step = taken
    moment = taken_at
    for _ in range(ladder.cycles * len(ladder.steps) + 1):
        if (cycle, step) == next_rung:
            return moment
        after = ladder._after(cycle, step)
        if after is None:
            return None
        cycle, step = after
        moment += ladder._gap(step)
    return None


def public_channel(ladder: Ladder, can_reach: CanReach) -> ChannelName | None:
    """Return the channel a member of the public is told on, if any."""
    for channel in ladder.public_channels:
        if can_reach(channel):
            return ChannelName(channel)
    return None


def notice_channel(reached: Sequence[str], can_reach: CanReach) -> ChannelName | None:
    """Return the channel of a lift/cancel notice: SMS if reached by phone, else in-app, email."""
    by_phone = ChannelName.SMS in reached or ChannelName.VOICE in reached
    if by_phone and can_reach(ChannelName.SMS):
        return ChannelName.SMS
    for channel in (ChannelName.INAPP, ChannelName.EMAIL):
        if channel in reached and can_reach(channel):
            return channel
    return None
