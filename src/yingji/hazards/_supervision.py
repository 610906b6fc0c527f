"""挂牌督办: a department lists a confirmed major hazard for supervision and lifts it after 验收.

安全生产法 第四十一条第三款 asks the departments to build a 重大事故隐患治理督办制度 (cn-rules
§3.6). A listing names the supervising unit (a bureau or department whose region covers the
enterprise) and a deadline; it can be lifted only once the hazard is verified, and a listed
hazard cannot be closed (销号) before.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.clock import local_today
from yingji.core.db import utcnow
from yingji.core.errors import Conflict, InvalidInput
from yingji.core.events import record_event
from yingji.hazards import _stats, events
from yingji.hazards._lifecycle import clean_text
from yingji.hazards._records import ENTITY, audit_view, load, require
from yingji.hazards.models import Hazard
from yingji.hazards.states import HazardGrade, HazardStatus
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind

LISTABLE = frozenset({HazardStatus.CONFIRMED, HazardStatus.RECTIFYING, HazardStatus.RECTIFIED})


def _audit(
    session: Session,
    actor: Actor,
    hazard: Hazard,
    action: str,
    before: dict[str, object],
    note: str,
) -> None:
    after = audit_view(hazard)
    if note:
        after["note"] = note
    record_change(
        session, actor=actor, action=action, entity_type=ENTITY, entity_id=hazard.id,
        region_path=hazard.region_path, before=before, after=after,
    )  # fmt: skip


def list_supervision(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    supervising_org_id: uuid.UUID,
    deadline: date,
    note: str = "",
    now: datetime | None = None,
) -> Hazard:
    """Put a confirmed major hazard, not yet verified, closed or rejected, under 挂牌督办."""
    hazard = load(session, hazard_id, for_update=True)
    require(session, actor, Permission.HAZARD_SUPERVISE, hazard)
    text = clean_text(note, field="note")
    if hazard.grade != HazardGrade.MAJOR or hazard.status not in LISTABLE:
        raise Conflict(
            "only a confirmed major hazard that is not yet verified can be listed for supervision",
            field="hazard_id",
            status=hazard.status,
            grade=hazard.grade,
        )
    if hazard.supervised:
        raise Conflict("the hazard is already under supervised listing", field="hazard_id")
    unit = orgs.organisation_facts(session, supervising_org_id, field="supervising_org_id")
    if unit.kind not in (OrgKind.BUREAU, OrgKind.DEPARTMENT) or not unit.active:
        raise InvalidInput(
            "the supervising unit must be an active bureau or department",
            field="supervising_org_id",
        )
    if not hazard.region_path.startswith(unit.region_path):
        raise InvalidInput(
            "the supervising unit's region must cover the enterprise", field="supervising_org_id"
        )
    moment = now or utcnow()
    if deadline < local_today(moment):
        raise InvalidInput(f"deadline {deadline.isoformat()} is in the past", field="deadline")
    before = audit_view(hazard)
    with _stats.tracked(session, hazard):
        hazard.supervised = True
        hazard.supervising_org_id = unit.id
        hazard.supervision_deadline = deadline
        hazard.supervision_listed_at = moment
        hazard.supervision_lifted_at = None
        hazard.version += 1
    session.flush()
    _audit(session, actor, hazard, "hazard.supervision_listed", before, text)
    record_event(
        session,
        events.HazardSupervisionListed(
            hazard_id=hazard.id,
            enterprise_id=hazard.enterprise_id,
            supervising_org_id=unit.id,
            deadline=deadline.isoformat(),
        ),
        actor=actor,
    )
    return hazard


def lift_supervision(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    note: str = "",
    now: datetime | None = None,
) -> Hazard:
    """Lift a supervised listing (摘牌) once the hazard is verified; it can then be closed."""
    hazard = load(session, hazard_id, for_update=True)
    require(session, actor, Permission.HAZARD_SUPERVISE, hazard)
    text = clean_text(note, field="note")
    if not hazard.supervised:
        raise Conflict("the hazard is not under supervised listing", field="hazard_id")
    if hazard.status != HazardStatus.VERIFIED:
        raise Conflict(
            "a supervised listing is lifted only after the rectification is verified",
            field="status",
            status=hazard.status,
        )
    before = audit_view(hazard)
    with _stats.tracked(session, hazard):
        hazard.supervised = False
        hazard.supervision_lifted_at = now or utcnow()
        hazard.version += 1
    session.flush()
    _audit(session, actor, hazard, "hazard.supervision_lifted", before, text)
    record_event(
        session,
        events.HazardSupervisionLifted(
            hazard_id=hazard.id,
            enterprise_id=hazard.enterprise_id,
            supervising_org_id=hazard.supervising_org_id,
        ),
        actor=actor,
    )
    return hazard
