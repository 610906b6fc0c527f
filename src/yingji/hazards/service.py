"""Public services of the hazards context.

Every write checks the actor (region subtree and supervised industries, or own enterprise), is
audited with before/after, keeps the statistics rollup in step and stages a ``hazards.*`` event;
services flush but never commit.
"""

from __future__ import annotations

from yingji.core.clock import local_today
from yingji.hazards._board import hazard_features, list_hazards
from yingji.hazards._escalation import escalate_overdue, supervising_recipients
from yingji.hazards._lifecycle import (
    ACTION_PERMISSION,
    allowed_for,
    close_hazard,
    confirm_hazard,
    plan_of,
    reject_hazard,
    save_plan,
    start_rectification,
    submit_rectification,
    verify_hazard,
)
from yingji.hazards._records import HAZARD_FIELDS, get_hazard, report_hazard
from yingji.hazards._stats import rebuild as rebuild_stats
from yingji.hazards._supervision import lift_supervision, list_supervision

__all__ = [
    "ACTION_PERMISSION",
    "HAZARD_FIELDS",
    "allowed_for",
    "close_hazard",
    "confirm_hazard",
    "escalate_overdue",
    "get_hazard",
    "hazard_features",
    "lift_supervision",
    "list_hazards",
    "list_supervision",
    "local_today",
    "plan_of",
    "rebuild_stats",
    "reject_hazard",
    "report_hazard",
    "save_plan",
    "start_rectification",
    "submit_rectification",
    "supervising_recipients",
    "verify_hazard",
]
