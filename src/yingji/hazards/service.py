"""Public services of the hazards context.

Every write checks the actor (region subtree and supervised industries, or own enterprise), is
audited with before/after, keeps the statistics rollup in step and stages a ``hazards.*`` event;
services flush but never commit.
"""

from __future__ import annotations

from yingji.hazards._records import HAZARD_FIELDS, get_hazard, report_hazard
from yingji.hazards._stats import rebuild as rebuild_stats

__all__ = ["HAZARD_FIELDS", "get_hazard", "rebuild_stats", "report_hazard"]
