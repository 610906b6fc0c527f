"""Public reports (举报): intake from the public, tracking, the bureau's triage and rewards.

The reporter's identity (name, phone) is kept only on the report row: it is never put in an
audit snapshot, an event or the tracking answer, and only roles that triage reports read it.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yingji.core import files
from yingji.core.audit import record_change, snapshot
from yingji.core.auth.actor import Actor, anonymous, subtree_range, system_actor
from yingji.core.auth.roles import Permission
from yingji.core.clock import local_midnight, local_today
from yingji.core.db import fetch_page, utcnow
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.core.events import record_event
from yingji.core.jobs import cancel_job, schedule_job
from yingji.hazards import service as hazards
from yingji.hazards.schemas import HazardCreate
from yingji.hazards.states import HazardSource
from yingji.orgs.validators import FormatError, normalise_phone
from yingji.regions import service as regions
from yingji.reports import _rewards, _tracking
from yingji.reports.events import (
    ReportOverdue,
    ReportReceived,
    ReportStatusChanged,
    RewardChanged,
    RewardRulesChanged,
)
from yingji.reports.models import PublicReport, RewardRuleSet
from yingji.reports.schemas import (
    AcceptBody,
    ConcludeBody,
    ExtendBody,
    RejectBody,
    ReportCreate,
    ReportRead,
    RewardProposeBody,
    RewardRulesRead,
    RewardRulesWrite,
    TrackRead,
)
from yingji.reports.states import (
    ACTIVE_REWARDS,
    ReportAction,
    ReportStatus,
    RewardAction,
    RewardStatus,
    allowed_report_actions,
    allowed_reward_actions,
    ensure_report,
    ensure_reward,
)

ROOT_PATH: Final = "/"
ENTITY: Final = "public_report"
OVERDUE_JOB: Final = "reports.overdue_check"
# Audited fields: never the reporter's name or phone.
_AUDITED: Final = (
    "status", "due_on", "extended", "extension_reason", "rejection_reason", "hazard_id",
    "enterprise_id", "public_note", "reward_status", "reward_basis", "reward_inputs",
    "reward_amount", "reward_claim_by",
)  # fmt: skip


@dataclass(frozen=True)
class Handling:
    """Time limits and anti-abuse limits (data/handling.toml)."""

    handling_days: int
    extension_days: int
    feedback_days: int
    objection_days: int
    reexamination_days: int
    reports_per_hour: int
    uploads_per_hour: int
    tracking_per_hour: int
    text_min: int
    text_max: int
    photos_max: int
    form_token_hours: int


@lru_cache(maxsize=1)
def handling() -> Handling:
    """Return the handling configuration."""
    text = resources.files("yingji.reports").joinpath("data/handling.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    merged = {**raw["time_limits"], **raw["rate_limits"], **raw["limits"]}
    fields = Handling.__dataclass_fields__
    return Handling(**{k: int(v) for k, v in merged.items() if k in fields})


# --- public side ---------------------------------------------------------------------------


def check_form(secret: str, client: str, data: ReportCreate, *, now: float | None = None) -> None:
    """Refuse a form whose honeypot is filled or whose signed token is missing or stale."""
    if data.website:
        raise InvalidInput("the form was not filled in by a person", field="website")
    max_age = handling().form_token_hours * 3600
    if not _tracking.form_token_valid(
        secret, client, data.form_token, max_age_seconds=max_age, now=now
    ):
        raise InvalidInput("the form expired; reload the page and try again", field="form_token")


def _place(session: Session, data: ReportCreate) -> tuple[str | None, str]:
    """Return the region code and path of a report: the located point, the chosen region, root."""
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("give both lon and lat, or neither", field="lat")
    if data.lon is not None and data.lat is not None:
        chain = regions.locate(
            session, actor=system_actor(source="web"), lon=data.lon, lat=data.lat
        )
        if chain:
            return chain[0].code, chain[0].path
    if data.region_code:
        try:
            return data.region_code, regions.path_of(session, data.region_code)
        except NotFound as exc:
            raise InvalidInput("unknown region", field="region_code") from exc
    return None, ROOT_PATH


def _identity(data: ReportCreate) -> tuple[str | None, str | None]:
    if data.anonymous:
        return None, None  # an anonymous report keeps no identity, even if one was typed
    name = (data.reporter_name or "").strip()
    if not name:
        raise InvalidInput("give your name, or report anonymously", field="reporter_name")
    try:
        phone = normalise_phone(data.reporter_phone or "", field="reporter_phone")
    except FormatError as exc:
        raise InvalidInput(str(exc), field="reporter_phone") from exc
    return name, phone


def submit_report(
    session: Session,
    *,
    data: ReportCreate,
    request_id: str | None = None,
    now: datetime | None = None,
) -> tuple[PublicReport, str]:
    """File a report from the public; return it and its tracking code (never stored as such)."""
    limits = handling()
    if len(data.text) < limits.text_min:
        raise InvalidInput(
            f"describe what you saw in at least {limits.text_min} characters", field="text"
        )
    if len(data.text) > limits.text_max:
        raise InvalidInput(f"at most {limits.text_max} characters", field="text")
    if len(data.attachment_ids) > limits.photos_max:
        raise InvalidInput(f"at most {limits.photos_max} photos", field="attachment_ids")
    actor = anonymous(request_id=request_id)
    moment = now or utcnow()
    region_code, region_path = _place(session, data)
    name, phone = _identity(data)
    code = _tracking.new_code()
    report = PublicReport(
        tracking_hash=_tracking.code_hash(code),
        category=data.category.value,
        text=data.text,
        place=data.place or None,
        enterprise_name=(data.enterprise_name or "").strip() or None,
        lon=data.lon,
        lat=data.lat,
        region_code=region_code,
        region_path=region_path,
        anonymous=data.anonymous,
        reporter_name=name,
        reporter_phone=phone,
        attachment_ids=[],
        status=ReportStatus.RECEIVED.value,
        received_at=moment,
        due_on=local_today(moment) + timedelta(days=limits.handling_days),
        reward_status=RewardStatus.NONE.value,
    )
    session.add(report)
    session.flush()
    linked = files.link(
        session, data.attachment_ids, actor=actor, entity_type=ENTITY, entity_id=report.id,
        region_path=region_path,
    )  # fmt: skip
    report.attachment_ids = [str(a.id) for a in linked]
    session.flush()
    _schedule_overdue(session, report)
    record_change(
        session, actor=actor, action="reports.received", entity_type=ENTITY,
        entity_id=str(report.id), region_path=region_path, after=snapshot(report, _AUDITED),
    )  # fmt: skip
    record_event(
        session,
        ReportReceived(
            report_id=report.id, category=report.category, region_code=region_code,
            due_on=report.due_on,
        ),
        actor=actor,
    )  # fmt: skip
    return report, code


def upload_public(
    session: Session, *, data_dir: Path, data: bytes, filename: str, request_id: str | None = None
) -> files.Attachment:
    """Store a photo from the public; only a report can claim it."""
    if files.sniff_type(data) == "application/pdf":
        raise InvalidInput("only photos (JPEG, PNG, WebP) are accepted", field="file")
    actor = anonymous(request_id=request_id)
    return files.store(session, data_dir=data_dir, data=data, filename=filename, actor=actor)


def track(session: Session, *, code: str) -> TrackRead:
    """Return what a tracking code shows; an unknown code gives the same shape, ``found`` false."""
    report = session.scalar(
        select(PublicReport).where(PublicReport.tracking_hash == _tracking.code_hash(code))
    )
    if report is None:
        return TrackRead(found=False)
    notice = report.reward_status in {RewardStatus.NOTIFIED, RewardStatus.PAID, RewardStatus.LAPSED}
    return TrackRead(
        found=True,
        received_on=local_today(report.received_at),
        status=ReportStatus(report.status),
        due_on=report.due_on,
        public_note=report.public_note,
        reward_notice=notice,
        reward_claim_by=report.reward_claim_by if notice else None,
    )


# --- bureau side ---------------------------------------------------------------------------


def _require(actor: Actor, permission: Permission, report: PublicReport) -> None:
    actor.require(permission)
    actor.require_region(report.region_path, what="report")


def _load(session: Session, report_id: uuid.UUID) -> PublicReport:
    report = session.get(PublicReport, report_id)
    if report is None:
        raise NotFound(f"report {report_id} does not exist", field="report_id")
    return report


def get_report(session: Session, *, actor: Actor, report_id: uuid.UUID) -> PublicReport:
    """Return a report in the actor's region (REPORT_TRIAGE)."""
    actor.require(Permission.REPORT_TRIAGE)
    report = _load(session, report_id)
    if not actor.covers_path(report.region_path):
        raise NotFound(f"report {report_id} does not exist", field="report_id")
    return report


