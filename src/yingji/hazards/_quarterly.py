"""The quarterly and annual 事故隐患排查治理情况统计分析表 of an enterprise or a region.

安监总局令第16号 第十四条 (cn-rules §3.6, [S1]): each quarter and year an enterprise sends its
supervising department a written statistical analysis table signed by its 主要负责人, due by the
15th of the month after the quarter and by 31 January for the year.

The official form's layout is NOT in our sources. The columns follow the figures that provincial
安委会 statistics reported per period (confidence: medium for the set, low for the exact layout):
一般隐患 排查数/已整改数/整改率, 重大隐患 排查数/已整改数/整改率, 列入治理计划的重大隐患, 落实治理
资金 — seen in esafety.cn/news/66349.html (四川省安办 2013 figures) and the definition of 列入治理
计划的重大隐患 in 河南省安委办's notice on 隐患排查治理信息统计报送 (m.fabao365.com/code/
law_497730.html). 落实治理资金 is left out: the 治理方案 records funds as free text, not an amount.
We add 挂牌督办 (安全生产法 第四十一条) and the count not yet graded, which we can fill.

Counting rules (ours): a hazard counts in the period it was reported (rejected ones never);
it counts as rectified when it was closed (销号) before the end of the period.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError, Forbidden, InvalidInput
from yingji.hazards import _access
from yingji.hazards.models import Hazard
from yingji.hazards.states import HazardGrade, HazardStatus
from yingji.hazards.stats_schemas import QuarterlyRow, QuarterlyTable
from yingji.orgs import service as orgs
from yingji.regions import service as regions

# 16号令 第十四条 (cn-rules §3.6 [S1]): quarterly table by the 15th of the following month,
# the annual one by 31 January.
QUARTERLY_DUE_DAY = 15
ANNUAL_DUE = (1, 31)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("subject", "单位/地区"),
    ("general_found", "一般隐患排查数"),
    ("general_rectified", "一般隐患已整改数"),
    ("general_rate", "一般隐患整改率(%)"),
    ("major_found", "重大隐患排查数"),
    ("major_rectified", "重大隐患已整改数"),
    ("major_rate", "重大隐患整改率(%)"),
    ("major_planned", "列入治理计划的重大隐患"),
    ("major_supervised", "挂牌督办的重大隐患"),
    ("ungraded", "待定级隐患"),
)
NOTE = (
    "按上报时间计入统计期；不予确认的不计；统计期末前已销号的计为已整改。"
    "官方表式未见于本系统资料，栏目参照各地隐患排查治理统计报送口径；治理资金以文字记录，未列。"
)


def period(year: int, quarter: int | None) -> tuple[date, date, date]:
    """Return (first day, last day, due date) of a quarter, or of the year when None."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("year must be between 2000 and 2100", field="year")
    if quarter is None:
        return date(year, 1, 1), date(year, 12, 31), date(year + 1, *ANNUAL_DUE)
    if quarter not in (1, 2, 3, 4):
        raise InvalidInput("quarter must be 1, 2, 3 or 4", field="quarter")
    start = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, after - timedelta(days=1), after.replace(day=QUARTERLY_DUE_DAY)


def _rate(done: int, found: int) -> float | None:
    return round(100.0 * done / found, 1) if found else None


def _row(subject: str, c: dict[str, int]) -> QuarterlyRow:
    return QuarterlyRow(
        subject=subject,
        general_found=c["general_found"],
        general_rectified=c["general_rectified"],
        general_rate=_rate(c["general_rectified"], c["general_found"]),
        major_found=c["major_found"],
        major_rectified=c["major_rectified"],
        major_rate=_rate(c["major_rectified"], c["major_found"]),
        major_planned=c["major_planned"],
        major_supervised=c["major_supervised"],
        ungraded=c["ungraded"],
    )


