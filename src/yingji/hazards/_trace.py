"""Responsibility trace-back (责任倒查): one timeline of everything recorded about a subject.

The subject is an enterprise, a hazard, a risk point, or a place (a region and words of the
hazards' location). The timeline is read from the audit log, which holds every change with
who, when, from where (api/web/worker), before and after: the reports, confirmations, plans,
deadlines, escalations, supervision listings, verifications and closings of the hazards, the
inspection plans, tasks and findings, and the risk points related to the subject.

Related records are found through the hazards context's own tables (hazards, inspection tasks
and findings). Records of other contexts without a lookup by enterprise (risk points) and
inspection plans (whose enterprises are a JSON list) are matched on the audit entries
themselves: same region path as the subject, and an ``organisation_id``/``enterprise_id`` or
``enterprise_ids`` in the recorded values naming the enterprise.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import Forbidden, InvalidInput, NotFound
from yingji.hazards import _access, _records
from yingji.hazards.models import Hazard, InspectionFinding, InspectionTask
from yingji.hazards.stats_schemas import Timeline, TimelineEntry
from yingji.orgs import service as orgs
from yingji.regions import service as regions

MAX_ENTRIES = 2000
MAX_HAZARDS_OF_PLACE = 500
_CHUNK = 400
HAZARD = _records.ENTITY
TASK = "inspection_task"
FINDING = "inspection_finding"
PLAN = "inspection_plan"
RISK_POINT = "risk_point"
ORGANISATION = "organisation"
# Fields worth naming in a one-line summary, in this order.
_SUMMARY_FIELDS = (
    "status", "grade", "deadline", "responsible_person_id", "escalation_level", "supervised",
    "supervision_deadline", "assignee_user_id", "due_on", "result", "risk_level", "name", "title",
)  # fmt: skip


def trace(
    session: Session,
    *,
    actor: Actor,
    enterprise_id: uuid.UUID | None = None,
    hazard_id: uuid.UUID | None = None,
    risk_point_id: uuid.UUID | None = None,
    region_code: str | None = None,
    place: str | None = None,
) -> Timeline:
    """Return the timeline of one subject, oldest first; exactly one subject must be given."""
    given = [enterprise_id, hazard_id, risk_point_id, place or region_code]
    if sum(x is not None for x in given) != 1:
        raise InvalidInput(
            "give exactly one of enterprise_id, hazard_id, risk_point_id or region+place",
            field="subject",
        )
    actor.require(Permission.TRACE_READ)
    if enterprise_id is not None:
        return _of_enterprise(session, actor, enterprise_id)
    if hazard_id is not None:
        return _of_hazard(session, actor, hazard_id)
    if risk_point_id is not None:
        return _of_risk_point(session, actor, risk_point_id)
    return _of_place(session, actor, region_code, place or "")


def _of_enterprise(session: Session, actor: Actor, enterprise_id: uuid.UUID) -> Timeline:
    facts = orgs.organisation_facts(session, enterprise_id, field="enterprise_id")
    _access.require(
        session,
        actor,
        Permission.TRACE_READ,
        region_path=facts.region_path,
        organisation_id=facts.id,
        industry_code=facts.industry_code,
        what="enterprise",
    )
    hazards = list(session.scalars(select(Hazard.id).where(Hazard.enterprise_id == enterprise_id)))
    tasks = list(
        session.scalars(
            select(InspectionTask.id).where(InspectionTask.enterprise_id == enterprise_id)
        )
    )
    ids = {
        ORGANISATION: {str(enterprise_id)},
        HAZARD: {str(h) for h in hazards},
        TASK: {str(t) for t in tasks},
        FINDING: _findings(session, tasks=tasks),
        RISK_POINT: {
            str(r)
            for r in session.scalars(
                select(Hazard.risk_point_id)
                .where(Hazard.enterprise_id == enterprise_id, Hazard.risk_point_id.is_not(None))
                .distinct()
            )
        },
    }
    entries = _entries(session, actor, ids, paths={facts.region_path})
    entries += _owned(session, actor, facts.region_path, enterprise_id, known=ids)
    return _timeline(f"{facts.name}", entries)


def _of_hazard(session: Session, actor: Actor, hazard_id: uuid.UUID) -> Timeline:
    hazard = _records.load(session, hazard_id)
    _records.require(session, actor, Permission.TRACE_READ, hazard)
    ids: dict[str, set[str]] = {HAZARD: {str(hazard.id)}}
    ids[FINDING] = {
        str(f)
        for f in session.scalars(
            select(InspectionFinding.id).where(InspectionFinding.hazard_id == hazard.id)
        )
    }
    if hazard.inspection_task_id is not None:
        ids[TASK] = {str(hazard.inspection_task_id)}
    if hazard.risk_point_id is not None:
        ids[RISK_POINT] = {str(hazard.risk_point_id)}
    entries = _entries(session, actor, ids, paths={hazard.region_path})
    return _timeline(f"{hazard.number} {hazard.title}", entries)


def _of_risk_point(session: Session, actor: Actor, risk_point_id: uuid.UUID) -> Timeline:
    # No risks.service lookup by id without RISK_READ semantics of its own: the risk point's
    # own audit entries say where it is and whose it is.
    own = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == RISK_POINT, AuditEntry.entity_id == str(risk_point_id))
            .order_by(AuditEntry.seq)
        )
    )
    if not own:
        raise NotFound(f"risk point {risk_point_id} has no record", field="risk_point_id")
    last = own[-1]
    values = {**(last.before or {}), **(last.after or {})}
    raw_org = values.get("organisation_id") or values.get("enterprise_id")
    _access.require(
        session,
        actor,
        Permission.TRACE_READ,
        region_path=last.region_path or "",
        organisation_id=uuid.UUID(str(raw_org)) if raw_org else None,
        industry_code=values.get("industry_code"),
        what="risk point",
    )
    hazards = list(session.scalars(select(Hazard.id).where(Hazard.risk_point_id == risk_point_id)))
    ids = {RISK_POINT: {str(risk_point_id)}, HAZARD: {str(h) for h in hazards}}
    entries = _entries(session, actor, ids, paths=None)
    name = values.get("name") or str(risk_point_id)
    return _timeline(str(name), entries)


def _of_place(session: Session, actor: Actor, region_code: str | None, place: str) -> Timeline:
    if region_code is None:
        raise InvalidInput("a place needs its region", field="region")
    words = place.strip()
    if not words:
        raise InvalidInput("describe the place (words of the hazards' location)", field="place")
    path = regions.path_of(session, region_code)
    if actor.require(Permission.TRACE_READ) is Scope.REGION and not actor.covers_path(path):
        raise Forbidden(f"region {region_code} lies outside your region", field="region")
    low, high = subtree_range(path)
    visible = _access.visible(
        session,
        actor,
        Permission.TRACE_READ,
        region_path=Hazard.region_path,
        organisation=Hazard.enterprise_id,
        industry=Hazard.industry_code,
    )
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        select(Hazard.id, Hazard.inspection_task_id, Hazard.region_path)
        .where(
            visible,
            Hazard.region_path >= low,
            Hazard.region_path < high,
            or_(
                Hazard.location.like(f"%{escaped}%", escape="\\"),
                Hazard.title.like(f"%{escaped}%", escape="\\"),
            ),
        )
        .limit(MAX_HAZARDS_OF_PLACE)
    ).all()
    ids = {
        HAZARD: {str(r[0]) for r in rows},
        TASK: {str(r[1]) for r in rows if r[1] is not None},
    }
    entries = _entries(session, actor, ids, paths={r[2] for r in rows})
    return _timeline(f"{region_code} {words}", entries)


def _findings(session: Session, *, tasks: list[uuid.UUID]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(tasks):
        found.update(
            str(f)
            for f in session.scalars(
                select(InspectionFinding.id).where(InspectionFinding.task_id.in_(chunk))
            )
        )
    return found


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = list(values)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _readable(actor: Actor) -> ColumnElement[bool]:
    """Entries an actor may read: its region subtree (an enterprise: its own records' region)."""
    low, high = subtree_range(actor.region_path)
    return and_(AuditEntry.region_path >= low, AuditEntry.region_path < high)


def _entries(
    session: Session,
    actor: Actor,
    ids: Mapping[str, set[str]],
    *,
    paths: set[str] | None,
) -> list[AuditEntry]:
    """Return the audit entries of the given records (``paths``: their region paths, indexed)."""
    found: dict[int, AuditEntry] = {}
    for entity_type, wanted in ids.items():
        for chunk in _chunks(sorted(wanted)):
            stmt = select(AuditEntry).where(
                AuditEntry.entity_type == entity_type, AuditEntry.entity_id.in_(chunk)
            )
            if paths is not None and entity_type != RISK_POINT:
                stmt = stmt.where(AuditEntry.region_path.in_(sorted(paths)))
            if actor.scope_for(Permission.TRACE_READ) is Scope.REGION:
                stmt = stmt.where(_readable(actor))
            for entry in session.scalars(stmt.limit(MAX_ENTRIES + 1)):
                found[entry.seq] = entry
    return list(found.values())


def _owned(
    session: Session,
    actor: Actor,
    region_path: str,
    enterprise_id: uuid.UUID,
    *,
    known: Mapping[str, set[str]],
) -> list[AuditEntry]:
    """Return entries of plans and risk points whose recorded values name the enterprise."""
    wanted = str(enterprise_id)
    stmt = select(AuditEntry).where(
        AuditEntry.region_path == region_path, AuditEntry.entity_type.in_([PLAN, RISK_POINT])
    )
    out: list[AuditEntry] = []
    owned_ids: set[tuple[str, str]] = set()
    rows = list(session.scalars(stmt.limit(10 * MAX_ENTRIES)))
    for entry in rows:
        values = {**(entry.before or {}), **(entry.after or {})}
        names = {str(values.get(k)) for k in ("organisation_id", "enterprise_id", "owner_org_id")}
        listed = values.get("enterprise_ids")
        if wanted in names or (isinstance(listed, list) and wanted in map(str, listed)):
            owned_ids.add((entry.entity_type, entry.entity_id))
    for entry in rows:
        key = (entry.entity_type, entry.entity_id)
        if key in owned_ids and entry.entity_id not in known.get(entry.entity_type, set()):
            out.append(entry)
    return out


def _changed(entry: AuditEntry) -> dict[str, Any]:
    before, after = entry.before or {}, entry.after or {}
    if not before:
        return {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _summary(entry: AuditEntry, changed: Mapping[str, Any]) -> str:
    values = entry.after or entry.before or {}
    label = values.get("number") or values.get("name") or values.get("title") or ""
    parts = [f"{entry.entity_type} {label}".strip() + f": {entry.action}"]
    if changed:
        shown = [k for k in _SUMMARY_FIELDS if k in changed][:4]
        parts += [f"{k} {changed[k][0]} → {changed[k][1]}" for k in shown]
    else:
        shown = [k for k in _SUMMARY_FIELDS if values.get(k) not in (None, "", [])][:3]
        parts += [f"{k} {values[k]}" for k in shown]
    return "; ".join(parts)[:500]


def _timeline(subject: str, entries: list[AuditEntry]) -> Timeline:
    entries.sort(key=lambda e: e.seq)
    truncated = len(entries) > MAX_ENTRIES
    items = []
    for entry in entries[:MAX_ENTRIES]:
        changed = _changed(entry)
        items.append(
            TimelineEntry(
                at=entry.at,
                actor=entry.actor,
                role=entry.role,
                source=entry.source,
                action=entry.action,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                summary=_summary(entry, changed),
                changed=changed,
            )
        )
    return Timeline(subject=subject, entries=items, truncated=truncated)


CSV_COLUMNS = ("时间", "操作人", "角色", "来源", "动作", "对象类型", "对象", "摘要", "变更")


def to_csv(timeline: Timeline) -> bytes:
    """Return a timeline as CSV, UTF-8 with a byte-order mark so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"责任倒查：{timeline.subject}"])
    writer.writerow(CSV_COLUMNS)
    for e in timeline.entries:
        changes = "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in e.changed.items())
        writer.writerow(
            [
                e.at.isoformat(),
                e.actor,
                e.role,
                e.source,
                e.action,
                e.entity_type,
                e.entity_id,
                e.summary,
                changes,
            ]
        )
    if timeline.truncated:
        writer.writerow([f"仅列出前 {MAX_ENTRIES} 条"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
