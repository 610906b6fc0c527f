"""Organisation services: register, read, list, change and deactivate organisations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.db import fetch_page
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.orgs import events
from yingji.orgs._access import input_region_path, region_filter, require_scope, visible
from yingji.orgs.models import Organisation
from yingji.orgs.schemas import OrganisationCreate, OrganisationUpdate, OrgKind
from yingji.regions import service as regions

ORG_FIELDS = (
    "kind", "name", "parent_id", "region_code", "credit_code", "industry_code", "address",
    "lon", "lat", "phone", "team_type", "headcount", "supervised_industries", "active", "is_demo",
)  # fmt: skip
_MAX_PARENT_DEPTH = 20


def _load(session: Session, organisation_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"organisation {organisation_id} does not exist", field="organisation_id")
    return org


def get_organisation(session: Session, *, actor: Actor, organisation_id: uuid.UUID) -> Organisation:
    """Return an organisation the actor may read (404 if absent, 403 if not theirs to see)."""
    org = _load(session, organisation_id)
    require_scope(
        session,
        actor,
        Permission.ORG_READ,
        region_code=org.region_code,
        organisation_id=org.id,
        what="organisation",
    )
    return org


def list_organisations(
    session: Session,
    *,
    actor: Actor,
    kind: OrgKind | None = None,
    region_code: str | None = None,
    q: str | None = None,
    active: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Organisation], int]:
    """Return one page of the organisations the actor may read, and the total count."""
    conditions = [
        visible(
            actor,
            Permission.ORG_READ,
            region_column=Organisation.region_code,
            org_column=Organisation.id,
        )
    ]
    if kind is not None:
        conditions.append(Organisation.kind == kind)
    if region_code:
        conditions.append(region_filter(session, Organisation.region_code, region_code))
    if q and q.strip():
        text = q.strip()
        conditions.append(
            or_(
                Organisation.name.icontains(text, autoescape=True),
                Organisation.credit_code == text.upper(),
            )
        )
    if active is not None:
        conditions.append(Organisation.active.is_(active))
    stmt = select(Organisation).where(*conditions)
    order = (Organisation.name, Organisation.id)
    return fetch_page(session, stmt, order_by=order, limit=limit, offset=offset)


def _check_parent(
    session: Session, values: Mapping[str, Any], region_path: str, org_id: uuid.UUID | None
) -> None:
    parent_id = values["parent_id"]
    if parent_id is None:
        if values["kind"] == OrgKind.DEPARTMENT:
            raise InvalidInput("a department needs its bureau as parent_id", field="parent_id")
        return
    parent = session.get(Organisation, parent_id)
    if parent is None:
        raise InvalidInput(f"unknown parent organisation {parent_id}", field="parent_id")
    if not parent.active:
        raise InvalidInput("the parent organisation is inactive", field="parent_id")
    if values["kind"] == OrgKind.DEPARTMENT:
        if parent.kind != OrgKind.BUREAU:
            raise InvalidInput("a department's parent must be a bureau", field="parent_id")
        if not region_path.startswith(input_region_path(session, parent.region_code)):
            raise InvalidInput("a department lies in its bureau's region", field="region_code")
    # Walk up from the parent: reaching the organisation itself would make a cycle.
    node: Organisation | None = parent
    for _ in range(_MAX_PARENT_DEPTH):
        if node is None:
            return
        if org_id is not None and node.id == org_id:
            raise InvalidInput("an organisation cannot sit below itself", field="parent_id")
        node = session.get(Organisation, node.parent_id) if node.parent_id else None
    raise InvalidInput("the parent chain is too deep", field="parent_id")


def _check(
    session: Session, values: Mapping[str, Any], region_path: str, org_id: uuid.UUID | None
) -> None:
    """Raise unless the would-be state of an organisation obeys the business rules."""
    kind = values["kind"]
    if not values["name"]:
        raise InvalidInput("name is required", field="name")
    if kind == OrgKind.ENTERPRISE:
        for field in ("credit_code", "industry_code"):
            if not values[field]:
                raise InvalidInput(f"an enterprise needs {field}", field=field)
    if kind == OrgKind.RESCUE_TEAM and not values["team_type"]:
        raise InvalidInput("a rescue team needs team_type", field="team_type")
    if kind != OrgKind.RESCUE_TEAM:
        for field in ("team_type", "headcount"):
            if values[field] is not None:
                raise InvalidInput(f"only rescue teams have {field}", field=field)
    supervisors = {OrgKind.BUREAU, OrgKind.DEPARTMENT, OrgKind.MEMBER_UNIT}
    if values["supervised_industries"] is not None and kind not in supervisors:
        raise InvalidInput(
            "only a bureau, department or member unit supervises industries",
            field="supervised_industries",
        )
    if (values["lon"] is None) != (values["lat"] is None):
        missing = "lat" if values["lat"] is None else "lon"
        raise InvalidInput("give both lon and lat, or neither", field=missing)
    _check_parent(session, values, region_path, org_id)
    if values["credit_code"]:
        clash = select(Organisation.id).where(Organisation.credit_code == values["credit_code"])
        if org_id is not None:
            clash = clash.where(Organisation.id != org_id)
        if session.scalar(clash) is not None:
            raise Conflict(
                f"credit code {values['credit_code']} is already registered", field="credit_code"
            )


def create_organisation(
    session: Session, *, actor: Actor, data: OrganisationCreate
) -> Organisation:
    """Register an organisation inside the actor's region."""
    if actor.require(Permission.ORG_WRITE) is not Scope.REGION:
        raise Forbidden("you may update your own organisation but not create organisations")
    path = input_region_path(session, data.region_code)
    actor.require_region(path, what="organisation's region")
    values = data.model_dump()
    values["active"] = True
    _check(session, values, path, None)
    org = Organisation(**values)
    session.add(org)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="organisation.created",
        entity_type="organisation",
        entity_id=org.id,
        region_path=path,
        after=snapshot(org, ORG_FIELDS),
    )
    event = events.OrganisationCreated(
        organisation_id=org.id, kind=org.kind, region_code=org.region_code
    )
    record_event(session, event, actor=actor)
    return org


