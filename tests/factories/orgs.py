"""Organisation, person and responsibility factories (through the real services)."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.auth.actor import system_actor
from yingji.orgs import service
from yingji.orgs.models import Organisation, Person, Responsibility
from yingji.orgs.schemas import (
    DutyType,
    OrganisationCreate,
    OrgKind,
    PersonCreate,
    ResponsibilityCreate,
    TeamType,
)
from yingji.orgs.validators import CREDIT_CODE_CHARS, credit_code_check_char


def credit_code(*, division: str = "420502", authority: str = "91") -> str:
    """Return a random valid unified social credit code (enterprise by default)."""
    body = authority + division + "".join(random.choices(CREDIT_CODE_CHARS, k=9))
    return body + credit_code_check_char(body)


def make_org(
    session: Session,
    *,
    kind: OrgKind = OrgKind.ENTERPRISE,
    region_code: str = "420502",
    name: str | None = None,
    **fields: Any,
) -> Organisation:
    """Create an organisation as the system; enterprises and teams get the fields they need."""
    if kind is OrgKind.ENTERPRISE:
        fields.setdefault("credit_code", credit_code(division=region_code[:6]))
        fields.setdefault("industry_code", "C2614")
    if kind is OrgKind.RESCUE_TEAM:
        fields.setdefault("team_type", TeamType.PROFESSIONAL)
    data = OrganisationCreate(
        kind=kind, name=name or f"{kind.label}-{uuid.uuid4().hex[:6]}", region_code=region_code,
        **fields,
    )  # fmt: skip
    return service.create_organisation(session, actor=system_actor(source="tests"), data=data)


def make_person(
    session: Session,
    *,
    region_code: str = "420502",
    organisation_id: uuid.UUID | None = None,
    name: str | None = None,
    **fields: Any,
) -> Person:
    """Create a person as the system."""
    data = PersonCreate(
        name=name or f"人员-{uuid.uuid4().hex[:6]}", region_code=region_code,
        organisation_id=organisation_id, **fields,
    )  # fmt: skip
    return service.create_person(session, actor=system_actor(source="tests"), data=data)


def make_responsibility(
    session: Session,
    *,
    person_id: uuid.UUID,
    region_code: str = "420502",
    duty_type: DutyType = DutyType.FLOOD,
    starts_on: date | None = None,
    ends_on: date | None = None,
    **fields: Any,
) -> Responsibility:
    """Assign a person to a region and duty as the system."""
    data = ResponsibilityCreate(
        person_id=person_id, region_code=region_code, duty_type=duty_type, starts_on=starts_on,
        ends_on=ends_on, **fields,
    )  # fmt: skip
    return service.assign_responsibility(session, actor=system_actor(source="tests"), data=data)
