"""The lifecycles of a public report (举报) and of its reward, each as ONE transition table.

Report::

    received --accept--> accepted --conclude_true--> verified      (经核查属实)
    received --reject--> rejected  (不予受理, reason required)
    accepted --conclude_false--> unfounded                          (经核查不属实)
    received/accepted --extend--> same status (once, +30 days, reason required)

Reward (安监总财〔2018〕19号, only for a verified report)::

    none --propose--> proposed --approve--> approved --notify--> notified --pay--> paid
    proposed --refuse--> refused --propose--> proposed
    notified --lapse--> lapsed   (the claim window passed unclaimed)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from yingji.core.errors import IllegalTransition


class ReportStatus(StrEnum):
    """Where a report stands."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    VERIFIED = "verified"
    UNFOUNDED = "unfounded"

    @property
    def open(self) -> bool:
        """Return whether the report still awaits handling (the due date applies)."""
        return self in (ReportStatus.RECEIVED, ReportStatus.ACCEPTED)


class ReportAction(StrEnum):
    """What the bureau does to a report."""

    ACCEPT = "accept"
    REJECT = "reject"
    EXTEND = "extend"
    CONCLUDE_TRUE = "conclude_true"
    CONCLUDE_FALSE = "conclude_false"


class RewardStatus(StrEnum):
    """Where a report's reward stands."""

    NONE = "none"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REFUSED = "refused"
    NOTIFIED = "notified"
    PAID = "paid"
    LAPSED = "lapsed"


class RewardAction(StrEnum):
    """A step of the reward workflow."""

    PROPOSE = "propose"
    APPROVE = "approve"
    REFUSE = "refuse"
    NOTIFY = "notify"
    PAY = "pay"
    LAPSE = "lapse"


S, A = ReportStatus, ReportAction
REPORT_TRANSITIONS: Final[Mapping[tuple[ReportStatus, ReportAction], ReportStatus]] = (
    MappingProxyType(
        {
            (S.RECEIVED, A.ACCEPT): S.ACCEPTED,
            (S.RECEIVED, A.REJECT): S.REJECTED,
            (S.RECEIVED, A.EXTEND): S.RECEIVED,
            (S.ACCEPTED, A.EXTEND): S.ACCEPTED,
            (S.ACCEPTED, A.CONCLUDE_TRUE): S.VERIFIED,
            (S.ACCEPTED, A.CONCLUDE_FALSE): S.UNFOUNDED,
        }
    )
)

W, RA = RewardStatus, RewardAction
REWARD_TRANSITIONS: Final[Mapping[tuple[RewardStatus, RewardAction], RewardStatus]] = (
    MappingProxyType(
        {
            (W.NONE, RA.PROPOSE): W.PROPOSED,
            (W.REFUSED, RA.PROPOSE): W.PROPOSED,
            (W.PROPOSED, RA.APPROVE): W.APPROVED,
            (W.PROPOSED, RA.REFUSE): W.REFUSED,
            (W.APPROVED, RA.NOTIFY): W.NOTIFIED,
            (W.NOTIFIED, RA.PAY): W.PAID,
            (W.NOTIFIED, RA.LAPSE): W.LAPSED,
        }
    )
)
# Rewards that count as given to a report (the first valid reporter only).
ACTIVE_REWARDS: Final = frozenset({W.PROPOSED, W.APPROVED, W.NOTIFIED, W.PAID})


def allowed_report_actions(current: ReportStatus) -> tuple[ReportAction, ...]:
    """Return the report actions permitted from ``current``."""
    return tuple(a for a in ReportAction if (current, a) in REPORT_TRANSITIONS)


def allowed_reward_actions(current: RewardStatus) -> tuple[RewardAction, ...]:
    """Return the reward actions permitted from ``current``."""
    return tuple(a for a in RewardAction if (current, a) in REWARD_TRANSITIONS)


def ensure_report(current: ReportStatus, action: ReportAction) -> ReportStatus:
    """Return the status an action leads to, or raise IllegalTransition naming what is allowed."""
    target = REPORT_TRANSITIONS.get((current, action))
    if target is None:
        error = IllegalTransition(entity="public_report", current=current.value, target=action)
        error.details["action"] = action.value
        error.details["allowed"] = [a.value for a in allowed_report_actions(current)]
        raise error
    return target


def ensure_reward(current: RewardStatus, action: RewardAction) -> RewardStatus:
    """Return the reward status an action leads to, or raise IllegalTransition."""
    target = REWARD_TRANSITIONS.get((current, action))
    if target is None:
        error = IllegalTransition(entity="reward", current=current.value, target=action)
        error.details["action"] = action.value
        error.details["allowed"] = [a.value for a in allowed_reward_actions(current)]
        raise error
    return target
