"""The hazard lifecycle services: one per action of ``states.TRANSITIONS``.

Each locks the row, checks the actor's permission on this hazard, checks the transition and the
guards of ``rules``, changes the hazard inside ``_stats.tracked``, bumps ``version``, audits
before/after and stages an event. An illegal step raises IllegalTransition (409) naming the
actions (and states) allowed from the current status.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.clock import local_today
from yingji.core.db import utcnow
from yingji.core.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.core.files import link
from yingji.hazards import _stats, events, rules, states
from yingji.hazards._escalation import supervising_recipients
from yingji.hazards._records import ENTITY, audit_view, load, require
from yingji.hazards.models import Hazard
from yingji.hazards.rules import GeneralRectification, RectificationEvidence, RectificationPlan
from yingji.hazards.states import HazardAction, HazardGrade, HazardSource, HazardStatus
from yingji.orgs import service as orgs

_A = HazardAction
# The permission each action needs (roles.GRANTS decides who holds it, and in which scope).
ACTION_PERMISSION: dict[HazardAction, Permission] = {
    _A.CONFIRM: Permission.HAZARD_CONFIRM,
    _A.REJECT: Permission.HAZARD_CONFIRM,
    _A.START_RECTIFICATION: Permission.HAZARD_RECTIFY,
    _A.SUBMIT_RECTIFICATION: Permission.HAZARD_RECTIFY,
    _A.VERIFY_PASS: Permission.HAZARD_VERIFY,
    _A.VERIFY_FAIL: Permission.HAZARD_VERIFY,
    _A.CLOSE: Permission.HAZARD_CLOSE,
}
# A hazard the bureau found (supervisory inspection) or received (public report) is confirmed,
# verified and closed by the bureau: the enterprise answers for rectifying it, not for judging
# its own inspector's findings (16号令: the supervising department oversees 排查治理).
_BUREAU_FINDINGS = frozenset({HazardSource.SUPERVISORY_INSPECTION, HazardSource.PUBLIC_REPORT})
_BUREAU_JUDGES = frozenset(
    {Permission.HAZARD_CONFIRM, Permission.HAZARD_VERIFY, Permission.HAZARD_CLOSE}
)
PLAN_KIND_FULL = "full"
PLAN_KIND_GENERAL = "general"


def ensure_allowed(hazard: Hazard, action: HazardAction) -> HazardStatus:
    """Return the target status, or raise IllegalTransition naming what is allowed instead."""
    current = HazardStatus(hazard.status)
    try:
        return states.ensure_allowed(current, action)
    except IllegalTransition as error:
        allowed = states.allowed_actions(current)
        error.details["allowed_actions"] = [a.value for a in allowed]
        error.details["allowed_states"] = sorted(
            {states.TRANSITIONS[(current, a)].value for a in allowed}
        )
        names = ", ".join(a.value for a in allowed) or "none (the hazard is terminal)"
        error.message = f"{error.message}; allowed actions: {names}"
        error.args = (error.message,)
        raise


def _require(session: Session, actor: Actor, permission: Permission, hazard: Hazard) -> None:
    """Check the permission on this hazard, and that the bureau judges what the bureau found."""
    require(session, actor, permission, hazard)
    bureau_found = HazardSource(hazard.source) in _BUREAU_FINDINGS
    if (
        bureau_found
        and permission in _BUREAU_JUDGES
        and actor.scope_for(permission) is not (Scope.REGION)
    ):
        raise Forbidden(
            "a hazard found by the bureau or reported by the public is confirmed, verified and "
            "closed by the bureau",
            permission=str(permission),
        )


def allowed_for(session: Session, actor: Actor, hazard: Hazard) -> list[HazardAction]:
    """Return the actions the actor may take on this hazard now."""
    allowed: list[HazardAction] = []
    for action in states.allowed_actions(HazardStatus(hazard.status)):
        try:
            _require(session, actor, ACTION_PERMISSION[action], hazard)
        except Forbidden:
            continue
        verifying = action in (_A.VERIFY_PASS, _A.VERIFY_FAIL)
        if verifying and actor.user_id is not None and actor.user_id == hazard.rectified_by:
            continue
        if action is _A.CLOSE and hazard.supervised:
            continue
        allowed.append(action)
    return allowed


def _no_nul(model: BaseModel) -> None:
    """Refuse NUL characters (PostgreSQL text and JSONB cannot hold them)."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(f"{name} contains a NUL character", field=name)


