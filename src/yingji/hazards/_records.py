"""Hazard records: report (from any source), read, list. The lifecycle lives in ``_lifecycle``."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.db import utcnow
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.core.files import link
from yingji.hazards import _access, _stats, events
from yingji.hazards.models import Hazard
from yingji.hazards.schemas import HazardCreate
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.risks import checklists

ENTITY = "hazard"
HAZARD_FIELDS = (
    "number", "enterprise_id", "region_code", "industry_code", "title", "description", "location",
    "lon", "lat", "source", "status", "grade", "major_by_definition", "checklist_id",
    "checklist_item_id", "clause", "risk_point_id", "inspection_task_id", "public_report_id",
    "external_ref", "responsible_person_id", "deadline", "plan", "evidence", "rejected_reason",
    "verification_rounds", "verification_note", "overdue", "escalation_level", "supervised",
    "supervising_org_id", "supervision_deadline", "reported_to_department_at",
)  # fmt: skip
# Crockford base32 without I, L, O, U: readable over the phone, no look-alike characters.
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_NUMBER_RANDOM = 8


def new_number(region_code: str, now: datetime) -> str:
    """Return a hazard number such as ``YH420502-20261122-7KQ2M9XD``: region, day, random."""
    tail = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(_NUMBER_RANDOM))
    return f"YH{region_code[:12]}-{now:%Y%m%d}-{tail}"


def load(session: Session, hazard_id: uuid.UUID, *, for_update: bool = False) -> Hazard:
    """Return a hazard by id (404 naming ``hazard_id`` if absent)."""
    stmt = select(Hazard).where(Hazard.id == hazard_id)
    if for_update:
        stmt = stmt.with_for_update()
    hazard = session.scalar(stmt)
    if hazard is None:
        raise NotFound(f"hazard {hazard_id} does not exist", field="hazard_id")
    return hazard


def require(session: Session, actor: Actor, permission: Permission, hazard: Hazard) -> None:
    """Raise Forbidden unless the actor holds ``permission`` over this hazard."""
    _access.require(
        session,
        actor,
        permission,
        region_path=hazard.region_path,
        organisation_id=hazard.enterprise_id,
        industry_code=hazard.industry_code,
        what=ENTITY,
    )


def get_hazard(session: Session, *, actor: Actor, hazard_id: uuid.UUID) -> Hazard:
    """Return a hazard the actor may read."""
    hazard = load(session, hazard_id)
    require(session, actor, Permission.HAZARD_READ, hazard)
    return hazard


def _checklist_facts(data: HazardCreate) -> tuple[bool, str | None]:
    """Return (major by definition, clause) of the failed checklist item a report cites."""
    if data.checklist_item_id is None:
        return False, None
    try:
        item = checklists.get_item(data.checklist_item_id)
    except checklists.UnknownItem:
        # A custom checklist's item: ``inspections`` passes its facts in; here it is unknown.
        raise InvalidInput(
            f"unknown checklist item {data.checklist_item_id!r}", field="checklist_item_id"
        ) from None
    return item.major_by_definition, item.clause


def report_hazard(
    session: Session,
    *,
    actor: Actor,
    data: HazardCreate,
    inspection_task_id: uuid.UUID | None = None,
    public_report_id: uuid.UUID | None = None,
    item_facts: tuple[bool, str | None] | None = None,
    now: datetime | None = None,
) -> Hazard:
    """Record a hazard against an enterprise; it starts ``reported``.

    ``item_facts`` (major by definition, clause) is given by the inspections service for items
    of custom checklists; official items are looked up here. A failed 判定标准 item is major by
    definition (cn-rules §4): the proposed grade is then major whatever the reporter chose.
    """
    moment = now or utcnow()
    enterprise = orgs.organisation_facts(session, data.enterprise_id, field="enterprise_id")
    if enterprise.kind != OrgKind.ENTERPRISE:
        raise InvalidInput("a hazard is filed against an enterprise", field="enterprise_id")
    if not enterprise.active:
        raise InvalidInput("the enterprise is inactive", field="enterprise_id")
    _access.require(
        session,
        actor,
        Permission.HAZARD_REPORT,
        region_path=enterprise.region_path,
        organisation_id=enterprise.id,
        industry_code=enterprise.industry_code,
        what="enterprise",
    )
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput(
            "give both lon and lat, or neither", field="lat" if data.lat is None else "lon"
        )
    if data.source is HazardSource.PUBLIC_REPORT and public_report_id is None:
        raise InvalidInput(
            "a public-report hazard is created by triaging the report", field="source"
        )
    major, clause = item_facts if item_facts is not None else _checklist_facts(data)
    grade = HazardGrade.MAJOR if major else data.proposed_grade
    hazard = Hazard(
        number=new_number(enterprise.region_code, moment),
        enterprise_id=enterprise.id,
        region_code=enterprise.region_code,
        region_path=enterprise.region_path,
        industry_code=enterprise.industry_code,
        title=data.title,
        description=data.description,
        location=data.location,
        lon=data.lon,
        lat=data.lat,
        source=data.source.value,
        status=HazardStatus.REPORTED.value,
        grade=grade.value if grade else None,
        major_by_definition=major,
        checklist_id=data.checklist_id,
        checklist_item_id=data.checklist_item_id,
        clause=clause,
        risk_point_id=data.risk_point_id,
        inspection_task_id=inspection_task_id,
        public_report_id=public_report_id,
        external_ref=data.external_ref,
        reported_by=actor.user_id,
        reported_at=moment,
        overdue=False,
        escalation_level=0,
        supervised=False,
        verification_rounds=0,
        version=1,
    )
    session.add(hazard)
    session.flush()
    link(
        session,
        data.attachment_ids,
        actor=actor,
        entity_type=ENTITY,
        entity_id=hazard.id,
        region_path=hazard.region_path,
        organisation_id=hazard.enterprise_id,
    )
    _stats.added(session, hazard)
    record_change(
        session,
        actor=actor,
        action="hazard.reported",
        entity_type=ENTITY,
        entity_id=hazard.id,
        region_path=hazard.region_path,
        after=audit_view(hazard),
    )
    record_event(
        session,
        events.HazardReported(
            hazard_id=hazard.id,
            enterprise_id=hazard.enterprise_id,
            region_code=hazard.region_code,
            source=hazard.source,
            major_by_definition=major,
        ),
        actor=actor,
    )
    return hazard


def audit_view(hazard: Hazard) -> dict[str, Any]:
    """Return what the audit log keeps of a hazard."""
    return snapshot(hazard, HAZARD_FIELDS)
