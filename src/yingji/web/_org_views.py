"""What the organisation and people pages show: the module's tabs and rows ready for templates."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Final

from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrganisationRead, PersonRead
from yingji.web._labels import ORG_KIND_LABELS, label_of
from yingji.web._nav import N_
from yingji.web._page_kit import chrome, region_names
from yingji.web._session import WebUser

# The module's own tabs: (key, path, label, permission the tab needs).
TABS: Final = (
    ("orgs", "/orgs", N_("Organisations"), Permission.ORG_READ),
    ("persons", "/persons", N_("People"), Permission.PERSON_READ),
    ("duties", "/responsibilities", N_("Responsible persons"), Permission.ASSIGNMENT_READ),
)


def module_context(session: Session, web_user: WebUser, tab: str) -> dict[str, Any]:
    """Return the layout of a page of the module, with the tabs the user's role may open."""
    actor = web_user.actor
    context = chrome(session, web_user, active="orgs")
    context["tabs"] = [
        {"path": path, "label": label, "active": key == tab}
        for key, path, label, permission in TABS
        if actor.scope_for(permission) is not None
    ]
    context["can_create"] = actor.scope_for(Permission.ORG_WRITE) is Scope.REGION
    return context


def parse_id(raw: str) -> uuid.UUID | None:
    """Return the UUID in a path segment, or None if it is not one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def org_rows(session: Session, actor: Actor, orgs: Iterable[object]) -> list[dict[str, Any]]:
    """Return organisations as list rows: the record, its kind label and its region's name."""
    reads = [OrganisationRead.model_validate(org) for org in orgs]
    names = region_names(session, actor, (o.region_code for o in reads))
    return [
        {"org": o, "kind": label_of(ORG_KIND_LABELS, o.kind), "region": names[o.region_code]}
        for o in reads
    ]


def organisation_names(
    session: Session, actor: Actor, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """Return the names of the organisations the actor may read (one lookup per distinct id)."""
    names: dict[uuid.UUID, str] = {}
    for org_id in ids:
        if org_id is None or org_id in names:
            continue
        try:
            names[org_id] = orgs_service.get_organisation(
                session, actor=actor, organisation_id=org_id
            ).name
        except DomainError:
            names[org_id] = ""  # exists but not the actor's to see: leave the cell empty
    return names


def person_rows(session: Session, actor: Actor, persons: Sequence[object]) -> list[dict[str, Any]]:
    """Return people as list rows with organisation and region names.

    Numbers are shown in full to everyone allowed to read the person: the duty officer's job is
    to phone them in an emergency, and the permission table already limits who reads whom.
    """
    reads = [PersonRead.model_validate(p) for p in persons]
    regions = region_names(session, actor, (p.region_code for p in reads))
    orgs = organisation_names(session, actor, (p.organisation_id for p in reads))
    return [
        {
            "person": p,
            "organisation": orgs.get(p.organisation_id, "") if p.organisation_id else "",
            "region": regions[p.region_code],
            "mobile": p.mobile or "",
        }
        for p in reads
    ]
