"""The lifecycle of an inspection task, with every allowed transition in ONE table."""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from yingji.core.errors import IllegalTransition

ENTITY: Final = "inspection_task"


class TaskStatus(StrEnum):
    """Where an inspection task stands."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskAction(StrEnum):
    """What can be done to an inspection task."""

    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


_S, _A = TaskStatus, TaskAction

# The single table of allowed transitions: (current, action) -> next status.
TRANSITIONS: Final = MappingProxyType(
    {
        (_S.PENDING, _A.START): _S.IN_PROGRESS,
        (_S.IN_PROGRESS, _A.COMPLETE): _S.COMPLETED,
        (_S.PENDING, _A.CANCEL): _S.CANCELLED,
        (_S.IN_PROGRESS, _A.CANCEL): _S.CANCELLED,
    }
)
_TARGET_OF: Final = MappingProxyType(
    {action: target for (_, action), target in TRANSITIONS.items()}
)


def ensure_allowed(current: TaskStatus, action: TaskAction) -> TaskStatus:
    """Return the status ``action`` leads to from ``current``, or raise IllegalTransition."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        error = IllegalTransition(
            entity=ENTITY, current=current.value, target=_TARGET_OF[action].value
        )
        error.details["action"] = action.value
        error.details["allowed"] = [a.value for a in allowed_actions(current)]
        raise error
    return target


def allowed_actions(current: TaskStatus) -> tuple[TaskAction, ...]:
    """Return the actions permitted from ``current`` (empty once completed or cancelled)."""
    return tuple(action for action in TaskAction if (current, action) in TRANSITIONS)
