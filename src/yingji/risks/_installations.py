"""Major hazard installations (重大危险源, GB 18218-2018): identify, re-identify, list, history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import Select, and_, delete, select
from sqlalchemy.orm import Session

from yingji.core.audit import AuditEntry, record_change, snapshot
from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission
from yingji.core.db import fetch_page
from yingji.core.errors import InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.risks import _access, events
from yingji.risks.major_hazard import (
    Identification,
    MajorHazardGrade,
    SubstanceAmount,
    Tables,
    explain_change,
    identify,
    load_tables,
)
from yingji.risks.models import InstallationSubstance, MajorHazardInstallation
from yingji.risks.schemas import InstallationCreate, SubstanceIn, SubstancesUpdate

ENTITY = "major_hazard_installation"
INSTALLATION_FIELDS: Final = (
    "organisation_id", "region_code", "industry_code", "name", "unit_kind", "exposed_people",
    "lon", "lat", "s_exact", "s_value", "is_major", "alpha", "r_exact", "r_value", "grade",
    "last_change_reason", "responsible_person_id", "active",
)  # fmt: skip
GRADES: Final = tuple(MajorHazardGrade)  # 一级 … 四级; stored as 1 … 4
_EXACT_MAX = 80


def grade_number(grade: MajorHazardGrade | None) -> int | None:
    """Return 1 for 一级 … 4 for 四级 (None stays None)."""
    return None if grade is None else GRADES.index(grade) + 1


def grade_zh(number: int | None) -> str | None:
    """Return 一级 … 四级 for a stored grade number."""
    return None if number is None else GRADES[number - 1].value


def substance_tables() -> Tables:
    """Return GB 18218-2018's tables: the Table 1 substances and Table 2 hazard classes to pick."""
    return load_tables()


def load(session: Session, installation_id: uuid.UUID) -> MajorHazardInstallation:
    """Return an installation by id (404 naming ``installation_id``)."""
    row = session.get(MajorHazardInstallation, installation_id)
    if row is None:
        raise NotFound(f"installation {installation_id} does not exist", field="installation_id")
    return row


def require(
    session: Session, actor: Actor, permission: Permission, row: MajorHazardInstallation
) -> None:
    """Raise Forbidden unless the actor holds ``permission`` over this installation."""
    _access.require(
        session,
        actor,
        permission,
        region_path=row.region_path,
        organisation_id=row.organisation_id,
        industry_code=row.industry_code,
        what="installation",
    )


def substances_of(
    session: Session, installation_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[InstallationSubstance]]:
    """Return the substances of some installations, in order, keyed by installation id."""
    ids = list(installation_ids)
    found: dict[uuid.UUID, list[InstallationSubstance]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        select(InstallationSubstance)
        .where(InstallationSubstance.installation_id.in_(ids))
        .order_by(InstallationSubstance.installation_id, InstallationSubstance.position)
    )
    for row in rows:
        found[row.installation_id].append(row)
    return found


def _amounts(
    items: Sequence[SubstanceIn | InstallationSubstance],
) -> list[SubstanceAmount]:
    amounts = []
    for index, item in enumerate(items):
        try:
            amounts.append(
                SubstanceAmount(
                    quantity_t=Decimal(item.quantity_t),
                    seq=item.seq,
                    cas=item.cas or None,
                    name=item.name or None,
                    hazard_classes=tuple(item.hazard_classes),
                    label=item.label,
                )
            )
        except ValidationError as exc:
            message = exc.errors()[0].get("msg", "invalid substance")
            raise InvalidInput(
                f"substance {index + 1}: {message}", field=f"substances[{index}]"
            ) from None
    return amounts


def _identify(
    amounts: Sequence[SubstanceAmount], unit_kind: str, exposed_people: int
) -> Identification:
    try:
        return identify(amounts, unit_kind=unit_kind, exposed_people=exposed_people)  # type: ignore[arg-type]
    except InvalidInput as exc:
        field = (exc.field or "substances").replace("items[", "substances[")
        raise InvalidInput(str(exc), field=field) from None


