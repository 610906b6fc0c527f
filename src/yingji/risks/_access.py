"""Who sees and changes which risk records: region subtree, industry scope, own enterprise.

The rule is the hazards context's (``yingji.hazards._access``): bureau users act by region and by
the industries their department supervises; enterprise users act on their own records only.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Permission
from yingji.core.errors import InvalidInput, NotFound
from yingji.hazards._access import industry_matches, require, visible
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions

__all__ = [
    "enterprise_facts",
    "industry_matches",
    "input_region_path",
    "require",
    "require_person",
    "visible",
]


def enterprise_facts(
    session: Session,
    actor: Actor,
    permission: Permission,
    organisation_id: uuid.UUID,
    *,
    field: str = "organisation_id",
) -> orgs.OrgFacts:
    """Return an active enterprise the actor may act on with ``permission`` (422/403 otherwise)."""
    facts = orgs.organisation_facts(session, organisation_id, field=field)
    if facts.kind != OrgKind.ENTERPRISE:
        raise InvalidInput("risk records belong to an enterprise", field=field)
    require(
        session,
        actor,
        permission,
        region_path=facts.region_path,
        organisation_id=facts.id,
        industry_code=facts.industry_code,
        what="enterprise",
    )
    if not facts.active:
        raise InvalidInput("the enterprise is inactive", field=field)
    return facts


def require_person(
    session: Session, person_id: uuid.UUID | None, organisation_id: uuid.UUID, *, field: str
) -> None:
    """Raise InvalidInput naming ``field`` unless the person exists, is active and is staff."""
    if person_id is None:
        return
    try:
        person = orgs.get_person(session, actor=system_actor(source="risks"), person_id=person_id)
    except NotFound:
        raise InvalidInput(f"unknown person {person_id}", field=field) from None
    if person.organisation_id != organisation_id or not person.active:
        raise InvalidInput(
            "the responsible person must be active staff of the enterprise", field=field
        )


def input_region_path(session: Session, code: str, *, field: str = "region") -> str:
    """Return the path of a region named in input, or raise InvalidInput naming the field."""
    try:
        return regions.path_of(session, code)
    except NotFound:
        raise InvalidInput(f"unknown region code {code!r}", field=field) from None
