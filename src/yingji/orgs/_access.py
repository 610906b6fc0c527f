"""Permission checks shared by the orgs services: GRANTS scope, region subtree, own organisation."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.regions import service as regions


def input_region_path(session: Session, code: str, *, field: str = "region_code") -> str:
    """Return the path of a region named in input, or raise InvalidInput naming the field."""
    try:
        return regions.path_of(session, code)
    except NotFound as exc:
        raise InvalidInput(f"unknown region code {code!r}", field=field) from exc


def require_scope(
    session: Session,
    actor: Actor,
    permission: Permission,
    *,
    region_code: str,
    organisation_id: uuid.UUID | None,
    what: str,
) -> Scope:
    """Raise Forbidden unless the actor holds a permission over a record; return the scope."""
    scope = actor.require(permission)
    if scope is Scope.REGION:
        actor.require_region(regions.path_of(session, region_code), what=what)
    elif scope is Scope.OWN_ORG:
        actor.require_org(organisation_id, what=what)
    else:
        raise Forbidden(f"role {actor.role} may not {permission} this {what}")
    return scope


def visible(
    actor: Actor,
    permission: Permission,
    *,
    region_column: InstrumentedAttribute[str],
    org_column: InstrumentedAttribute[uuid.UUID] | InstrumentedAttribute[uuid.UUID | None],
) -> ColumnElement[bool]:
    """Return the SQL condition selecting the records a permission lets the actor see."""
    scope = actor.require(permission)
    if scope is Scope.REGION:
        return regions.in_subtree(region_column, actor.region_path)
    if scope is Scope.OWN_ORG and actor.organisation_id is not None:
        return org_column == actor.organisation_id
    return false()


def region_filter(
    session: Session, column: InstrumentedAttribute[str], code: str
) -> ColumnElement[bool]:
    """Return the condition 'column lies in the subtree of region ``code``' for a list filter."""
    return regions.in_subtree(column, input_region_path(session, code, field="region"))
