"""Responsible-person assignments (包保责任人): who answers for which region and duty, when."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.db import fetch_page
from yingji.core.errors import Conflict, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.orgs import events
from yingji.orgs._access import input_region_path, region_filter, require_scope, visible
from yingji.orgs.models import Person, Responsibility
from yingji.orgs.schemas import (
    DutyType,
    ResponsibilityCreate,
    ResponsiblePerson,
    ResponsibleRow,
)
from yingji.regions import service as regions

RESPONSIBILITY_FIELDS = (
    "person_id", "region_code", "duty_type", "title", "is_primary", "starts_on", "ends_on",
)  # fmt: skip
# Duty rosters are kept in local dates; mainland China is UTC+8 all year (no daylight saving).
CHINA_TZ = timezone(timedelta(hours=8), "CST")


def _require(session: Session, actor: Actor, permission: Permission, row: Responsibility) -> None:
    person = session.get(Person, row.person_id)
    require_scope(
        session,
        actor,
        permission,
        region_code=row.region_code,
        organisation_id=person.organisation_id if person else None,
        what="assignment",
    )


def get_responsibility(
    session: Session, *, actor: Actor, responsibility_id: uuid.UUID
) -> Responsibility:
    """Return an assignment the actor may read."""
    row = session.get(Responsibility, responsibility_id)
    if row is None:
        raise NotFound(f"assignment {responsibility_id} does not exist", field="responsibility_id")
    _require(session, actor, Permission.ASSIGNMENT_READ, row)
    return row


def list_responsibilities(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    duty_type: DutyType | None = None,
    person_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Responsibility], int]:
    """Return one page of the assignments in the actor's region (``region_code``: a subtree)."""
    conditions = [
        visible(
            actor,
            Permission.ASSIGNMENT_READ,
            region_column=Responsibility.region_code,
            org_column=Person.organisation_id,
        )
    ]
    if region_code:
        conditions.append(region_filter(session, Responsibility.region_code, region_code))
    if duty_type is not None:
        conditions.append(Responsibility.duty_type == duty_type)
    if person_id is not None:
        conditions.append(Responsibility.person_id == person_id)
    stmt = (
        select(Responsibility)
        .join(Person, Person.id == Responsibility.person_id)
        .where(*conditions)
    )
    order = (Responsibility.region_code, Responsibility.duty_type, Responsibility.id)
    return fetch_page(session, stmt, order_by=order, limit=limit, offset=offset)


def assign_responsibility(
    session: Session, *, actor: Actor, data: ResponsibilityCreate
) -> Responsibility:
    """Make a person responsible for a region (inside the actor's subtree) and a duty."""
    actor.require(Permission.ASSIGNMENT_WRITE)
    path = input_region_path(session, data.region_code)
    person = session.get(Person, data.person_id)
    if person is None:
        raise InvalidInput(f"unknown person {data.person_id}", field="person_id")
    row = Responsibility(**data.model_dump())
    _require(session, actor, Permission.ASSIGNMENT_WRITE, row)
    actor.require_region(path, what="assignment's region")
    if not person.active:
        raise InvalidInput("the person is inactive", field="person_id")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidInput("ends_on is before starts_on", field="ends_on")
    clash = select(Responsibility.id).where(
        Responsibility.person_id == data.person_id,
        Responsibility.region_code == data.region_code,
        Responsibility.duty_type == data.duty_type,
    )
    if session.scalar(clash) is not None:
        raise Conflict(
            f"this person already holds the {data.duty_type.label} duty for {data.region_code}",
            field="duty_type",
        )
    session.add(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="responsibility.assigned",
        entity_type="responsibility",
        entity_id=row.id,
        region_path=path,
        after=snapshot(row, RESPONSIBILITY_FIELDS),
    )
    event = events.ResponsibilityAssigned(
        responsibility_id=row.id,
        person_id=row.person_id,
        region_code=row.region_code,
        duty_type=row.duty_type,
    )
    record_event(session, event, actor=actor)
    return row


