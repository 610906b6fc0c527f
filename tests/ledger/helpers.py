"""Helpers of the ledger tests: build .xlsx uploads, read exports, count records."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from typing import IO, Any

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Role
from yingji.hazards import service as hazards
from yingji.hazards.schemas import HazardFilter
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions
from yingji.risks import service as risks

ENTERPRISE_HEADER = ["单位名称*", "统一社会信用代码*", "行政区划代码*", "国民经济行业代码*", "地址"]
HAZARD_HEADER = ["企业统一社会信用代码*", "隐患名称*", "隐患来源*", "建议等级"]
RISK_HEADER = [
    "企业统一社会信用代码*", "风险点名称*", "风险点类型*", "评价方法*", "因子L", "因子E", "因子C",
    "管控层级*",
]  # fmt: skip


def xlsx(header: Sequence[object], *rows: Sequence[object], sheet: str = "台账") -> bytes:
    """Return a workbook with a header row and data rows."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_of(stream: IO[bytes] | bytes) -> list[list[Any]]:
    """Return the values of the first sheet of a workbook."""
    data = stream if isinstance(stream, bytes) else stream.read()
    book = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def actor_of(
    session: Session, role: Role, region_code: str, organisation_id: uuid.UUID | None = None
) -> Actor:
    """Return an actor of a role in a region (and organisation)."""
    return Actor(
        role=role, user_id=uuid.uuid4(), username=f"t-{role}", organisation_id=organisation_id,
        region_code=region_code, region_path=regions.path_of(session, region_code),
        source="tests",
    )  # fmt: skip


def enterprise_count(session: Session) -> int:
    """Return how many enterprises are registered."""
    _, total = orgs.list_organisations(
        session, actor=system_actor(), kind=OrgKind.ENTERPRISE, limit=1
    )
    return total


def hazard_count(session: Session) -> int:
    """Return how many hazards are on record."""
    _, total = hazards.list_hazards(session, actor=system_actor(), filters=HazardFilter(), limit=1)
    return total


def risk_point_count(session: Session) -> int:
    """Return how many risk points are on record."""
    _, total = risks.list_risk_points(session, actor=system_actor(), limit=1)
    return total