def clean_text(value: str, *, field: str, limit: int = rules.TEXT_MAX) -> str:
    """Return stripped free text; refuse NUL characters and text over ``limit``."""
    text = value.strip()
    if "\x00" in text:
        raise InvalidInput(f"{field} contains a NUL character", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    return text


def _prepare(
    session: Session, actor: Actor, hazard_id: uuid.UUID, permission: Permission
) -> Hazard:
    hazard = load(session, hazard_id, for_update=True)
    _require(session, actor, permission, hazard)
    return hazard


@contextmanager
def _changing(
    session: Session,
    actor: Actor,
    hazard: Hazard,
    *,
    action: str,
    event: HazardAction | None,
    extra: dict[str, Any] | None = None,
) -> Iterator[None]:
    """Wrap one change: rollup, version, audit before/after and the transition event."""
    before = audit_view(hazard)
    from_status = hazard.status
    with _stats.tracked(session, hazard):
        yield
        hazard.version += 1
    session.flush()
    record_change(
        session,
        actor=actor,
        action=action,
        entity_type=ENTITY,
        entity_id=hazard.id,
        region_path=hazard.region_path,
        before=before,
        after={**audit_view(hazard), **(extra or {})},
    )
    if event is not None:
        record_event(
            session,
            events.HazardTransitioned(
                hazard_id=hazard.id,
                enterprise_id=hazard.enterprise_id,
                region_code=hazard.region_code,
                action=event.value,
                from_status=from_status,
                to_status=hazard.status,
                grade=hazard.grade,
            ),
            actor=actor,
        )


def confirm_hazard(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    grade: HazardGrade,
    note: str = "",
    now: datetime | None = None,
) -> Hazard:
    """Confirm a reported hazard with its grade; a major one is reported to the departments.

    A hazard matching a 重大事故隐患判定标准 item is major by definition (cn-rules §4).
    """
    hazard = _prepare(session, actor, hazard_id, ACTION_PERMISSION[_A.CONFIRM])
    target = ensure_allowed(hazard, _A.CONFIRM)
    note = clean_text(note, field="note")
    if hazard.major_by_definition and grade is not HazardGrade.MAJOR:
        raise InvalidInput(
            "this hazard matches a 重大事故隐患判定标准 item: it is major by definition",
            field="grade",
        )
    moment = now or utcnow()
    extra = {"note": note} if note else None
    with _changing(
        session, actor, hazard, action="hazard.confirmed", event=_A.CONFIRM, extra=extra
    ):
        hazard.status = target.value
        hazard.grade = grade.value
        hazard.confirmed_by = actor.user_id
        hazard.confirmed_at = moment
        if grade is HazardGrade.MAJOR:
            hazard.reported_to_department_at = moment
    if grade is HazardGrade.MAJOR:
        record_event(
            session,
            events.MajorHazardReported(
                hazard_id=hazard.id,
                enterprise_id=hazard.enterprise_id,
                region_code=hazard.region_code,
                obligations=tuple(o.kind.value for o in rules.reporting_obligations(grade)),
                recipient_ids=tuple(supervising_recipients(session, hazard.enterprise_id)),
            ),
            actor=actor,
        )
    return hazard


def reject_hazard(session: Session, *, actor: Actor, hazard_id: uuid.UUID, reason: str) -> Hazard:
    """Refuse a reported hazard (不予确认) with a reason."""
    hazard = _prepare(session, actor, hazard_id, ACTION_PERMISSION[_A.REJECT])
    target = ensure_allowed(hazard, _A.REJECT)
    text = clean_text(rules.check_rejection(reason), field="reason")
    with _changing(session, actor, hazard, action="hazard.rejected", event=_A.REJECT):
        hazard.status = target.value
        hazard.rejected_reason = text
    return hazard


def _check_person(session: Session, person_id: uuid.UUID | None) -> None:
    if person_id is None:
        return
    try:
        orgs.get_person(session, actor=system_actor(source="worker"), person_id=person_id)
    except NotFound:
        raise InvalidInput(f"unknown person {person_id}", field="responsible_person_id") from None


def _plan_dict(plan: RectificationPlan | GeneralRectification) -> dict[str, Any]:
    kind = PLAN_KIND_FULL if isinstance(plan, RectificationPlan) else PLAN_KIND_GENERAL
    return {"kind": kind, **plan.model_dump(mode="json")}


def plan_of(hazard: Hazard) -> RectificationPlan | GeneralRectification | None:
    """Return the saved plan of a hazard as its model, or None."""
    if not hazard.plan:
        return None
    data = dict(hazard.plan)
    kind = data.pop("kind", PLAN_KIND_FULL)
    if kind == PLAN_KIND_GENERAL:
        return GeneralRectification.model_validate(data)
    return RectificationPlan.model_validate(data)


def _apply_plan(
    session: Session, hazard: Hazard, plan: RectificationPlan | GeneralRectification
) -> None:
    _no_nul(plan)
    if hazard.grade == HazardGrade.MAJOR and not isinstance(plan, RectificationPlan):
        raise InvalidInput(
            "a major hazard needs the full 治理方案 (安监总局令第16号 第十五条)", field="plan"
        )
    for name in type(plan).model_fields:
        value = getattr(plan, name)
        if isinstance(value, str) and len(value) > rules.TEXT_MAX:
            raise InvalidInput(f"{name} is longer than {rules.TEXT_MAX} characters", field=name)
    _check_person(session, plan.responsible_person_id)
    hazard.plan = _plan_dict(plan)
    hazard.responsible_person_id = plan.responsible_person_id
    hazard.deadline = plan.deadline


def save_plan(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    plan: RectificationPlan | GeneralRectification,
) -> Hazard:
    """Save the rectification plan as a draft while the hazard is confirmed."""
    hazard = _prepare(session, actor, hazard_id, Permission.HAZARD_RECTIFY)
    if hazard.status != HazardStatus.CONFIRMED:
        allowed = [a.value for a in states.allowed_actions(HazardStatus(hazard.status))]
        raise Conflict(
            "a plan is saved while the hazard is confirmed, before rectification starts",
            field="status",
            current=hazard.status,
            allowed_actions=allowed,
        )
    with _changing(session, actor, hazard, action="hazard.plan_saved", event=None):
        _apply_plan(session, hazard, plan)
    record_event(
        session,
        events.HazardPlanSaved(hazard_id=hazard.id, enterprise_id=hazard.enterprise_id),
        actor=actor,
    )
    return hazard


def start_rectification(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    plan: RectificationPlan | GeneralRectification | None = None,
    now: datetime | None = None,
) -> Hazard:
    """Start rectifying with the given (or the saved) plan; the grade's guard must pass."""
    hazard = _prepare(session, actor, hazard_id, ACTION_PERMISSION[_A.START_RECTIFICATION])
    target = ensure_allowed(hazard, _A.START_RECTIFICATION)
    chosen = plan if plan is not None else plan_of(hazard)
    if chosen is None:
        raise InvalidInput("no rectification plan saved or given", field="plan")
    moment = now or utcnow()
    grade = HazardGrade(hazard.grade or HazardGrade.GENERAL)
    rules.check_can_start_rectification(grade, chosen, today=local_today(moment))
    with _changing(
        session, actor, hazard, action="hazard.rectification_started", event=_A.START_RECTIFICATION
    ):
        _apply_plan(session, hazard, chosen)
        hazard.status = target.value
        hazard.rectification_started_at = moment
    return hazard


def submit_rectification(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    evidence: RectificationEvidence,
    now: datetime | None = None,
) -> Hazard:
    """Submit the rectification with its evidence (a note and at least one attachment)."""
    hazard = _prepare(session, actor, hazard_id, ACTION_PERMISSION[_A.SUBMIT_RECTIFICATION])
    target = ensure_allowed(hazard, _A.SUBMIT_RECTIFICATION)
    rules.check_evidence(evidence)
    _no_nul(evidence)
    link(
        session,
        evidence.attachment_ids,
        actor=actor,
        entity_type=ENTITY,
        entity_id=hazard.id,
        region_path=hazard.region_path,
        organisation_id=hazard.enterprise_id,
    )
    with _changing(
        session, actor, hazard, action="hazard.rectified", event=_A.SUBMIT_RECTIFICATION
    ):
        hazard.status = target.value
        hazard.rectified_by = actor.user_id
        hazard.rectified_at = now or utcnow()
        hazard.evidence = {
            "note": evidence.note,
            "attachment_ids": [str(i) for i in evidence.attachment_ids],
            "round": hazard.verification_rounds + 1,
        }
    return hazard


def verify_hazard(
    session: Session,
    *,
    actor: Actor,
    hazard_id: uuid.UUID,
    passed: bool,
    note: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Hazard:
    """Verify a rectified hazard (验收); a failure sends it back to rectifying with a reason.

    The verifier cannot be the person who submitted the rectification (403).
    """
    action = _A.VERIFY_PASS if passed else _A.VERIFY_FAIL
    hazard = _prepare(session, actor, hazard_id, ACTION_PERMISSION[action])
    target = ensure_allowed(hazard, action)
    if actor.user_id is not None and hazard.rectified_by is not None:
        rules.check_verifier(actor.user_id, hazard.rectified_by)
    if passed:
        text = clean_text(note, field="note")
    else:
        text = clean_text(rules.check_verification_failure(reason), field="reason")
    name = "hazard.verified" if passed else "hazard.verification_failed"
    with _changing(session, actor, hazard, action=name, event=action):
        hazard.status = target.value
        hazard.verification_note = text or None
        if passed:
            hazard.verified_by = actor.user_id
            hazard.verified_at = now or utcnow()
        else:
            hazard.verification_rounds += 1
    return hazard


def close_hazard(
    session: Session, *, actor: Actor, hazard_id: uuid.UUID, now: datetime | None = None
) -> Hazard:
    """Close a verified hazard (销号); a supervised one only after its listing is lifted."""
    hazard = _prepare(session, actor, hazard_id, ACTION_PERMISSION[_A.CLOSE])
    target = ensure_allowed(hazard, _A.CLOSE)
    if hazard.supervised:
        raise Conflict(
            "a hazard under 挂牌督办 is closed only after the listing is lifted",
            field="supervised",
        )
    with _changing(session, actor, hazard, action="hazard.closed", event=_A.CLOSE):
        hazard.status = target.value
        hazard.closed_by = actor.user_id
        hazard.closed_at = now or utcnow()
    return hazard
