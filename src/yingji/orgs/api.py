"""HTTP routes of the orgs context: organisations, persons, responsibilities, industry lookup."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from yingji.core.auth.deps import CurrentActor, current_actor
from yingji.core.auth.roles import Permission
from yingji.core.http import UoW
from yingji.orgs import service
from yingji.orgs.schemas import (
    REGION_CODE_PATTERN,
    DutyType,
    IndustryRead,
    OrganisationCreate,
    OrganisationList,
    OrganisationRead,
    OrganisationUpdate,
    OrgKind,
    PersonCreate,
    PersonList,
    PersonRead,
    PersonUpdate,
    ResponsibilityCreate,
    ResponsibilityList,
    ResponsibilityRead,
)

router = APIRouter(prefix="/api", tags=["organisations"])


def _needs(permission: Permission) -> Any:
    """Return a route dependency refusing roles without a permission before the body is read.

    The service still does the full check (scope, region, organisation); this only makes a
    role that can never write get 403 rather than a validation error about its request body.
    """

    def check(actor: CurrentActor) -> None:
        actor.require(permission)

    return Depends(check)


ORG_WRITE = [_needs(Permission.ORG_WRITE)]
PERSON_WRITE = [_needs(Permission.PERSON_WRITE)]
ASSIGNMENT_WRITE = [_needs(Permission.ASSIGNMENT_WRITE)]

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Search = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
RegionParam = Annotated[
    str | None, Query(pattern=REGION_CODE_PATTERN, description="a region code: its subtree")
]


@router.get("/organisations")
def list_organisations(
    uow: UoW,
    actor: CurrentActor,
    kind: OrgKind | None = None,
    region: RegionParam = None,
    q: Search = None,
    include_inactive: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> OrganisationList:
    """List the organisations the caller may read."""
    rows, total = service.list_organisations(
        uow.session,
        actor=actor,
        kind=kind,
        region_code=region,
        q=q,
        active=None if include_inactive else True,
        limit=limit,
        offset=offset,
    )
    items = [OrganisationRead.model_validate(r) for r in rows]
    return OrganisationList(items=items, total=total, limit=limit, offset=offset)


@router.post("/organisations", status_code=status.HTTP_201_CREATED, dependencies=ORG_WRITE)
def create_organisation(
    uow: UoW, actor: CurrentActor, body: OrganisationCreate
) -> OrganisationRead:
    """Register an organisation."""
    org = service.create_organisation(uow.session, actor=actor, data=body)
    uow.commit()
    return OrganisationRead.model_validate(org)


@router.get("/organisations/{organisation_id}")
def get_organisation(uow: UoW, actor: CurrentActor, organisation_id: uuid.UUID) -> OrganisationRead:
    """Show one organisation."""
    org = service.get_organisation(uow.session, actor=actor, organisation_id=organisation_id)
    return OrganisationRead.model_validate(org)


@router.patch("/organisations/{organisation_id}", dependencies=ORG_WRITE)
def update_organisation(
    uow: UoW, actor: CurrentActor, organisation_id: uuid.UUID, body: OrganisationUpdate
) -> OrganisationRead:
    """Change an organisation."""
    org = service.update_organisation(
        uow.session, actor=actor, organisation_id=organisation_id, data=body
    )
    uow.commit()
    return OrganisationRead.model_validate(org)


@router.delete("/organisations/{organisation_id}")
def deactivate_organisation(
    uow: UoW, actor: CurrentActor, organisation_id: uuid.UUID
) -> OrganisationRead:
    """Deactivate an organisation (it stays on record)."""
    org = service.deactivate_organisation(uow.session, actor=actor, organisation_id=organisation_id)
    uow.commit()
    return OrganisationRead.model_validate(org)


@router.get("/persons")
def list_persons(
    uow: UoW,
    actor: CurrentActor,
    organisation_id: uuid.UUID | None = None,
    region: RegionParam = None,
    q: Search = None,
    include_inactive: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PersonList:
    """List the persons the caller may read."""
    rows, total = service.list_persons(
        uow.session,
        actor=actor,
        organisation_id=organisation_id,
        region_code=region,
        q=q,
        active=None if include_inactive else True,
        limit=limit,
        offset=offset,
    )
    items = [PersonRead.model_validate(r) for r in rows]
    return PersonList(items=items, total=total, limit=limit, offset=offset)


@router.post("/persons", status_code=status.HTTP_201_CREATED, dependencies=PERSON_WRITE)
def create_person(uow: UoW, actor: CurrentActor, body: PersonCreate) -> PersonRead:
    """Register a person."""
    person = service.create_person(uow.session, actor=actor, data=body)
    uow.commit()
    return PersonRead.model_validate(person)


@router.get("/persons/{person_id}")
def get_person(uow: UoW, actor: CurrentActor, person_id: uuid.UUID) -> PersonRead:
    """Show one person."""
    person = service.get_person(uow.session, actor=actor, person_id=person_id)
    return PersonRead.model_validate(person)


@router.patch("/persons/{person_id}", dependencies=PERSON_WRITE)
def update_person(
    uow: UoW, actor: CurrentActor, person_id: uuid.UUID, body: PersonUpdate
) -> PersonRead:
    """Change a person."""
    person = service.update_person(uow.session, actor=actor, person_id=person_id, data=body)
    uow.commit()
    return PersonRead.model_validate(person)


@router.delete("/persons/{person_id}")
def deactivate_person(uow: UoW, actor: CurrentActor, person_id: uuid.UUID) -> PersonRead:
    """Deactivate a person (they stay on record and are no longer targeted)."""
    person = service.deactivate_person(uow.session, actor=actor, person_id=person_id)
    uow.commit()
    return PersonRead.model_validate(person)


@router.get("/responsibilities")
def list_responsibilities(
    uow: UoW,
    actor: CurrentActor,
    region: RegionParam = None,
    duty_type: DutyType | None = None,
    person_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ResponsibilityList:
    """List responsible-person assignments in the caller's region."""
    rows, total = service.list_responsibilities(
        uow.session,
        actor=actor,
        region_code=region,
        duty_type=duty_type,
        person_id=person_id,
        limit=limit,
        offset=offset,
    )
    items = [ResponsibilityRead.model_validate(r) for r in rows]
    return ResponsibilityList(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/responsibilities", status_code=status.HTTP_201_CREATED, dependencies=ASSIGNMENT_WRITE
)
def assign_responsibility(
    uow: UoW, actor: CurrentActor, body: ResponsibilityCreate
) -> ResponsibilityRead:
    """Assign a responsible person to a region and duty."""
    row = service.assign_responsibility(uow.session, actor=actor, data=body)
    uow.commit()
    return ResponsibilityRead.model_validate(row)


@router.delete("/responsibilities/{responsibility_id}", status_code=status.HTTP_204_NO_CONTENT)
def unassign_responsibility(
    uow: UoW, actor: CurrentActor, responsibility_id: uuid.UUID
) -> Response:
    """Remove an assignment."""
    service.unassign_responsibility(uow.session, actor=actor, responsibility_id=responsibility_id)
    uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/industries", dependencies=[Depends(current_actor)])
def search_industries(q: Search = None) -> list[IndustryRead]:
    """Look up GB/T 4754-2017 sections and divisions by code or name."""
    return [
        IndustryRead(code=i.code, name=i.name, section=i.section, level=i.level)
        for i in service.search_industries(q, limit=200)
    ]
