"""Public services of the risks context: risk points with measures, major hazard installations.

Every write checks the actor (region subtree + supervised industries, or own enterprise), is
audited with before/after and stages a ``risks.*`` event; services flush but never commit.
"""

from __future__ import annotations

from yingji.risks._installations import (
    create_installation,
    get_installation,
    grade_zh,
    installation_history,
    list_installations,
    substance_tables,
    substances_of,
    update_installation_substances,
)
from yingji.risks._risk_points import (
    create_risk_point,
    deactivate_risk_point,
    get_risk_point,
    level_counts,
    list_risk_points,
    map_points,
    measures_of,
    risk_summary,
    run_assessment,
    update_risk_point,
)

__all__ = [
    "create_installation",
    "create_risk_point",
    "deactivate_risk_point",
    "get_installation",
    "get_risk_point",
    "grade_zh",
    "installation_history",
    "level_counts",
    "list_installations",
    "list_risk_points",
    "map_points",
    "measures_of",
    "risk_summary",
    "run_assessment",
    "substance_tables",
    "substances_of",
    "update_installation_substances",
    "update_risk_point",
]