def list_reports(
    session: Session,
    *,
    actor: Actor,
    status: ReportStatus | None = None,
    overdue: bool | None = None,
    reward_status: RewardStatus | None = None,
    today: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PublicReport], int]:
    """Return one page of the reports of the actor's region subtree, newest first."""
    actor.require(Permission.REPORT_TRIAGE)
    low, high = subtree_range(actor.region_path)
    stmt: Select[PublicReport] = select(PublicReport).where(
        PublicReport.region_path >= low, PublicReport.region_path < high
    )
    if status is not None:
        stmt = stmt.where(PublicReport.status == status.value)
    if reward_status is not None:
        stmt = stmt.where(PublicReport.reward_status == reward_status.value)
    if overdue:
        open_ = [ReportStatus.RECEIVED.value, ReportStatus.ACCEPTED.value]
        stmt = stmt.where(
            PublicReport.status.in_(open_), PublicReport.due_on < (today or local_today())
        )
    return fetch_page(
        session, stmt, order_by=[PublicReport.received_at.desc(), PublicReport.id],
        limit=limit, offset=offset,
    )  # fmt: skip


def to_read(report: PublicReport, *, actor: Actor, today: date | None = None) -> ReportRead:
    """Return the bureau's view of a report; the identity only for triage roles."""
    read = ReportRead.model_validate(report)
    if actor.scope_for(Permission.REPORT_TRIAGE) is None:
        read.reporter_name = None
        read.reporter_phone = None
    status = ReportStatus(report.status)
    read.overdue = status.open and report.due_on < (today or local_today())
    read.allowed_actions = list(allowed_report_actions(status))
    reward = RewardStatus(report.reward_status)
    read.allowed_reward_actions = (
        list(allowed_reward_actions(reward)) if status is ReportStatus.VERIFIED else []
    )
    return read


