"""Risk factories: risk points and major hazard installations, created as the system."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.auth.actor import system_actor
from yingji.risks import service
from yingji.risks.models import MajorHazardInstallation, RiskPoint
from yingji.risks.schemas import InstallationCreate, RiskPointCreate

# LEC factor sets giving each level under the default (xiaomilidoc) bands: D = L·E·C.
LEC_MAJOR = {"L": 10, "E": 6, "C": 40}  # 2400 > 320
LEC_CONSIDERABLE = {"L": 3, "E": 6, "C": 15}  # 270: 160–320
LEC_GENERAL = {"L": 3, "E": 6, "C": 7}  # 126: 70–160
LEC_LOW = {"L": 1, "E": 6, "C": 3}  # 18 < 20


def make_risk_point(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    factors: dict[str, float] | None = None,
    method: str = "lec",
    **fields: Any,
) -> RiskPoint:
    """Create a risk point (LEC, general level unless other factors are given)."""
    fields.setdefault("name", f"风险点-{uuid.uuid4().hex[:6]}")
    fields.setdefault("kind", "place")
    fields.setdefault("control_level", "workshop")
    data = RiskPointCreate(
        organisation_id=organisation_id, method=method, factors=factors or LEC_GENERAL, **fields
    )
    return service.create_risk_point(session, actor=system_actor(source="tests"), data=data)


def make_installation(
    session: Session,
    *,
    organisation_id: uuid.UUID,
    substances: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> MajorHazardInstallation:
    """Create an installation (default: a 50 t liquid chlorine store, 100 people: 二级)."""
    fields.setdefault("name", f"储罐区-{uuid.uuid4().hex[:6]}")
    fields.setdefault("unit_kind", "storage")
    fields.setdefault("exposed_people", 100)
    data = InstallationCreate(
        organisation_id=organisation_id,
        substances=substances or [{"label": "液氯储罐", "seq": 12, "quantity_t": "50"}],
        **fields,
    )
    return service.create_installation(session, actor=system_actor(source="tests"), data=data)
