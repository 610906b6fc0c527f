"""Translatable names of organisation kinds, team types and duties (the schemas hold Chinese)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from yingji.orgs.schemas import DutyType, OrgKind, TeamType
from yingji.web._nav import N_

# In the order of the kind tabs on the organisations page.
ORG_KIND_LABELS: Final[dict[str, str]] = {
    OrgKind.BUREAU: N_("Emergency management bureau"),
    OrgKind.DEPARTMENT: N_("Department"),
    OrgKind.MEMBER_UNIT: N_("Member unit"),
    OrgKind.ENTERPRISE: N_("Enterprise"),
    OrgKind.RESCUE_TEAM: N_("Rescue team"),
}

TEAM_TYPE_LABELS: Final[dict[str, str]] = {
    TeamType.COMPREHENSIVE: N_("Comprehensive fire and rescue team"),
    TeamType.PROFESSIONAL: N_("Professional rescue team"),
    TeamType.SOCIAL: N_("Social emergency force"),
}

DUTY_LABELS: Final[dict[str, str]] = {
    DutyType.FLOOD: N_("Flood control"),
    DutyType.GEOLOGICAL: N_("Geological hazards"),
    DutyType.SAFETY_PRODUCTION: N_("Work safety"),
    DutyType.FOREST_FIRE: N_("Forest fire prevention"),
    DutyType.HAZARDOUS_CHEMICALS: N_("Hazardous chemicals"),
    DutyType.URBAN_GAS: N_("Urban gas"),
    DutyType.EARTHQUAKE: N_("Earthquake"),
    DutyType.GENERAL: N_("General"),
}


def label_of(labels: Mapping[str, str], value: str | None) -> str:
    """Return the message id naming a stored value, or the value itself if it is unknown."""
    if value is None:
        return ""
    return labels.get(value, value)