def _transition(
    session: Session,
    report: PublicReport,
    *,
    actor: Actor,
    action: ReportAction,
    change: dict[str, Any],
) -> PublicReport:
    target = ensure_report(ReportStatus(report.status), action)
    before = snapshot(report, _AUDITED)
    for key, value in change.items():
        setattr(report, key, value)
    report.status = target.value
    session.flush()
    record_change(
        session, actor=actor, action=f"reports.{action.value}", entity_type=ENTITY,
        entity_id=str(report.id), region_path=report.region_path, before=before,
        after=snapshot(report, _AUDITED),
    )  # fmt: skip
    record_event(
        session,
        ReportStatusChanged(
            report_id=report.id, region_code=report.region_code, action=action.value,
            status=target.value, hazard_id=report.hazard_id, due_on=report.due_on,
        ),
        actor=actor,
    )  # fmt: skip
    return report


def accept(
    session: Session,
    *,
    actor: Actor,
    report_id: uuid.UUID,
    data: AcceptBody,
    now: datetime | None = None,
) -> PublicReport:
    """Accept a report: file a hazard (source public_report) against the enterprise concerned."""
    report = get_report(session, actor=actor, report_id=report_id)
    _require(actor, Permission.REPORT_TRIAGE, report)
    ensure_report(ReportStatus(report.status), ReportAction.ACCEPT)
    moment = now or utcnow()
    if data.duplicate_of_hazard_id is not None:
        # A repeated report of a matter already on the books: link it, file nothing new.
        actor.require(Permission.HAZARD_REPORT)
        existing = hazards.get_hazard(session, actor=actor, hazard_id=data.duplicate_of_hazard_id)
        hazard_id, enterprise_id = existing.id, existing.enterprise_id
    else:
        if data.enterprise_id is None:
            raise InvalidInput("choose the enterprise concerned", field="enterprise_id")
        if not data.title:
            raise InvalidInput("give the hazard a title", field="title")
        hazard = hazards.report_hazard(
            session,
            actor=actor,
            data=HazardCreate(
                enterprise_id=data.enterprise_id, title=data.title, description=report.text,
                location=report.place, lon=report.lon, lat=report.lat,
                source=HazardSource.PUBLIC_REPORT, proposed_grade=data.proposed_grade,
            ),
            public_report_id=report.id,
            now=moment,
        )  # fmt: skip
        hazard_id, enterprise_id = hazard.id, data.enterprise_id
    change: dict[str, Any] = {
        "hazard_id": hazard_id, "enterprise_id": enterprise_id,
        "triaged_by": actor.user_id, "triaged_at": moment,
    }  # fmt: skip
    if data.public_note is not None:
        change["public_note"] = data.public_note or None
    return _transition(session, report, actor=actor, action=ReportAction.ACCEPT, change=change)


