"""Who sees and changes which hazard-side records: region subtree, industry scope, own enterprise.

Bureau users act by region and, when their organisation supervises named industries, only on
enterprises of those industries (GB/T 4754 prefixes); enterprise users act on their own records.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import Forbidden
from yingji.orgs import service as orgs


def industry_matches(code: str | None, scope: tuple[str, ...] | None) -> bool:
    """Return whether an industry code falls under an industry scope (None: every industry)."""
    if scope is None:
        return True
    return code is not None and any(code.startswith(prefix) for prefix in scope)


def prefix_condition(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], prefix: str
) -> ColumnElement[bool]:
    """Return ``column starts with prefix`` as an index-friendly range (LIKE is not, on SQLite)."""
    low, high = subtree_range(prefix)
    return and_(column >= low, column < high)


def require(
    session: Session,
    actor: Actor,
    permission: Permission,
    *,
    region_path: str,
    organisation_id: uuid.UUID | None,
    industry_code: str | None,
    what: str,
) -> Scope:
    """Raise Forbidden unless the actor holds a permission over one record; return the scope."""
    scope = actor.require(permission)
    if scope is Scope.OWN_ORG:
        actor.require_org(organisation_id, what=what)
        return scope
    if scope is not Scope.REGION:
        raise Forbidden(f"role {actor.role} may not {permission} this {what}")
    actor.require_region(region_path, what=what)
    if not industry_matches(industry_code, orgs.industry_scope(session, actor)):
        raise Forbidden(
            f"this {what} is in an industry your department does not supervise",
            industry_code=industry_code,
        )
    return scope


def visible(
    session: Session,
    actor: Actor,
    permission: Permission,
    *,
    region_path: InstrumentedAttribute[str],
    organisation: InstrumentedAttribute[uuid.UUID] | InstrumentedAttribute[uuid.UUID | None],
    industry: InstrumentedAttribute[str | None] | None,
    subtree: str | None = None,
) -> ColumnElement[bool]:
    """Return the SQL condition selecting the records a permission lets the actor see.

    ``subtree`` (a region path) narrows a region scope further. The two ranges become one, the
    narrower, so that the database sees a single range and estimates it well.
    """
    scope = actor.require(permission)
    if scope is Scope.OWN_ORG:
        if actor.organisation_id is None:
            return false()
        own = organisation == actor.organisation_id
        if subtree is None:
            return own
        low, high = subtree_range(subtree)
        return and_(own, region_path >= low, region_path < high)
    if scope is not Scope.REGION:
        return false()
    region = actor.region_path
    if subtree is not None:
        if subtree.startswith(region):
            region = subtree
        elif not region.startswith(subtree):
            return false()  # disjoint subtrees
    low, high = subtree_range(region)
    condition = and_(region_path >= low, region_path < high)
    industries = orgs.industry_scope(session, actor)
    if industries is None or industry is None:
        return condition
    return and_(condition, or_(*(prefix_condition(industry, p) for p in industries)))