def update_organisation(
    session: Session, *, actor: Actor, organisation_id: uuid.UUID, data: OrganisationUpdate
) -> Organisation:
    """Change an organisation; the actor may not move it outside their region."""
    org = _load(session, organisation_id)
    require_scope(
        session,
        actor,
        Permission.ORG_WRITE,
        region_code=org.region_code,
        organisation_id=org.id,
        what="organisation",
    )
    before = snapshot(org, ORG_FIELDS)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if before[k] != v}
    if not changes:
        return org
    if "supervised_industries" in changes and actor.scope_for(Permission.ORG_WRITE) is not (
        Scope.REGION
    ):
        raise Forbidden(
            "only the bureau sets which industries an organisation supervises",
            field="supervised_industries",
        )
    if "region_code" in changes:
        if changes["region_code"] is None:
            raise InvalidInput("region_code is required", field="region_code")
        path = input_region_path(session, changes["region_code"])
        actor.require_region(path, what="organisation's new region")
    else:
        path = input_region_path(session, org.region_code)
    _check(session, {**before, **changes}, path, org.id)
    for name, value in changes.items():
        setattr(org, name, value)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="organisation.updated",
        entity_type="organisation",
        entity_id=org.id,
        region_path=path,  # the new region when it moved
        before=before,
        after=snapshot(org, ORG_FIELDS),
    )
    event = events.OrganisationChanged(
        organisation_id=org.id, region_code=org.region_code, changed=sorted(changes)
    )
    record_event(session, event, actor=actor)
    return org


def deactivate_organisation(
    session: Session, *, actor: Actor, organisation_id: uuid.UUID
) -> Organisation:
    """Mark an organisation inactive; only region-wide writers (the bureau) may do this."""
    org = _load(session, organisation_id)
    scope = require_scope(
        session,
        actor,
        Permission.ORG_WRITE,
        region_code=org.region_code,
        organisation_id=org.id,
        what="organisation",
    )
    if scope is not Scope.REGION:
        raise Forbidden("you may not deactivate an organisation")
    if not org.active:
        return org
    before = snapshot(org, ORG_FIELDS)
    org.active = False
    session.flush()
    record_change(
        session,
        actor=actor,
        action="organisation.deactivated",
        entity_type="organisation",
        entity_id=org.id,
        region_path=regions.path_of(session, org.region_code),
        before=before,
        after=snapshot(org, ORG_FIELDS),
    )
    event = events.OrganisationDeactivated(organisation_id=org.id, region_code=org.region_code)
    record_event(session, event, actor=actor)
    return org


def industry_scope(session: Session, actor: Actor) -> tuple[str, ...] | None:
    """Return the industry codes an actor's organisation supervises, or None for every industry.

    A bureau user acts by region and by the industries their department supervises (GB/T 4754
    section or division prefixes set on the organisation); staff of an organisation without
    such a list, and users without an organisation, are limited by region only.
    """
    if actor.organisation_id is None:
        return None
    codes = session.scalar(
        select(Organisation.supervised_industries).where(Organisation.id == actor.organisation_id)
    )
    return tuple(codes) if codes else None


class OrgFacts(NamedTuple):
    """What other contexts need to know of an organisation to file a record under it."""

    id: uuid.UUID
    kind: str
    name: str
    region_code: str
    region_path: str
    industry_code: str | None
    active: bool


def organisation_facts(
    session: Session, organisation_id: uuid.UUID, *, field: str = "organisation_id"
) -> OrgFacts:
    """Return an organisation's kind, region and industry (InvalidInput naming ``field`` if absent).

    No permission check: the caller checks the actor against the record it is filing, using
    these facts (region path and industry) — a grassroots reporter may file a hazard against an
    enterprise whose register they may not read.
    """
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise InvalidInput(f"unknown organisation {organisation_id}", field=field)
    return OrgFacts(
        id=org.id,
        kind=org.kind,
        name=org.name,
        region_code=org.region_code,
        region_path=regions.path_of(session, org.region_code),
        industry_code=org.industry_code,
        active=org.active,
    )