def reject(
    session: Session,
    *,
    actor: Actor,
    report_id: uuid.UUID,
    data: RejectBody,
    now: datetime | None = None,
) -> PublicReport:
    """Reject a report (不予受理); the reason is required, the public note goes to the reporter."""
    report = get_report(session, actor=actor, report_id=report_id)
    if not data.reason.strip():
        raise InvalidInput("give the reason", field="reason")
    moment = now or utcnow()
    change: dict[str, Any] = {
        "rejection_reason": data.reason, "triaged_by": actor.user_id, "triaged_at": moment,
        "concluded_at": moment, "public_note": data.public_note or None,
    }  # fmt: skip
    _transition(session, report, actor=actor, action=ReportAction.REJECT, change=change)
    cancel_job(session, dedupe_key=_overdue_key(report.id))
    return report


def extend(
    session: Session, *, actor: Actor, report_id: uuid.UUID, data: ExtendBody
) -> PublicReport:
    """Extend the handling time limit once, by the configured days, with the reason."""
    report = get_report(session, actor=actor, report_id=report_id)
    ensure_report(ReportStatus(report.status), ReportAction.EXTEND)
    if report.extended:
        raise Conflict(
            "the time limit was extended already; it may be extended once", field="reason"
        )
    change: dict[str, Any] = {
        "extended": True, "extension_reason": data.reason,
        "due_on": report.due_on + timedelta(days=handling().extension_days),
    }  # fmt: skip
    if data.public_note is not None:
        change["public_note"] = data.public_note or None
    _transition(session, report, actor=actor, action=ReportAction.EXTEND, change=change)
    _schedule_overdue(session, report)
    return report


def conclude(
    session: Session,
    *,
    actor: Actor,
    report_id: uuid.UUID,
    data: ConcludeBody,
    now: datetime | None = None,
) -> PublicReport:
    """Conclude the verification (经核查属实 or not) with the note the reporter will read."""
    report = get_report(session, actor=actor, report_id=report_id)
    action = ReportAction.CONCLUDE_TRUE if data.verified else ReportAction.CONCLUDE_FALSE
    change: dict[str, Any] = {"concluded_at": now or utcnow()}
    if data.public_note is not None:
        change["public_note"] = data.public_note or None
    _transition(session, report, actor=actor, action=action, change=change)
    cancel_job(session, dedupe_key=_overdue_key(report.id))
    return report


# --- rewards -------------------------------------------------------------------------------


def rules_for(
    session: Session, *, region_path: str
) -> tuple[_rewards.RewardRules, str | None, str]:
    """Return the rules of the nearest configured ancestor region (or the national defaults)."""
    codes = [c for c in region_path.strip("/").split("/") if c]
    if codes:
        rows = {
            r.region_code: r
            for r in session.scalars(
                select(RewardRuleSet).where(RewardRuleSet.region_code.in_(codes))
            )
        }
        for code in reversed(codes):
            row = rows.get(code)
            if row is not None:
                return _rewards.parse_rules(row.rules), code, row.basis
    return _rewards.national_rules(), None, _rewards.national_basis()


def get_rules(session: Session, *, actor: Actor, region_code: str) -> RewardRulesRead:
    """Return the reward rules that apply in a region of the actor."""
    if actor.scope_for(Permission.REWARD_MANAGE) is None:
        actor.require(Permission.REWARD_APPROVE)
    path = regions.path_of(session, region_code)
    if not (actor.covers_path(path) or actor.region_path.startswith(path)):
        raise Forbidden("this region lies outside yours", field="region_code")
    rules, source, basis = rules_for(session, region_path=path)
    return RewardRulesRead(
        region_code=region_code, source_region_code=source, basis=basis, rules=rules
    )


