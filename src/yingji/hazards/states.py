"""The hazard (事故隐患) lifecycle as data: statuses, grades, sources and ONE transition table.

Closed loop of 安监总局令第16号《安全生产事故隐患排查治理暂行规定》(cn-rules §3.6)::

    reported --confirm--> confirmed --start_rectification--> rectifying
    reported --reject---> rejected (terminal)
    rectifying --submit_rectification--> rectified --verify_pass--> verified --close--> closed
    rectified --verify_fail--> rectifying          (a failed verification goes back to work)

``verify_pass`` and ``close`` are deliberately two steps. Verification (验收) is the technical
check that the measures worked, done by someone other than the rectifier. Closing (销号/核销)
is the administrative act that takes the hazard off the books: for a 挂牌督办 major hazard it is
the supervising department's 核销 and resumption approval, issued after its on-site acceptance
(cn-rules §3.6, 湖北 example: within 10 days). Keeping ``verified`` as a state lets a verified
hazard wait for that decision, with its own permission and event. For a general hazard the
service may apply both actions in one request; it still records two transitions.

The grade (一般/重大) is an attribute set on confirmation, not a status: the same table serves
both grades, and the grade-specific rules live in ``yingji.hazards.rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from yingji.core.errors import IllegalTransition

ENTITY: Final = "hazard"


class HazardStatus(StrEnum):
    """Where a hazard stands in its closed loop; ``terminal`` members accept no action."""

    REPORTED = "reported"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    VERIFIED = "verified"
    CLOSED = "closed"

    @property
    def terminal(self) -> bool:
        """Return whether the lifecycle ends here (rejected, or closed after 销号)."""
        return _STATUS_INFO[self].terminal

    @property
    def zh(self) -> str:
        """Return the Chinese label, e.g. 整改中."""
        return _STATUS_INFO[self].zh

    @property
    def en(self) -> str:
        """Return the English label, e.g. Under rectification."""
        return _STATUS_INFO[self].en


class _StatusInfo(NamedTuple):
    terminal: bool
    zh: str
    en: str


_STATUS_INFO: Final[Mapping[HazardStatus, _StatusInfo]] = MappingProxyType(
    {
        HazardStatus.REPORTED: _StatusInfo(False, "已上报", "Reported"),
        HazardStatus.CONFIRMED: _StatusInfo(False, "已确认", "Confirmed"),
        HazardStatus.REJECTED: _StatusInfo(True, "不予确认", "Rejected"),
        HazardStatus.RECTIFYING: _StatusInfo(False, "整改中", "Under rectification"),
        HazardStatus.RECTIFIED: _StatusInfo(False, "已整改待验收", "Rectified"),
        HazardStatus.VERIFIED: _StatusInfo(False, "已验收待销号", "Verified"),
        HazardStatus.CLOSED: _StatusInfo(True, "已销号", "Closed"),
    }
)


class HazardGrade(StrEnum):
    """The two grades of 安监总局令第16号 第三条 (cn-rules §3.6)."""

    GENERAL = "general"
    """一般事故隐患: 危害和整改难度较小，发现后能够立即整改排除的隐患."""

    MAJOR = "major"
    """重大事故隐患: 危害和整改难度较大，应当全部或者局部停产停业，并经过一定时间整改治理方能排除
    的隐患，或者因外部因素影响致使生产经营单位自身难以排除的隐患. An item matching a 重大事故隐患
    判定标准 (cn-rules §4) is major by definition."""

    @property
    def zh(self) -> str:
        """Return the Chinese term, e.g. 重大事故隐患."""
        return "重大事故隐患" if self is HazardGrade.MAJOR else "一般事故隐患"

    @property
    def en(self) -> str:
        """Return the English term, e.g. Major accident hazard."""
        return "Major accident hazard" if self is HazardGrade.MAJOR else "General accident hazard"

    @property
    def requires_plan(self) -> bool:
        """Return whether rectification needs the full 治理方案 (16号令 第十五条)."""
        return self is HazardGrade.MAJOR


class HazardSource(StrEnum):
    """How the hazard came to light."""

    SELF_INSPECTION = "self_inspection"
    SUPERVISORY_INSPECTION = "supervisory_inspection"
    PUBLIC_REPORT = "public_report"
    MONITORING_ALARM = "monitoring_alarm"
    ACCIDENT_LESSON = "accident_lesson"

    @property
    def zh(self) -> str:
        """Return the Chinese label, e.g. 企业自查."""
        return _SOURCE_LABELS[self][0]

    @property
    def en(self) -> str:
        """Return the English label, e.g. Self-inspection."""
        return _SOURCE_LABELS[self][1]


_SOURCE_LABELS: Final[Mapping[HazardSource, tuple[str, str]]] = MappingProxyType(
    {
        HazardSource.SELF_INSPECTION: ("企业自查", "Self-inspection"),
        HazardSource.SUPERVISORY_INSPECTION: ("监督检查", "Supervisory inspection"),
        HazardSource.PUBLIC_REPORT: ("群众举报", "Public report"),
        HazardSource.MONITORING_ALARM: ("监测报警", "Monitoring alarm"),
        HazardSource.ACCIDENT_LESSON: ("事故教训", "Accident lesson"),
    }
)


class HazardAction(StrEnum):
    """A named step of the lifecycle; each maps to exactly one target status."""

    CONFIRM = "confirm"
    REJECT = "reject"
    START_RECTIFICATION = "start_rectification"
    SUBMIT_RECTIFICATION = "submit_rectification"
    VERIFY_PASS = "verify_pass"
    VERIFY_FAIL = "verify_fail"
    CLOSE = "close"

    @property
    def zh(self) -> str:
        """Return the Chinese label for a button or an audit line, e.g. 验收通过."""
        return _ACTION_LABELS[self][0]

    @property
    def en(self) -> str:
        """Return the English label, e.g. Pass verification."""
        return _ACTION_LABELS[self][1]


_ACTION_LABELS: Final[Mapping[HazardAction, tuple[str, str]]] = MappingProxyType(
    {
        HazardAction.CONFIRM: ("确认定级", "Confirm"),
        HazardAction.REJECT: ("不予确认", "Reject"),
        HazardAction.START_RECTIFICATION: ("开始整改", "Start rectification"),
        HazardAction.SUBMIT_RECTIFICATION: ("提交整改", "Submit rectification"),
        HazardAction.VERIFY_PASS: ("验收通过", "Pass verification"),
        HazardAction.VERIFY_FAIL: ("验收不通过", "Fail verification"),
        HazardAction.CLOSE: ("销号", "Close"),
    }
)

_S, _A = HazardStatus, HazardAction

# THE lifecycle. Read-only so that a change can only be an edit here (and in test_states.py).
TRANSITIONS: Final[Mapping[tuple[HazardStatus, HazardAction], HazardStatus]] = MappingProxyType(
    {
        (_S.REPORTED, _A.CONFIRM): _S.CONFIRMED,
        (_S.REPORTED, _A.REJECT): _S.REJECTED,
        (_S.CONFIRMED, _A.START_RECTIFICATION): _S.RECTIFYING,
        (_S.RECTIFYING, _A.SUBMIT_RECTIFICATION): _S.RECTIFIED,
        (_S.RECTIFIED, _A.VERIFY_PASS): _S.VERIFIED,
        (_S.RECTIFIED, _A.VERIFY_FAIL): _S.RECTIFYING,
        (_S.VERIFIED, _A.CLOSE): _S.CLOSED,
    }
)

# Derived, not a second table: each action has one target, so a refusal can name it.
_TARGET_OF: Final[Mapping[HazardAction, HazardStatus]] = MappingProxyType(
    {action: target for (_, action), target in TRANSITIONS.items()}
)


def ensure_allowed(current: HazardStatus, action: HazardAction) -> HazardStatus:
    """Return the status ``action`` leads to from ``current``, or raise IllegalTransition."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        error = IllegalTransition(
            entity=ENTITY, current=current.value, target=_TARGET_OF[action].value
        )
        # The API body names the action, so the refusal carries it too.
        error.details["action"] = action.value
        raise error
    return target


def allowed_actions(current: HazardStatus) -> tuple[HazardAction, ...]:
    """Return the actions permitted from ``current``, in declaration order (empty if terminal)."""
    return tuple(action for action in HazardAction if (current, action) in TRANSITIONS)