def _exact(value: Fraction) -> str:
    text = str(value)
    if len(text) <= _EXACT_MAX:
        return text
    return f"{float(value):.12g}"  # an unwieldy fraction: keep 12 significant digits


def _store(row: MajorHazardInstallation, result: Identification) -> None:
    """Copy S, α, R and the grade of an identification onto the row (exact and float)."""
    s_total = sum(
        (Fraction(c.quantity_t) / Fraction(c.critical_quantity_t) for c in result.items),
        Fraction(0),
    )
    row.s_exact = _exact(s_total)
    row.s_value = float(s_total)
    row.is_major = result.is_major
    row.alpha = float(result.alpha)
    if result.r is None or any(c.beta is None for c in result.items):
        row.r_exact, row.r_value = None, None
    else:
        weighted = sum(
            (
                Fraction(c.beta) * Fraction(c.quantity_t) / Fraction(c.critical_quantity_t)
                for c in result.items
                if c.beta is not None
            ),
            Fraction(0),
        )
        r = Fraction(result.alpha) * weighted
        row.r_exact = _exact(r)
        row.r_value = float(r)
    row.grade = grade_number(result.grade)


def _write_substances(
    session: Session, row: MajorHazardInstallation, items: Sequence[SubstanceIn]
) -> list[InstallationSubstance]:
    stored = []
    for index, item in enumerate(items):
        sub = InstallationSubstance(
            installation_id=row.id,
            label=item.label,
            seq=item.seq,
            cas=item.cas or None,
            name=item.name or None,
            hazard_classes=list(item.hazard_classes),
            quantity_t=item.quantity_t,
            position=index,
        )
        session.add(sub)
        stored.append(sub)
    session.flush()
    return stored


def audit_view(
    row: MajorHazardInstallation, substances: Sequence[InstallationSubstance] = ()
) -> dict[str, Any]:
    """Return what the audit log keeps of an installation and its stock."""
    view = snapshot(row, INSTALLATION_FIELDS)
    view["substances"] = [
        {"label": s.label, "seq": s.seq, "cas": s.cas, "name": s.name, "quantity_t": s.quantity_t}
        for s in substances
    ]
    return view


def create_installation(
    session: Session, *, actor: Actor, data: InstallationCreate
) -> MajorHazardInstallation:
    """Record a unit and identify it: S = Σq/Q (major if S ≥ 1), R = α·Σβ·q/Q and the grade."""
    facts = _access.enterprise_facts(session, actor, Permission.RISK_WRITE, data.organisation_id)
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput(
            "give both lon and lat, or neither", field="lat" if data.lat is None else "lon"
        )
    _access.require_person(
        session, data.responsible_person_id, facts.id, field="responsible_person_id"
    )
    result = _identify(_amounts(data.substances), data.unit_kind.value, data.exposed_people)
    row = MajorHazardInstallation(
        organisation_id=facts.id,
        region_code=facts.region_code,
        region_path=facts.region_path,
        industry_code=facts.industry_code,
        name=data.name,
        unit_kind=data.unit_kind.value,
        exposed_people=data.exposed_people,
        lon=data.lon,
        lat=data.lat,
        responsible_person_id=data.responsible_person_id,
        active=True,
        is_demo=data.is_demo,
    )
    _store(row, result)
    session.add(row)
    session.flush()
    stored = _write_substances(session, row, data.substances)
    record_change(
        session,
        actor=actor,
        action="installation.identified",
        entity_type=ENTITY,
        entity_id=row.id,
        region_path=row.region_path,
        after=audit_view(row, stored),
    )
    record_event(
        session,
        events.InstallationIdentified(
            installation_id=row.id,
            organisation_id=row.organisation_id,
            region_code=row.region_code,
            is_major=row.is_major,
            grade=row.grade,
        ),
        actor=actor,
    )
    return row


def get_installation(
    session: Session, *, actor: Actor, installation_id: uuid.UUID
) -> MajorHazardInstallation:
    """Return an installation the actor may read."""
    row = load(session, installation_id)
    require(session, actor, Permission.RISK_READ, row)
    return row


