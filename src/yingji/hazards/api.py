"""HTTP routes of hazard records and their lifecycle (one route per action)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.deps import CurrentActor
from yingji.core.http import UoW
from yingji.hazards import service
from yingji.hazards.models import Hazard
from yingji.hazards.rules import RectificationEvidence
from yingji.hazards.schemas import (
    CloseBody,
    ConfirmBody,
    HazardCreate,
    HazardFilter,
    HazardList,
    HazardRead,
    PlanSave,
    RejectBody,
    StartBody,
    SubmitBody,
    SupervisionCreate,
    SupervisionLift,
    VerifyBody,
    plan_model,
)
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus

router = APIRouter(prefix="/api", tags=["hazards"])

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Code = Annotated[str | None, Query(pattern=r"^[0-9A-Za-z]{1,32}$", description="a region code")]
Industry = Annotated[str | None, Query(pattern=r"^[A-Z][0-9]{0,4}$")]
Search = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]
Day = Annotated[date | None, Query(ge=date(1900, 1, 1), le=date(2999, 12, 31))]
Statuses = Annotated[list[HazardStatus] | None, Query(max_length=10)]


def read(session: Session, actor: Actor, hazard: Hazard) -> HazardRead:
    """Return the read model of a hazard with the actions this actor may take."""
    result = HazardRead.model_validate(hazard)
    result.allowed_actions = service.allowed_for(session, actor, hazard)
    return result


@router.get("/hazards")
def list_hazards(
    uow: UoW,
    actor: CurrentActor,
    status: Statuses = None,
    grade: HazardGrade | None = None,
    source: HazardSource | None = None,
    region: Code = None,
    industry: Industry = None,
    enterprise_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    q: Search = None,
    reported_from: Day = None,
    reported_to: Day = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> HazardList:
    """List the hazards the caller may read, newest first."""
    filters = HazardFilter(
        status=status, grade=grade, source=source, region_code=region, industry_code=industry,
        enterprise_id=enterprise_id, overdue=overdue, supervised=supervised, q=q,
        reported_from=reported_from, reported_to=reported_to,
    )  # fmt: skip
    rows, total = service.list_hazards(
        uow.session, actor=actor, filters=filters, limit=limit, offset=offset
    )
    items = [HazardRead.model_validate(r) for r in rows]
    return HazardList(items=items, total=total, limit=limit, offset=offset)


@router.get("/hazards/geojson")
def hazards_geojson(
    uow: UoW,
    actor: CurrentActor,
    region: Code = None,
    status: Statuses = None,
    grade: HazardGrade | None = None,
) -> dict[str, Any]:
    """Return the visible located hazards as a GeoJSON FeatureCollection (newest 5,000)."""
    filters = HazardFilter(status=status, grade=grade, region_code=region)
    return service.hazard_features(uow.session, actor=actor, filters=filters)


@router.post("/hazards", status_code=status.HTTP_201_CREATED)
def report_hazard(uow: UoW, actor: CurrentActor, body: HazardCreate) -> HazardRead:
    """Report a hazard (a public report becomes a hazard through triage, not here)."""
    hazard = service.report_hazard(uow.session, actor=actor, data=body)
    uow.commit()
    return read(uow.session, actor, hazard)


@router.get("/hazards/{hazard_id}")
def get_hazard(uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID) -> HazardRead:
    """Show one hazard with the actions the caller may take."""
    hazard = service.get_hazard(uow.session, actor=actor, hazard_id=hazard_id)
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/confirm")
def confirm_hazard(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: ConfirmBody
) -> HazardRead:
    """Confirm a reported hazard with its grade; a major one is reported to the departments."""
    hazard = service.confirm_hazard(
        uow.session, actor=actor, hazard_id=hazard_id, grade=body.grade, note=body.note
    )
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/reject")
def reject_hazard(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: RejectBody
) -> HazardRead:
    """Refuse a reported hazard with the reason."""
    hazard = service.reject_hazard(
        uow.session, actor=actor, hazard_id=hazard_id, reason=body.reason
    )
    uow.commit()
    return read(uow.session, actor, hazard)


@router.put("/hazards/{hazard_id}/plan")
def save_plan(uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: PlanSave) -> HazardRead:
    """Save the rectification plan (draft) while the hazard is confirmed."""
    hazard = service.save_plan(
        uow.session, actor=actor, hazard_id=hazard_id, plan=plan_model(body.plan)
    )
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/start-rectification")
def start_rectification(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: StartBody
) -> HazardRead:
    """Start rectification with the given or the saved plan."""
    plan = plan_model(body.plan) if body.plan is not None else None
    hazard = service.start_rectification(uow.session, actor=actor, hazard_id=hazard_id, plan=plan)
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/submit-rectification")
def submit_rectification(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: SubmitBody
) -> HazardRead:
    """Submit the rectification with its evidence."""
    evidence = RectificationEvidence(note=body.note, attachment_ids=tuple(body.attachment_ids))
    hazard = service.submit_rectification(
        uow.session, actor=actor, hazard_id=hazard_id, evidence=evidence
    )
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/verify")
def verify_hazard(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: VerifyBody
) -> HazardRead:
    """Record the verification (验收): passed, or failed with the reason."""
    hazard = service.verify_hazard(
        uow.session, actor=actor, hazard_id=hazard_id, passed=body.passed, note=body.note,
        reason=body.reason,
    )  # fmt: skip
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/close")
def close_hazard(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: CloseBody
) -> HazardRead:
    """Close a verified hazard (销号)."""
    hazard = service.close_hazard(uow.session, actor=actor, hazard_id=hazard_id)
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/supervision")
def list_supervision(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: SupervisionCreate
) -> HazardRead:
    """Put a confirmed major hazard under 挂牌督办."""
    hazard = service.list_supervision(
        uow.session, actor=actor, hazard_id=hazard_id, supervising_org_id=body.supervising_org_id,
        deadline=body.deadline, note=body.note,
    )  # fmt: skip
    uow.commit()
    return read(uow.session, actor, hazard)


@router.post("/hazards/{hazard_id}/supervision/lift")
def lift_supervision(
    uow: UoW, actor: CurrentActor, hazard_id: uuid.UUID, body: SupervisionLift
) -> HazardRead:
    """Lift the 挂牌督办 listing after verification."""
    hazard = service.lift_supervision(uow.session, actor=actor, hazard_id=hazard_id, note=body.note)
    uow.commit()
    return read(uow.session, actor, hazard)
