"""The warning lifecycle and the 叫应 of each target, as data: one transition table each.

A warning (突发事件应对法 第64条, 第70条)::

    draft --submit--> pending_approval --approve--> issued --update--> issued
      ^                  |                           |--lift-----> lifted      (解除, 第70条)
      +-----reject-------+                           +--cancel---> cancelled   (issued in error)
    draft / pending_approval --cancel--> cancelled (withdrawn before issue)

Each step is taken by the role the permission table allows (drafting: warning:draft; approve,
update, lift, cancel of an issued warning: warning:issue), audited, with its event.

A target (cn-rules §2.3: a responsible person must be 叫醒 and answer)::

    pending --acknowledge--> acknowledged
    pending --escalate-----> escalated     (no answer in the window: 未叫应, the superior is called)
    escalated --acknowledge--> acknowledged (late, still recorded)
    pending / escalated --close--> closed  (the warning was lifted or cancelled first)

A delivery receipt never moves a target: only a human acknowledgement does.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

from yingji.core.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)

ENTITY: Final = "warning"
TARGET_ENTITY: Final = "warning_target"


class WarningStatus(StrEnum):
    """Where a warning is in its life."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    ISSUED = "issued"
    LIFTED = "lifted"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Return whether the warning is in force (issued, not lifted or cancelled)."""
        return self is WarningStatus.ISSUED


class WarningAction(StrEnum):
    """What can be done to a warning."""

    SUBMIT = "submit"
    REJECT = "reject"
    APPROVE = "approve"  # and issue
    UPDATE = "update"  # level up or down, area or text changed: re-issued (第70条 调整)
    LIFT = "lift"  # 解除
    CANCEL = "cancel"


W, WA = WarningStatus, WarningAction
TRANSITIONS: Final[Mapping[tuple[WarningStatus, WarningAction], WarningStatus]] = MappingProxyType(
    {
        (W.DRAFT, WA.SUBMIT): W.PENDING_APPROVAL,
        (W.DRAFT, WA.CANCEL): W.CANCELLED,
        (W.PENDING_APPROVAL, WA.REJECT): W.DRAFT,
        (W.PENDING_APPROVAL, WA.APPROVE): W.ISSUED,
        (W.PENDING_APPROVAL, WA.CANCEL): W.CANCELLED,
        (W.ISSUED, WA.UPDATE): W.ISSUED,
        (W.ISSUED, WA.LIFT): W.LIFTED,
        (W.ISSUED, WA.CANCEL): W.CANCELLED,
    }
)


def allowed_actions(status: WarningStatus) -> list[WarningAction]:
    """Return the actions a warning in a status accepts."""
    return [action for (state, action) in TRANSITIONS if state is status]


def _next(table: Mapping[tuple[S, A], S], entity: str, status: S, action: A) -> S:
    """Return the state a transition table gives, or raise IllegalTransition (409) naming the
    actions the state allows."""
    target = table.get((status, action))
    if target is None:
        error = IllegalTransition(entity=entity, current=status.value, target=action.value)
        error.details["action"] = action.value
        error.details["allowed"] = [a.value for (state, a) in table if state is status]
        raise error
    return target


def next_status(status: WarningStatus, action: WarningAction) -> WarningStatus:
    """Return the status after an action, or raise IllegalTransition (409) naming the allowed."""
    return _next(TRANSITIONS, ENTITY, status, action)


class TargetStatus(StrEnum):
    """Where a target's 叫应 stands."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"  # 未叫应: the window passed; still asked, the superior called too
    CLOSED = "closed"  # the warning ended before an answer

    @property
    def open(self) -> bool:
        """Return whether an answer is still awaited."""
        return self in (TargetStatus.PENDING, TargetStatus.ESCALATED)


class TargetAction(StrEnum):
    """What can happen to a target."""

    ACKNOWLEDGE = "acknowledge"
    ESCALATE = "escalate"
    CLOSE = "close"
    REACKNOWLEDGE = "reacknowledge"  # the level rose: those who answered must answer again


T, TA = TargetStatus, TargetAction
TARGET_TRANSITIONS: Final[Mapping[tuple[TargetStatus, TargetAction], TargetStatus]] = (
    MappingProxyType(
        {
            (T.PENDING, TA.ACKNOWLEDGE): T.ACKNOWLEDGED,
            (T.PENDING, TA.ESCALATE): T.ESCALATED,
            (T.PENDING, TA.CLOSE): T.CLOSED,
            (T.ESCALATED, TA.ACKNOWLEDGE): T.ACKNOWLEDGED,
            (T.ESCALATED, TA.CLOSE): T.CLOSED,
            (T.ACKNOWLEDGED, TA.REACKNOWLEDGE): T.PENDING,
        }
    )
)


def next_target_status(status: TargetStatus, action: TargetAction) -> TargetStatus:
    """Return a target's status after an action, or raise IllegalTransition (409)."""
    return _next(TARGET_TRANSITIONS, TARGET_ENTITY, status, action)