def set_rules(
    session: Session, *, actor: Actor, region_code: str, data: RewardRulesWrite
) -> RewardRulesRead:
    """Set a region's own reward rules (its local 办法), overriding the ones above it."""
    actor.require(Permission.REWARD_MANAGE)
    path = regions.path_of(session, region_code)
    actor.require_region(path, what="region")
    rules = _rewards.parse_rules(data.rules.model_dump(mode="json"))
    stored = rules.model_dump(mode="json")
    row = session.get(RewardRuleSet, region_code)
    before = None if row is None else {"rules": row.rules, "basis": row.basis}
    if row is None:
        row = RewardRuleSet(
            region_code=region_code, region_path=path, rules=stored, basis=data.basis
        )
        session.add(row)
    else:
        row.rules, row.basis = stored, data.basis
    row.updated_by = actor.user_id
    session.flush()
    record_change(
        session, actor=actor, action="reports.reward_rules_set", entity_type="reward_rule_set",
        entity_id=region_code, region_path=path, before=before,
        after={"rules": stored, "basis": data.basis},
    )  # fmt: skip
    record_event(session, RewardRulesChanged(region_code=region_code), actor=actor)
    return RewardRulesRead(
        region_code=region_code, source_region_code=region_code, basis=data.basis, rules=rules
    )


def _reward_step(
    session: Session,
    report: PublicReport,
    *,
    actor: Actor,
    action: RewardAction,
    change: dict[str, Any],
) -> PublicReport:
    if ReportStatus(report.status) is not ReportStatus.VERIFIED:
        raise Conflict("only a report verified as true earns a reward", field="status")
    target = ensure_reward(RewardStatus(report.reward_status), action)
    before = snapshot(report, _AUDITED)
    for key, value in change.items():
        setattr(report, key, value)
    report.reward_status = target.value
    session.flush()
    record_change(
        session, actor=actor, action=f"reports.reward_{action.value}", entity_type=ENTITY,
        entity_id=str(report.id), region_path=report.region_path, before=before,
        after=snapshot(report, _AUDITED),
    )  # fmt: skip
    record_event(
        session,
        RewardChanged(
            report_id=report.id, region_code=report.region_code, action=action.value,
            reward_status=target.value, amount=report.reward_amount,
        ),
        actor=actor,
    )  # fmt: skip
    return report


def _earlier_rewarded(session: Session, report: PublicReport) -> bool:
    """Return whether another report of the same hazard earns the reward (first reporter only).

    That is the case when another report of it already has a live reward, or when an earlier
    report of it was verified as true: the first valid reporter is the one rewarded.
    """
    if report.hazard_id is None:
        return False
    others = select(PublicReport.id).where(
        PublicReport.hazard_id == report.hazard_id, PublicReport.id != report.id
    )
    active = others.where(PublicReport.reward_status.in_([s.value for s in ACTIVE_REWARDS]))
    earlier = others.where(
        PublicReport.status == ReportStatus.VERIFIED.value,
        PublicReport.received_at < report.received_at,
    )
    return (
        session.scalar(active.limit(1)) is not None or session.scalar(earlier.limit(1)) is not None
    )


def propose_reward(
    session: Session, *, actor: Actor, report_id: uuid.UUID, data: RewardProposeBody
) -> PublicReport:
    """Propose the reward of a verified report; the amount comes from the region's rules.

    Anonymous reporters may be rewarded: they claim with their tracking code. Only the first
    valid reporter of a matter is rewarded (joint reporters share one reward).
    """
    report = get_report(session, actor=actor, report_id=report_id)
    _require(actor, Permission.REWARD_MANAGE, report)
    if _earlier_rewarded(session, report):
        raise Conflict(
            "another report of the same matter already earns the reward (first reporter only)",
            field="report_id",
        )
    rules, _source, _basis = rules_for(session, region_path=report.region_path)
    amount = _rewards.compute(rules, data.basis, data.inputs)
    change: dict[str, Any] = {
        "reward_basis": data.basis.value,
        "reward_inputs": data.inputs.model_dump(mode="json", exclude_none=True),
        "reward_amount": amount, "reward_proposed_by": actor.user_id,
        "reward_approved_by": None,
    }  # fmt: skip
    return _reward_step(session, report, actor=actor, action=RewardAction.PROPOSE, change=change)


