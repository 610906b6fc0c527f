"""The navigation: the platform's modules, which of them exist yet, and role labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Role
from yingji.regions.schemas import RegionLevel


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Module:
    """A top-level module of the web interface."""

    slug: str
    path: str
    label: str  # English message id
    zh_hint: str  # the bureau's name for it, for readers of this file
    built: bool
    needs: Permission | None = None  # a role without it does not see the module at all


# The order of the bureau's own work; a module flips to built=True when its pages exist.
MODULES: Final[tuple[Module, ...]] = (
    Module("map", "/map", N_("Map"), "一张图", built=True, needs=Permission.MAP_VIEW),
    Module(
        "risks", "/risks", N_("Risks & hazards"), "风险与隐患", built=True,
        needs=Permission.RISK_READ,
    ),
    Module(
        "monitoring", "/monitoring", N_("Monitoring"), "监测预警", built=True,
        needs=Permission.MONITOR_READ,
    ),
    Module(
        "warnings", "/warnings", N_("Warnings"), "预警叫应", built=True,
        needs=Permission.WARNING_READ,
    ),
    Module("incidents", "/incidents", N_("Incidents"), "事件指挥", built=False),
    Module("plans", "/plans", N_("Plans"), "预案", built=False),
    Module("resources", "/resources", N_("Resources"), "资源调度", built=False),
    Module(
        "orgs", "/orgs", N_("Organisations & people"), "组织与人员", built=True,
        needs=Permission.ORG_READ,
    ),
    Module("admin", "/admin", N_("Admin"), "系统", built=True, needs=Permission.USER_READ),
)  # fmt: skip


def visible_modules(actor: Actor) -> list[Module]:
    """Return the modules an actor's role may use, in navigation order."""
    return [m for m in MODULES if m.needs is None or actor.scope_for(m.needs) is not None]


ROLE_LABELS: Final[dict[Role, str]] = {
    Role.ADMIN: N_("Administrator"),
    Role.COMMANDER: N_("Commander"),
    Role.DUTY_OFFICER: N_("Duty officer"),
    Role.SPECIALIST: N_("Bureau specialist"),
    Role.INSPECTOR: N_("Inspector"),
    Role.MEMBER_UNIT: N_("Member unit"),
    Role.ENTERPRISE: N_("Enterprise safety manager"),
    Role.GRASSROOTS: N_("Grassroots responsible person"),
    Role.PUBLIC: N_("Public"),
}

# Region levels drawn on the map, outermost first: layer name and simplification in degrees
# (0.0005° ≈ 50 m, finer for the smaller units).
MAP_LEVELS: Final[tuple[tuple[RegionLevel, str, float], ...]] = (
    (RegionLevel.COUNTY, N_("Districts and counties"), 0.0005),
    (RegionLevel.TOWN, N_("Towns and streets"), 0.0002),
    (RegionLevel.VILLAGE, N_("Villages and communities"), 0.0001),
    (RegionLevel.GRID, N_("Grids"), 0.0001),
)