def update_installation_substances(
    session: Session,
    *,
    actor: Actor,
    installation_id: uuid.UUID,
    data: SubstancesUpdate,
) -> MajorHazardInstallation:
    """Replace the stock of an installation, re-identify it and record why.

    ``last_change_reason`` keeps the user's reason and what changed (items, S, R, grade).
    """
    row = load(session, installation_id)
    require(session, actor, Permission.RISK_WRITE, row)
    if not row.active:
        raise InvalidInput("the installation is inactive", field="installation_id")
    old_substances = substances_of(session, [row.id])[row.id]
    before_view = audit_view(row, old_substances)
    previous = _identify(_amounts(old_substances), row.unit_kind, row.exposed_people)
    exposed = row.exposed_people if data.exposed_people is None else data.exposed_people
    result = _identify(_amounts(data.substances), row.unit_kind, exposed)
    change = explain_change(previous, result)
    old_grade = (row.is_major, row.grade)
    session.execute(
        delete(InstallationSubstance).where(InstallationSubstance.installation_id == row.id)
    )
    session.flush()
    stored = _write_substances(session, row, data.substances)
    row.exposed_people = exposed
    _store(row, result)
    row.last_change_reason = f"{data.reason}｜{change}"[:4000]
    session.flush()
    after_view = audit_view(row, stored)
    after_view["reason"] = data.reason
    after_view["change"] = change
    record_change(
        session,
        actor=actor,
        action="installation.substances_changed",
        entity_type=ENTITY,
        entity_id=row.id,
        region_path=row.region_path,
        before=before_view,
        after=after_view,
    )
    record_event(
        session,
        events.InstallationIdentified(
            installation_id=row.id,
            organisation_id=row.organisation_id,
            region_code=row.region_code,
            is_major=row.is_major,
            grade=row.grade,
            grade_changed=old_grade != (row.is_major, row.grade),
        ),
        actor=actor,
    )
    return row


def list_installations(
    session: Session,
    *,
    actor: Actor,
    organisation_id: uuid.UUID | None = None,
    region_code: str | None = None,
    major_only: bool = False,
    active: bool | None = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[MajorHazardInstallation], int]:
    """Return one page of the installations the actor may read (highest grade first)."""
    conditions = [
        _access.visible(
            session,
            actor,
            Permission.RISK_READ,
            region_path=MajorHazardInstallation.region_path,
            organisation=MajorHazardInstallation.organisation_id,
            industry=MajorHazardInstallation.industry_code,
        )
    ]
    if active is not None:
        conditions.append(MajorHazardInstallation.active.is_(active))
    if organisation_id is not None:
        conditions.append(MajorHazardInstallation.organisation_id == organisation_id)
    if region_code:
        low, high = subtree_range(_access.input_region_path(session, region_code))
        conditions.append(
            and_(
                MajorHazardInstallation.region_path >= low,
                MajorHazardInstallation.region_path < high,
            )
        )
    if major_only:
        conditions.append(MajorHazardInstallation.is_major.is_(True))
    stmt: Select[MajorHazardInstallation] = select(MajorHazardInstallation).where(*conditions)
    return fetch_page(
        session,
        stmt,
        order_by=[
            MajorHazardInstallation.is_major.desc(),
            MajorHazardInstallation.grade.asc().nulls_last(),
            MajorHazardInstallation.s_value.desc(),
            MajorHazardInstallation.id,
        ],
        limit=max(1, min(limit, 500)),
        offset=max(0, offset),
    )


def installation_history(
    session: Session, *, actor: Actor, installation_id: uuid.UUID, limit: int = 50
) -> list[AuditEntry]:
    """Return the audit entries of an installation the actor may read, newest first."""
    get_installation(session, actor=actor, installation_id=installation_id)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == ENTITY, AuditEntry.entity_id == str(installation_id))
            .order_by(AuditEntry.id.desc())
            .limit(max(1, min(limit, 200)))
        )
    )