def decide_reward(
    session: Session, *, actor: Actor, report_id: uuid.UUID, approve: bool
) -> PublicReport:
    """Approve (or refuse) a proposed reward; the approver is not the proposer."""
    report = get_report(session, actor=actor, report_id=report_id)
    _require(actor, Permission.REWARD_APPROVE, report)
    if actor.user_id is None or actor.user_id == report.reward_proposed_by:
        raise Forbidden("the reward is approved by someone other than its proposer")
    action = RewardAction.APPROVE if approve else RewardAction.REFUSE
    change: dict[str, Any] = {"reward_approved_by": actor.user_id if approve else None}
    return _reward_step(session, report, actor=actor, action=action, change=change)


def notify_reward(
    session: Session, *, actor: Actor, report_id: uuid.UUID, now: datetime | None = None
) -> PublicReport:
    """Record the 领奖通知: the claim window (the rules' days) starts today."""
    report = get_report(session, actor=actor, report_id=report_id)
    _require(actor, Permission.REWARD_MANAGE, report)
    rules, _source, _basis = rules_for(session, region_path=report.region_path)
    today = local_today(now)
    change: dict[str, Any] = {
        "reward_notified_on": today,
        "reward_claim_by": today + timedelta(days=rules.claim.days),
    }
    return _reward_step(session, report, actor=actor, action=RewardAction.NOTIFY, change=change)


def pay_reward(
    session: Session, *, actor: Actor, report_id: uuid.UUID, now: datetime | None = None
) -> PublicReport:
    """Record that the reward was paid."""
    report = get_report(session, actor=actor, report_id=report_id)
    _require(actor, Permission.REWARD_MANAGE, report)
    change: dict[str, Any] = {"reward_paid_at": now or utcnow()}
    return _reward_step(session, report, actor=actor, action=RewardAction.PAY, change=change)


def lapse_unclaimed(session: Session, *, now: datetime | None = None) -> int:
    """Lapse notified rewards whose claim window has passed; return how many."""
    today = local_today(now)
    actor = system_actor(source="worker")
    stmt = select(PublicReport).where(
        PublicReport.reward_status == RewardStatus.NOTIFIED.value,
        PublicReport.reward_claim_by < today,
    )
    count = 0
    for report in session.scalars(stmt).all():
        _reward_step(session, report, actor=actor, action=RewardAction.LAPSE, change={})
        count += 1
    return count


# --- overdue -------------------------------------------------------------------------------


def _overdue_key(report_id: uuid.UUID) -> str:
    return f"report-overdue:{report_id}"


def _schedule_overdue(session: Session, report: PublicReport) -> None:
    run_at = local_midnight(report.due_on + timedelta(days=1))
    schedule_job(
        session, kind=OVERDUE_JOB, run_at=run_at, payload={"report_id": str(report.id)},
        dedupe_key=_overdue_key(report.id),
    )  # fmt: skip


def flag_overdue(session: Session, *, report_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Emit ReportOverdue if the report is still open past its due date; return whether it did."""
    report = session.get(PublicReport, report_id)
    if report is None or not ReportStatus(report.status).open:
        return False
    if report.due_on >= local_today(now):
        return False
    record_event(
        session,
        ReportOverdue(report_id=report.id, region_code=report.region_code, due_on=report.due_on),
        actor=system_actor(source="worker"),
    )
    return True


def reward_amount_preview(
    session: Session, *, region_path: str, data: RewardProposeBody
) -> Decimal:
    """Return the amount a proposal would give, without recording anything."""
    rules, _source, _basis = rules_for(session, region_path=region_path)
    return _rewards.compute(rules, data.basis, data.inputs)


def public_regions(session: Session) -> list[tuple[str, str]]:
    """Return the counties (code, name) the public form offers when no point is given."""
    from yingji.regions.schemas import RegionLevel

    rows = regions.list_regions(
        session, actor=system_actor(source="web"), level=RegionLevel.COUNTY, limit=500
    )
    return [(r.code, r.name) for r in rows]
