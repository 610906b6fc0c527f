"""What the pages show: the user card, the home page's counts and the map's configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from yingji.core.auth import service as auth_service
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.core.config import Settings
from yingji.core.errors import DomainError
from yingji.core.i18n import get_translations
from yingji.orgs import service as orgs_service
from yingji.regions import service as regions_service
from yingji.regions.schemas import RegionLevel
from yingji.web._nav import MAP_LEVELS, N_, ROLE_LABELS

if TYPE_CHECKING:
    from yingji.web._session import WebUser


def user_card(session: Session, web_user: WebUser) -> dict[str, str]:
    """Return the user menu's facts: name, login, role label and region name."""
    user = web_user.user
    try:
        region_name = regions_service.get_region(
            session, actor=web_user.actor, code=user.region_code
        ).name
    except DomainError:
        region_name = user.region_code  # a role without region:read still sees where it is
    return {
        "display_name": user.display_name,
        "username": user.username,
        "role_label": ROLE_LABELS.get(Role(user.role), user.role),
        "region_name": region_name,
    }


def _count_users(session: Session, actor: Actor) -> str:
    _, total = auth_service.list_users(session, actor=actor, active=True, limit=1)
    return str(total)


def _count_organisations(session: Session, actor: Actor) -> str:
    _, total = orgs_service.list_organisations(session, actor=actor, limit=1)
    return str(total)


def _count_persons(session: Session, actor: Actor) -> str:
    _, total = orgs_service.list_persons(session, actor=actor, limit=1)
    return str(total)


def _count_regions(session: Session, actor: Actor) -> str:
    return str(regions_service.count_subtree(session, actor=actor))


_COUNTS: tuple[tuple[str, str, Callable[[Session, Actor], str]], ...] = (
    ("regions", N_("Regions"), _count_regions),
    ("organisations", N_("Organisations"), _count_organisations),
    ("persons", N_("People"), _count_persons),
    ("users", N_("User accounts"), _count_users),
)


def counts(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """Return the home page's counts that the actor may see (others are left out)."""
    shown = []
    for key, label, count in _COUNTS:
        try:
            value = count(session, actor)
        except DomainError:
            continue  # the role may not read this kind of record: no card rather than a zero
        shown.append({"key": key, "label": label, "value": value})
    return shown


def _shown_levels(root_level: RegionLevel | None) -> set[RegionLevel]:
    """Return the map layers drawn at first: the user's own level and the one below it."""
    if root_level is None:
        return {MAP_LEVELS[0][0]}
    shown = {
        level
        for level, _label, _tolerance in MAP_LEVELS
        if level is root_level or level.order == root_level.order + 1
    }
    return shown or {MAP_LEVELS[0][0]}  # a province or city user sees its districts


def map_config(
    session: Session, settings: Settings, *, actor: Actor, locale: str
) -> dict[str, Any]:
    """Return what map.js needs: the data URLs, the view, the layers and translated texts."""
    _ = get_translations(locale).gettext
    root = actor.region_code or ""
    try:
        root_level: RegionLevel | None = RegionLevel(
            regions_service.get_region(session, actor=actor, code=root).level
        )
    except (DomainError, ValueError):
        root_level = None
    shown = _shown_levels(root_level)
    lat, lon = settings.map_center
    return {
        "root": root,
        "center": [lat, lon],
        "zoom": settings.map_zoom,
        "tileUrl": settings.map_tile_url or None,
        "tileAttribution": settings.map_tile_attribution,
        "geojsonUrl": "/api/regions/geojson",
        "locateUrl": "/api/regions/locate",
        "levels": [
            {"level": level, "label": _(label), "visible": level in shown, "tolerance": tolerance}
            for level, label, tolerance in MAP_LEVELS
        ],
        "strings": {
            "youAreIn": _("You are in %(path)s"),
            "nowhere": _("This point lies outside every region."),
            "demo": _("demo data"),
            "demoLegend": _("Demo data (dashed)"),
            "boundary": _("Region boundary"),
            "loading": _("Loading region boundaries…"),
            "loadFailed": _("The map data could not be loaded. Reload the page to try again."),
            "noRegions": _("No region boundaries are stored for your area yet."),
        },
    }