def quarterly_table(
    session: Session,
    *,
    actor: Actor,
    year: int,
    quarter: int | None,
    region_code: str | None = None,
    enterprise_id: uuid.UUID | None = None,
) -> QuarterlyTable:
    """Return the statistics table of an enterprise, or of a region by child region."""
    start, end, due = period(year, quarter)
    scope = actor.require(Permission.STATS_READ)
    if scope is Scope.OWN_ORG and enterprise_id is None:
        enterprise_id = actor.organisation_id
    conditions: list[Any] = [
        _access.visible(
            session,
            actor,
            Permission.STATS_READ,
            region_path=Hazard.region_path,
            organisation=Hazard.enterprise_id,
            industry=Hazard.industry_code,
        )
    ]
    if enterprise_id is not None:
        facts = orgs.organisation_facts(session, enterprise_id, field="enterprise_id")
        _access.require(
            session,
            actor,
            Permission.STATS_READ,
            region_path=facts.region_path,
            organisation_id=facts.id,
            industry_code=facts.industry_code,
            what="enterprise",
        )
        conditions.append(Hazard.enterprise_id == enterprise_id)
        subject, prefix = facts.name, None
    else:
        code = region_code or actor.region_code
        prefix = regions.path_of(session, code) if code else actor.region_path
        if not actor.covers_path(prefix):
            raise Forbidden(f"region {code} lies outside your region", field="region")
        low, high = subtree_range(prefix)
        conditions.append(and_(Hazard.region_path >= low, Hazard.region_path < high))
        names = _names(session, actor, code)
        subject = names.get(code or "", code or "全部地区")
    low_t = datetime.combine(start, time.min, tzinfo=UTC)
    high_t = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    conditions += [
        Hazard.reported_at >= low_t,
        Hazard.reported_at < high_t,
        Hazard.status != str(HazardStatus.REJECTED),
    ]
    rows = _counts(session, conditions, high_t)
    per_child: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total: dict[str, int] = defaultdict(int)
    for path, counts in rows:
        key = path[len(prefix) :].split("/", 1)[0] if prefix and path.startswith(prefix) else ""
        for name, value in counts.items():
            per_child[key][name] += value
            total[name] += value
    for name, _label in COLUMNS[1:]:
        total.setdefault(name, 0)
    lines: list[QuarterlyRow] = []
    if prefix is not None:
        names = _names(session, actor, region_code or actor.region_code)
        for key in sorted(per_child):
            counts = per_child[key]
            for name, _label in COLUMNS[1:]:
                counts.setdefault(name, 0)
            label = names.get(key, key) if key else f"{subject}（本级）"
            lines.append(_row(label, counts))
    return QuarterlyTable(
        year=year,
        quarter=quarter,
        period_start=start,
        period_end=end,
        due_on=due,
        region_code=None if enterprise_id else (region_code or actor.region_code),
        enterprise_id=enterprise_id,
        subject=subject,
        rows=lines,
        total=_row(f"{subject} 合计", total),
        columns=[label for _name, label in COLUMNS],
        note=NOTE,
    )


def _counts(
    session: Session, conditions: list[Any], high_t: datetime
) -> list[tuple[str, dict[str, int]]]:
    general = Hazard.grade == str(HazardGrade.GENERAL)
    major = Hazard.grade == str(HazardGrade.MAJOR)
    done = and_(Hazard.closed_at.is_not(None), Hazard.closed_at < high_t)
    measures = {
        "general_found": general,
        "general_rectified": and_(general, done),
        "major_found": major,
        "major_rectified": and_(major, done),
        "major_planned": and_(major, Hazard.plan.is_not(None)),
        "major_supervised": and_(major, Hazard.supervised.is_(True)),
        "ungraded": Hazard.grade.is_(None),
    }
    stmt = (
        select(
            Hazard.region_path,
            *(func.sum(case((cond, 1), else_=0)) for cond in measures.values()),
        )
        .where(*conditions)
        .group_by(Hazard.region_path)
    )
    return [
        (row[0], {name: int(v or 0) for name, v in zip(measures, row[1:], strict=True)})
        for row in session.execute(stmt).all()
    ]


def _names(session: Session, actor: Actor, code: str | None) -> dict[str, str]:
    try:
        if code is None:
            found = regions.list_regions(session, actor=actor)
        else:
            found = [
                *regions.list_children(session, actor=actor, code=code),
                regions.get_region(session, actor=actor, code=code),
            ]
    except DomainError:
        return {}
    return {r.code: r.name for r in found}


def to_csv(table: QuarterlyTable) -> bytes:
    """Return the table as CSV, UTF-8 with a byte-order mark so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _sheet(table):
        writer.writerow(line)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: QuarterlyTable) -> bytes | None:
    """Return the table as an XLSX workbook, or None when openpyxl is not installed."""
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        return None
    book = Workbook()
    sheet = book.active
    sheet.title = "隐患排查治理统计"
    for line in _sheet(table):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(table: QuarterlyTable) -> str:
    when = f"{table.year}年" + (f"第{table.quarter}季度" if table.quarter else "年度")
    return f"{table.subject} {when}事故隐患排查治理情况统计分析表"


def _sheet(table: QuarterlyTable) -> list[list[Any]]:
    def cells(row: QuarterlyRow) -> list[Any]:
        values = row.model_dump()
        return ["" if values[k] is None else values[k] for k, _ in COLUMNS]

    return [
        [_title(table)],
        [f"统计期：{table.period_start} 至 {table.period_end}", f"报送期限：{table.due_on}"],
        list(table.columns),
        *(cells(r) for r in table.rows),
        cells(table.total),
        [],
        ["主要负责人（签字）：", "", "填报人：", "", "填报日期："],
        [table.note],
    ]
