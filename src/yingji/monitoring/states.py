"""The alarm lifecycle as data: ONE transition table (the ThingsBoard model, plus a disposition).

An alarm is *active* while its rule holds and *cleared* once it no longer does; independently,
people *acknowledge* it. So its status is one of four::

    active_unack --acknowledge--> active_ack
    active_*     --clear-------->  cleared_*         (the rule no longer holds)
    active_ack   --escalate----->  active_unack      (the level rose: it must be seen again)
    cleared_*    --reactivate--->  active_unack      (the same rule again, before disposal)
    cleared_unack --acknowledge--> cleared_ack

``dispose`` records what the alarm was (real, false alarm, test, maintenance) with a note; it
does not move the status, and an alarm is *handled* once it is cleared, acknowledged and
disposed. There is at most one open (not handled) alarm per originator and rule: a rule that
fires again while its alarm is open updates or reactivates that alarm.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from yingji.core.errors import IllegalTransition

ENTITY: Final = "alarm"


class AlarmStatus(StrEnum):
    """Active or cleared × unacknowledged or acknowledged."""

    ACTIVE_UNACK = "active_unack"
    ACTIVE_ACK = "active_ack"
    CLEARED_UNACK = "cleared_unack"
    CLEARED_ACK = "cleared_ack"

    @property
    def active(self) -> bool:
        """Return whether the rule still holds."""
        return self in (AlarmStatus.ACTIVE_UNACK, AlarmStatus.ACTIVE_ACK)

    @property
    def acknowledged(self) -> bool:
        """Return whether a person has acknowledged the alarm."""
        return self in (AlarmStatus.ACTIVE_ACK, AlarmStatus.CLEARED_ACK)


class AlarmAction(StrEnum):
    """What can happen to an alarm; the engine does the first three, people the rest."""

    CLEAR = "clear"
    ESCALATE = "escalate"  # its level rose
    REACTIVATE = "reactivate"
    ACKNOWLEDGE = "acknowledge"


class Disposition(StrEnum):
    """What an alarm turned out to be (处置结论)."""

    REAL = "real"
    FALSE_ALARM = "false_alarm"
    TEST = "test"
    MAINTENANCE = "maintenance"


class Severity(StrEnum):
    """The four warning colours (红/橙/黄/蓝 = 重大/较大/一般/较低), as levels 4…1."""

    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"

    @property
    def level(self) -> int:
        """Return 1 (blue) … 4 (red)."""
        return _LEVELS.index(self) + 1

    @classmethod
    def of(cls, level: int) -> Severity:
        """Return the severity of a level 1…4."""
        if not 1 <= level <= 4:
            raise ValueError(f"no severity for level {level}")
        return _LEVELS[level - 1]


_LEVELS: Final = (Severity.BLUE, Severity.YELLOW, Severity.ORANGE, Severity.RED)

S, A = AlarmStatus, AlarmAction
TRANSITIONS: Final[Mapping[tuple[AlarmStatus, AlarmAction], AlarmStatus]] = MappingProxyType(
    {
        (S.ACTIVE_UNACK, A.ACKNOWLEDGE): S.ACTIVE_ACK,
        (S.ACTIVE_UNACK, A.CLEAR): S.CLEARED_UNACK,
        (S.ACTIVE_UNACK, A.ESCALATE): S.ACTIVE_UNACK,
        (S.ACTIVE_ACK, A.CLEAR): S.CLEARED_ACK,
        (S.ACTIVE_ACK, A.ESCALATE): S.ACTIVE_UNACK,
        (S.CLEARED_UNACK, A.ACKNOWLEDGE): S.CLEARED_ACK,
        (S.CLEARED_UNACK, A.REACTIVATE): S.ACTIVE_UNACK,
        (S.CLEARED_ACK, A.REACTIVATE): S.ACTIVE_UNACK,
    }
)


def allowed_actions(status: AlarmStatus) -> list[AlarmAction]:
    """Return the actions an alarm in a status accepts."""
    return [action for (state, action) in TRANSITIONS if state is status]


def next_status(status: AlarmStatus, action: AlarmAction) -> AlarmStatus:
    """Return the status after an action, or raise IllegalTransition (409) naming the allowed."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        error = IllegalTransition(entity=ENTITY, current=status.value, target=action.value)
        error.details["action"] = action.value
        error.details["allowed"] = [a.value for a in allowed_actions(status)]
        raise error
    return target
