"""Response models of hazard statistics, the quarterly table and responsibility trace-back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class CountRow(BaseModel):
    """Hazards of one value of a dimension (a source, an industry division, a child region)."""

    key: str
    label: str
    total: int = 0
    open: int = 0
    closed: int = 0
    overdue: int = 0
    major_open: int = 0


class HazardStatistics(BaseModel):
    """The hazards an actor sees, counted by status, grade, source, industry and region.

    ``closure_rate`` is closed / (all − rejected); ``overdue`` counts open hazards past their
    deadline; ``major_*`` follow 动态清零 (all major hazards ever confirmed vs. still open).
    """

    region_code: str | None
    region_name: str | None
    industry_code: str | None
    source: str | None
    total: int
    by_status: dict[str, int]
    by_grade: dict[str, int]
    by_source: list[CountRow]
    by_industry: list[CountRow]
    by_region: list[CountRow]
    open: int
    closed: int
    rejected: int
    closure_rate: float | None
    overdue: int
    mean_days_to_close: float | None
    major_total: int
    major_open: int
    major_closed: int
    major_supervised_open: int
    major_clearance: float | None  # 动态清零 progress: share of major hazards ever that are closed


class QuarterlyRow(BaseModel):
    """One line of the quarterly statistics table (an enterprise, or a whole region)."""

    subject: str
    general_found: int
    general_rectified: int
    general_rate: float | None
    major_found: int
    major_rectified: int
    major_rate: float | None
    major_planned: int  # 列入治理计划 (a 治理方案 recorded)
    major_supervised: int  # 挂牌督办
    ungraded: int  # reported, not yet confirmed (no grade fixed)


class QuarterlyTable(BaseModel):
    """The 隐患排查治理情况统计分析表 of a period, with its due date (cn-rules §3.6)."""

    year: int
    quarter: int | None  # None: the annual table
    period_start: date
    period_end: date  # inclusive
    due_on: date
    region_code: str | None
    enterprise_id: uuid.UUID | None
    subject: str
    rows: list[QuarterlyRow]
    total: QuarterlyRow
    columns: list[str]
    note: str


class TimelineEntry(BaseModel):
    """One recorded step of a subject's history, from the audit log."""

    at: datetime
    actor: str
    role: str
    source: str
    action: str
    entity_type: str
    entity_id: str
    summary: str
    changed: dict[str, Any]


class Timeline(BaseModel):
    """The history of an enterprise, a hazard, a risk point or a place, oldest first."""

    subject: str
    entries: list[TimelineEntry]
    truncated: bool
