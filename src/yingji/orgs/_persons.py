"""Person services: register, read, list, change and deactivate the people we must reach."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.db import fetch_page
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.orgs import events
from yingji.orgs._access import input_region_path, region_filter, require_scope, visible
from yingji.orgs.models import Organisation, Person
from yingji.orgs.schemas import PersonCreate, PersonUpdate
from yingji.regions import service as regions

PERSON_FIELDS = (
    "name", "organisation_id", "region_code", "position", "mobile", "phone", "email", "active",
    "is_demo",
)  # fmt: skip


def _load(session: Session, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} does not exist", field="person_id")
    return person


def _require(session: Session, actor: Actor, permission: Permission, person: Person) -> Scope:
    return require_scope(
        session,
        actor,
        permission,
        region_code=person.region_code,
        organisation_id=person.organisation_id,
        what="person",
    )


def get_person(session: Session, *, actor: Actor, person_id: uuid.UUID) -> Person:
    """Return a person the actor may read (404 if absent, 403 if not theirs to see)."""
    person = _load(session, person_id)
    _require(session, actor, Permission.PERSON_READ, person)
    return person


def list_persons(
    session: Session,
    *,
    actor: Actor,
    organisation_id: uuid.UUID | None = None,
    region_code: str | None = None,
    q: str | None = None,
    active: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Person], int]:
    """Return one page of the persons the actor may read, and the total count."""
    conditions = [
        visible(
            actor,
            Permission.PERSON_READ,
            region_column=Person.region_code,
            org_column=Person.organisation_id,
        )
    ]
    if organisation_id is not None:
        conditions.append(Person.organisation_id == organisation_id)
    if region_code:
        conditions.append(region_filter(session, Person.region_code, region_code))
    if q and q.strip():
        text = q.strip()
        conditions.append(
            or_(
                Person.name.icontains(text, autoescape=True),
                Person.position.icontains(text, autoescape=True),
                Person.mobile.contains(text, autoescape=True),
            )
        )
    if active is not None:
        conditions.append(Person.active.is_(active))
    stmt = select(Person).where(*conditions)
    return fetch_page(session, stmt, order_by=(Person.name, Person.id), limit=limit, offset=offset)


def _check(
    session: Session, actor: Actor, scope: Scope, values: Mapping[str, Any], *, new_region: bool
) -> None:
    """Raise unless the would-be state of a person is valid and within the actor's reach."""
    if not values["name"]:
        raise InvalidInput("name is required", field="name")
    if not values["region_code"]:
        raise InvalidInput("region_code is required", field="region_code")
    if new_region:
        path = input_region_path(session, values["region_code"])
        actor.require_region(path, what="person's region")
    org_id = values["organisation_id"]
    if scope is Scope.OWN_ORG:
        actor.require_org(org_id, what="person")
    if org_id is not None:
        org = session.get(Organisation, org_id)
        if org is None:
            raise InvalidInput(f"unknown organisation {org_id}", field="organisation_id")
        if not org.active:
            raise InvalidInput("the organisation is inactive", field="organisation_id")


def create_person(session: Session, *, actor: Actor, data: PersonCreate) -> Person:
    """Register a person in the actor's region (or, for own-organisation writers, their org)."""
    scope = actor.require(Permission.PERSON_WRITE)
    values = data.model_dump()
    values["active"] = True
    _check(session, actor, scope, values, new_region=True)
    person = Person(**values)
    session.add(person)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="person.created",
        entity_type="person",
        entity_id=person.id,
        region_path=regions.path_of(session, person.region_code),
        after=snapshot(person, PERSON_FIELDS),
    )
    event = events.PersonCreated(
        person_id=person.id,
        organisation_id=person.organisation_id,
        region_code=person.region_code,
    )
    record_event(session, event, actor=actor)
    return person


def update_person(
    session: Session, *, actor: Actor, person_id: uuid.UUID, data: PersonUpdate
) -> Person:
    """Change a person; the result must still lie within the actor's reach."""
    person = _load(session, person_id)
    scope = _require(session, actor, Permission.PERSON_WRITE, person)
    before = snapshot(person, PERSON_FIELDS)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if before[k] != v}
    if not changes:
        return person
    _check(session, actor, scope, {**before, **changes}, new_region="region_code" in changes)
    for name, value in changes.items():
        setattr(person, name, value)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="person.updated",
        entity_type="person",
        entity_id=person.id,
        region_path=regions.path_of(session, person.region_code),
        before=before,
        after=snapshot(person, PERSON_FIELDS),
    )
    event = events.PersonChanged(
        person_id=person.id, region_code=person.region_code, changed=sorted(changes)
    )
    record_event(session, event, actor=actor)
    return person


def deactivate_person(session: Session, *, actor: Actor, person_id: uuid.UUID) -> Person:
    """Mark a person inactive: they stay on record but are no longer targeted."""
    person = _load(session, person_id)
    _require(session, actor, Permission.PERSON_WRITE, person)
    if not person.active:
        return person
    before = snapshot(person, PERSON_FIELDS)
    person.active = False
    session.flush()
    record_change(
        session,
        actor=actor,
        action="person.deactivated",
        entity_type="person",
        entity_id=person.id,
        region_path=regions.path_of(session, person.region_code),
        before=before,
        after=snapshot(person, PERSON_FIELDS),
    )
    record_event(
        session,
        events.PersonDeactivated(person_id=person.id, region_code=person.region_code),
        actor=actor,
    )
    return person
