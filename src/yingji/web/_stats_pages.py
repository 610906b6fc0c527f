"""Pages of hazard statistics (with the quarterly table) and responsibility trace-back (责任倒查).

Both pages read through the same services as the API; downloads link to the API routes, which
accept the browser session for GET.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yingji.core.auth.roles import Permission
from yingji.core.clock import local_today
from yingji.core.errors import DomainError
from yingji.core.http import UoW
from yingji.hazards import _quarterly, _trace
from yingji.hazards._statistics import statistics
from yingji.hazards.states import HazardSource
from yingji.web._hazard_pages import GRADE_LABELS, SOURCE_LABELS, STATUS_LABELS
from yingji.web._nav import N_
from yingji.web._page_kit import clean_region_code, clean_search, local_time, refuse, region_options
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import render
from yingji.web._session import PageUser

router = APIRouter(include_in_schema=False)

UNGRADED: Final = N_("Not yet graded")
ENTITY_LABELS: Final[dict[str, str]] = {
    "hazard": N_("Hazard record"),
    "organisation": N_("Enterprise record"),
    "inspection_task": N_("Inspection task record"),
    "inspection_finding": N_("Inspection finding record"),
    "inspection_plan": N_("Inspection plan record"),
    "risk_point": N_("Risk point record"),
}


def _industry(raw: str) -> str | None:
    code = raw.strip().upper()
    return code if code and len(code) <= 5 and code[0].isalpha() and code[1:].isdigit() else None


def _quarter_of(today: date) -> tuple[int, int]:
    """Return the last complete quarter: the one whose table is due next."""
    quarter = (today.month - 1) // 3
    return (today.year - 1, 4) if quarter == 0 else (today.year, quarter)


@router.get("/hazards/stats")
def stats_page(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    region: str = "",
    industry: str = "",
    source: str = "",
    year: str = "",
    quarter: str = "",
) -> Response:
    """Hazard statistics of what the user sees, and the quarterly table with its downloads."""
    actor = web_user.actor
    values = {
        "region": clean_region_code(region) or "",
        "industry": _industry(industry) or "",
        "source": source if source in {s.value for s in HazardSource} else "",
    }
    default_year, default_quarter = _quarter_of(local_today())
    period_year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else default_year
    period_quarter = int(quarter) if quarter in {"1", "2", "3", "4"} else None
    if quarter == "" and not year:
        period_quarter = default_quarter
    try:
        stats = statistics(
            uow.session,
            actor=actor,
            region_code=values["region"] or None,
            industry_code=values["industry"] or None,
            source=values["source"] or None,
        )
        table = _quarterly.quarterly_table(
            uow.session,
            actor=actor,
            year=period_year,
            quarter=period_quarter,
            region_code=values["region"] or None,
        )
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = prevention_context(uow.session, web_user, "stats")
    query: dict[str, Any] = {
        "year": period_year,
        **({"quarter": period_quarter} if period_quarter else {}),
    }
    if table.enterprise_id is None and table.region_code:
        query["region"] = table.region_code
    download = "/api/hazards/quarterly?" + urlencode(query)
    context.update(
        stats=stats,
        table=table,
        values=values,
        period={"year": period_year, "quarter": period_quarter or ""},
        years=list(range(local_today().year, local_today().year - 6, -1)),
        regions=region_options(uow.session, actor),
        sources=SOURCE_LABELS,
        status_rows=[(STATUS_LABELS[k], n) for k, n in stats.by_status.items()],
        grade_rows=[(GRADE_LABELS.get(k, UNGRADED), n) for k, n in stats.by_grade.items()],
        percent=_percent,
        csv_url=download + "&format=csv",
        xlsx_url=download + "&format=xlsx",
        can_trace=actor.scope_for(Permission.TRACE_READ) is not None,
    )
    return render(request, "stats/index.html", context)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


@router.get("/hazards/trace")
def trace_page(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    enterprise_id: str = "",
    hazard_id: str = "",
    risk_point_id: str = "",
    region: str = "",
    place: str = "",
) -> Response:
    """Responsibility trace-back: pick a subject, see its timeline, export it."""
    actor = web_user.actor
    values: dict[str, Any] = {
        "enterprise_id": _uuid(enterprise_id),
        "hazard_id": _uuid(hazard_id),
        "risk_point_id": _uuid(risk_point_id),
        "region": clean_region_code(region),
        "place": clean_search(place) or None,
    }
    subject = {k: v for k, v in values.items() if v is not None}
    if "place" not in subject:
        subject.pop("region", None)
    timeline = None
    try:
        actor.require(Permission.TRACE_READ)
        if len(subject) == 1 or set(subject) == {"region", "place"}:
            timeline = _trace.trace(
                uow.session,
                actor=actor,
                enterprise_id=subject.get("enterprise_id"),
                hazard_id=subject.get("hazard_id"),
                risk_point_id=subject.get("risk_point_id"),
                region_code=subject.get("region"),
                place=subject.get("place"),
            )
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = prevention_context(uow.session, web_user, "stats")
    rows = []
    if timeline is not None:
        rows = [
            {
                "at": local_time(e.at),
                "who": e.actor,
                "source": e.source,
                "what": ENTITY_LABELS.get(e.entity_type, e.entity_type),
                "summary": e.summary,
            }
            for e in timeline.entries
        ]
    params = {k: str(v) for k, v in subject.items()}
    context.update(
        values={k: "" if v is None else str(v) for k, v in values.items()},
        regions=region_options(uow.session, actor),
        timeline=timeline,
        rows=rows,
        max_entries=_trace.MAX_ENTRIES,
        csv_url="/api/trace?" + urlencode({**params, "format": "csv"}) if timeline else "",
    )
    return render(request, "stats/trace.html", context)
