"""The tabs of the 风险与隐患 (dual prevention) module, shared by its pages.

Each page calls :func:`prevention_context` with its tab key and renders the tabs with the
``tabs`` macro of ``orgs/_macros.html``: ``{{ m.tabs(tabs, _("Risks & hazards")) }}``.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session

from yingji.core.auth.roles import Permission
from yingji.web._nav import N_
from yingji.web._page_kit import chrome
from yingji.web._session import WebUser

# key, path, label, the permission a role needs to see the tab.
TABS: Final[tuple[tuple[str, str, str, Permission], ...]] = (
    ("risks", "/risks", N_("Risk register"), Permission.RISK_READ),
    (
        "installations",
        "/risks/installations",
        N_("Major hazard installations"),
        Permission.RISK_READ,
    ),
    ("inspections", "/inspections", N_("Inspections"), Permission.INSPECTION_READ),
    ("hazards", "/hazards", N_("Hazards"), Permission.HAZARD_READ),
    ("supervised", "/hazards/supervised", N_("Supervised listing"), Permission.HAZARD_READ),
    ("reports", "/reports", N_("Public reports"), Permission.REPORT_TRIAGE),
    ("stats", "/hazards/stats", N_("Statistics"), Permission.STATS_READ),
    ("ledger", "/ledger", N_("Ledgers"), Permission.RISK_READ),
)


def prevention_context(session: Session, web_user: WebUser, tab: str) -> dict[str, Any]:
    """Return the layout of a page of the module, with the tabs the user's role may open."""
    actor = web_user.actor
    context = chrome(session, web_user, active="risks")
    context["tabs"] = [
        {"path": path, "label": label, "active": key == tab}
        for key, path, label, permission in TABS
        if actor.scope_for(permission) is not None
    ]
    return context