def unassign_responsibility(
    session: Session, *, actor: Actor, responsibility_id: uuid.UUID
) -> None:
    """Remove an assignment in the actor's region."""
    row = session.get(Responsibility, responsibility_id)
    if row is None:
        raise NotFound(f"assignment {responsibility_id} does not exist", field="responsibility_id")
    _require(session, actor, Permission.ASSIGNMENT_WRITE, row)
    before = snapshot(row, RESPONSIBILITY_FIELDS)
    event = events.ResponsibilityUnassigned(
        responsibility_id=row.id,
        person_id=row.person_id,
        region_code=row.region_code,
        duty_type=row.duty_type,
    )
    session.delete(row)
    session.flush()
    record_change(
        session,
        actor=actor,
        action="responsibility.unassigned",
        entity_type="responsibility",
        entity_id=responsibility_id,
        region_path=regions.path_of(session, before["region_code"]),
        before=before,
    )
    record_event(session, event, actor=actor)


def responsible_persons(
    session: Session,
    *,
    region_codes: Iterable[str],
    duty_type: DutyType | Iterable[DutyType],
    on: date | None = None,
) -> list[ResponsiblePerson]:
    """Return the active persons assigned to any of the regions and duties on a day, in one query.

    No permission check: this is for system components (warning dispatch) acting on a
    decision already authorised. ``on`` defaults to today in China. One row per assignment,
    ordered by region, primary first, then name. The regions are matched exactly: pass the
    ancestors too if their responsible persons should hear as well.
    """
    rows = responsible_rows(session, region_codes=region_codes, duty_type=duty_type, on=on)
    return [
        ResponsiblePerson(
            person_id=r.person_id, name=r.name, organisation_id=r.organisation_id,
            mobile=r.mobile, phone=r.phone, region_code=r.region_code,
            duty_type=DutyType(r.duty_type), title=r.title, is_primary=r.is_primary,
        )
        for r in rows
    ]  # fmt: skip


def responsible_rows(
    session: Session,
    *,
    duty_type: DutyType | Iterable[DutyType],
    region_codes: Iterable[str] = (),
    within: Iterable[str] = (),
    on: date | None = None,
    by_person: bool = False,
) -> list[ResponsibleRow]:
    """Return ``responsible_persons``' rows as plain tuples, of exact regions or of subtrees.

    ``region_codes`` matches regions exactly; ``within`` (region paths) matches every region
    of those subtrees, with no list of codes to send: a county's warning covers 25,000 grids.
    ``by_person``: ordered by person (then region, primary first) rather than by region, so a
    person's rows are adjacent and persons come in identifier order (a cheaper sort, too).
    """
    codes = sorted(set(region_codes))
    roots = sorted(set(within))
    duties = [duty_type] if isinstance(duty_type, DutyType) else list(duty_type)
    if not (codes or roots) or not duties:
        return []
    placed = [
        *([Responsibility.region_code.in_(codes)] if codes else []),
        *(regions.in_subtree(Responsibility.region_code, root) for root in roots),
    ]
    day = on or datetime.now(CHINA_TZ).date()
    # Core, not the ORM's row loading: columns only, and a third faster at this volume.
    rows = (
        session.connection()
        .execute(
            select(
                Person.id,
                Person.name,
                Person.organisation_id,
                Person.mobile,
                Person.phone,
                Responsibility.region_code,
                Responsibility.duty_type,
                Responsibility.title,
                Responsibility.is_primary,
            )
            .join(Person, Person.id == Responsibility.person_id)
            .where(
                or_(*placed),
                Responsibility.duty_type.in_([str(d) for d in duties]),
                Person.active.is_(True),
                or_(Responsibility.starts_on.is_(None), Responsibility.starts_on <= day),
                or_(Responsibility.ends_on.is_(None), Responsibility.ends_on >= day),
            )
            .order_by(
                *(
                    (Person.id, Responsibility.region_code, Responsibility.is_primary.desc())
                    if by_person
                    else (
                        Responsibility.region_code,
                        Responsibility.is_primary.desc(),
                        Person.name,
                        Person.id,
                    )
                )
            )
        )
        .all()
    )
    return [ResponsibleRow._make(r) for r in rows]
