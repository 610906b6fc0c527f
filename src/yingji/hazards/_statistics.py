"""Hazard statistics: counts by status, grade, source, industry and region, closure and 动态清零.

Bureau users (region scope) read the ``hazard_stats`` rollup, a few thousand rows however many
hazards there are; enterprise users (own-organisation scope) are counted from their own hazards,
since the rollup has no enterprise column and one enterprise's hazards are few.

:func:`count_hazards` gives the board the total of a filtered list from the rollup when every
filter is a rollup dimension, so a page of a million-row list does not count a million rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.core.auth.actor import Actor, subtree_range
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError, Forbidden, InvalidInput
from yingji.hazards import _access
from yingji.hazards._stats import _epoch_days
from yingji.hazards.models import Hazard, HazardStats
from yingji.hazards.states import HazardGrade, HazardSource, HazardStatus
from yingji.hazards.stats_schemas import CountRow, HazardStatistics
from yingji.orgs import service as orgs
from yingji.regions import service as regions

_TERMINAL = frozenset(str(s) for s in HazardStatus if s.terminal)
_CLOSED = str(HazardStatus.CLOSED)
_REJECTED = str(HazardStatus.REJECTED)
_MAJOR = str(HazardGrade.MAJOR)


class _Columns(NamedTuple):
    """The dimension columns and measures of one counted table (rollup or hazards)."""

    region_path: Any
    industry: Any
    source: Any
    grade: Any
    status: Any
    overdue: Any
    supervised: Any
    count: Any
    days: Any


def _rollup_columns() -> _Columns:
    return _Columns(
        HazardStats.region_path,
        HazardStats.industry_code,
        HazardStats.source,
        HazardStats.grade,
        HazardStats.status,
        HazardStats.overdue,
        HazardStats.supervised,
        func.sum(HazardStats.count),
        func.sum(HazardStats.days_to_close_sum),
    )


def _hazard_columns(session: Session) -> _Columns:
    closed_days = _epoch_days(session, Hazard.closed_at) - _epoch_days(session, Hazard.reported_at)
    return _Columns(
        Hazard.region_path,
        func.coalesce(Hazard.industry_code, ""),
        Hazard.source,
        func.coalesce(Hazard.grade, ""),
        Hazard.status,
        Hazard.overdue,
        Hazard.supervised,
        func.count(),
        func.sum(case((Hazard.closed_at.is_not(None), closed_days), else_=0.0)),
    )


@dataclass(frozen=True)
class _Scope:
    """Where to count and which rows: the table's columns and the conditions on them."""

    columns: _Columns
    conditions: list[ColumnElement[bool]]
    prefix: str  # the region path whose children make up ``by_region``
    region_code: str | None


_INDUSTRY = re.compile(r"^[A-T](\d{2}){0,2}$")


def _industry_prefix(raw: str) -> str:
    """Return a GB/T 4754 section, division or class code as a prefix, or raise InvalidInput."""
    code = raw.strip().upper()
    if not _INDUSTRY.match(code):
        raise InvalidInput(
            "industry code must be a section letter A-T, e.g. C, C26 or C2614",
            field="industry_code",
        )
    return code


def _scope(
    session: Session,
    actor: Actor,
    *,
    region_code: str | None,
    industry_code: str | None,
    source: str | None,
    grade: str | None = None,
    status: Iterable[str] | None = None,
    overdue: bool | None = None,
    supervised: bool | None = None,
    permission: Permission = Permission.STATS_READ,
) -> _Scope:
    """Return the table and conditions selecting what an actor may count, as filtered."""
    scope = actor.require(permission)
    own = scope is Scope.OWN_ORG
    cols = _hazard_columns(session) if own else _rollup_columns()
    if own:
        visible = _access.visible(
            session,
            actor,
            permission,
            region_path=Hazard.region_path,
            organisation=Hazard.enterprise_id,
            industry=Hazard.industry_code,
        )
    else:
        visible = _access.visible(
            session,
            actor,
            permission,
            region_path=HazardStats.region_path,
            organisation=Hazard.enterprise_id,  # unused in region scope
            industry=cast(InstrumentedAttribute[str | None], HazardStats.industry_code),
        )
    conditions: list[ColumnElement[bool]] = [visible]
    prefix = actor.region_path
    if region_code is not None:
        prefix = regions.path_of(session, region_code)
        if not own and not actor.covers_path(prefix):
            raise Forbidden(f"region {region_code} lies outside your region", field="region")
        low, high = subtree_range(prefix)
        conditions.append(and_(cols.region_path >= low, cols.region_path < high))
    if industry_code:
        conditions.append(_access.prefix_condition(cols.industry, _industry_prefix(industry_code)))
    if source is not None:
        conditions.append(cols.source == str(HazardSource(source)))
    if grade is not None:
        conditions.append(cols.grade == ("" if grade == "" else str(HazardGrade(grade))))
    if status is not None:
        conditions.append(cols.status.in_([str(HazardStatus(s)) for s in status]))
    if overdue is not None:
        conditions.append(cols.overdue.is_(overdue))
    if supervised is not None:
        conditions.append(cols.supervised.is_(supervised))
    return _Scope(cols, conditions, prefix, region_code or actor.region_code)


class _Tally:
    """Running counts of one dimension value."""

    __slots__ = ("closed", "major_open", "open", "overdue", "total")

    def __init__(self) -> None:
        self.total = self.open = self.closed = self.overdue = self.major_open = 0

    def add(self, status: str, grade: str, overdue: bool, count: int) -> None:
        self.total += count
        if status == _CLOSED:
            self.closed += count
        if status not in _TERMINAL:
            self.open += count
            self.overdue += count if overdue else 0
            self.major_open += count if grade == _MAJOR else 0


def _grouped(session: Session, sc: _Scope, *dims: Any) -> list[Any]:
    cols = sc.columns
    stmt = (
        select(*dims, cols.status, cols.grade, cols.overdue, cols.supervised, cols.count, cols.days)
        .where(*sc.conditions)
        .group_by(*dims, cols.status, cols.grade, cols.overdue, cols.supervised)
    )
    return list(session.execute(stmt).all())


def _rows(tallies: Mapping[str, _Tally], labels: Mapping[str, str]) -> list[CountRow]:
    rows = [
        CountRow(
            key=key,
            label=labels.get(key, key),
            total=t.total,
            open=t.open,
            closed=t.closed,
            overdue=t.overdue,
            major_open=t.major_open,
        )
        for key, t in tallies.items()
        if t.total
    ]
    return sorted(rows, key=lambda r: (-r.total, r.key))


def _industry_label(division: str) -> str:
    if not division:
        return "—"
    try:
        return f"{division} {orgs.industry_name(division)}"
    except ValueError:
        return division


def _child_of(prefix: str, path: str) -> str:
    """Return the code of the child of ``prefix`` a path lies under ("" for the region itself)."""
    rest = path[len(prefix) :] if path.startswith(prefix) else path.strip("/")
    return rest.split("/", 1)[0]


def _region_names(session: Session, actor: Actor, region_code: str | None) -> dict[str, str]:
    try:
        if region_code is None:
            found = regions.list_regions(session, actor=actor)
        else:
            found = regions.list_children(session, actor=actor, code=region_code)
            found += [regions.get_region(session, actor=actor, code=region_code)]
    except DomainError:  # a role without region reading sees codes
        return {}
    return {r.code: r.name for r in found}


def statistics(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    industry_code: str | None = None,
    source: str | None = None,
) -> HazardStatistics:
    """Count the hazards an actor sees: by status, grade, source, industry and child region."""
    sc = _scope(session, actor, region_code=region_code, industry_code=industry_code, source=source)
    cols = sc.columns
    by_status: dict[str, int] = defaultdict(int)
    by_grade: dict[str, int] = defaultdict(int)
    sources: dict[str, _Tally] = defaultdict(_Tally)
    industries: dict[str, _Tally] = defaultdict(_Tally)
    children: dict[str, _Tally] = defaultdict(_Tally)
    days_sum = 0.0
    major_total = major_supervised_open = 0
    for src, status, grade, overdue, supervised, count, days in _grouped(session, sc, cols.source):
        count = int(count or 0)
        by_status[status] += count
        by_grade[grade or "ungraded"] += count
        sources[src].add(status, grade, overdue, count)
        if status == _CLOSED:
            days_sum += float(days or 0.0)
        if grade == _MAJOR and status != _REJECTED:
            major_total += count
            if supervised and status not in _TERMINAL:
                major_supervised_open += count
    division = func.substr(cols.industry, 1, 3)
    for div, status, grade, overdue, _sup, count, _days in _grouped(session, sc, division):
        industries[div or ""].add(status, grade, overdue, int(count or 0))
    for path, status, grade, overdue, _sup, count, _days in _grouped(session, sc, cols.region_path):
        children[_child_of(sc.prefix, path)].add(status, grade, overdue, int(count or 0))
    return _assemble(
        session,
        actor,
        sc,
        industry_code=industry_code,
        source=source,
        by_status=by_status,
        by_grade=by_grade,
        tallies=(sources, industries, children),
        days_sum=days_sum,
        major=(major_total, major_supervised_open),
    )


def _assemble(
    session: Session,
    actor: Actor,
    sc: _Scope,
    *,
    industry_code: str | None,
    source: str | None,
    by_status: Mapping[str, int],
    by_grade: Mapping[str, int],
    tallies: tuple[Mapping[str, _Tally], Mapping[str, _Tally], Mapping[str, _Tally]],
    days_sum: float,
    major: tuple[int, int],
) -> HazardStatistics:
    sources, industries, children = tallies
    total = sum(by_status.values())
    closed = by_status.get(_CLOSED, 0)
    rejected = by_status.get(_REJECTED, 0)
    counted = total - rejected
    major_total, major_supervised_open = major
    major_open = sum(t.major_open for t in sources.values())
    major_closed = major_total - major_open
    names = _region_names(session, actor, sc.region_code)
    names[""] = names.get(sc.region_code or "", "") or "—"
    source_labels = {str(s): s.zh for s in HazardSource}
    return HazardStatistics(
        region_code=sc.region_code,
        region_name=names.get(sc.region_code or "") if sc.region_code else None,
        industry_code=industry_code,
        source=source,
        total=total,
        by_status={str(s): by_status.get(str(s), 0) for s in HazardStatus},
        by_grade={k: by_grade.get(k, 0) for k in (*(str(g) for g in HazardGrade), "ungraded")},
        by_source=_rows(sources, source_labels),
        by_industry=_rows(industries, {k: _industry_label(k) for k in industries}),
        by_region=_rows(children, names),
        open=sum(t.open for t in sources.values()),
        closed=closed,
        rejected=rejected,
        closure_rate=round(closed / counted, 4) if counted else None,
        overdue=sum(t.overdue for t in sources.values()),
        mean_days_to_close=round(days_sum / closed, 2) if closed else None,
        major_total=major_total,
        major_open=major_open,
        major_closed=major_closed,
        major_supervised_open=major_supervised_open,
        major_clearance=round(major_closed / major_total, 4) if major_total else None,
    )


ROLLUP_FILTERS = frozenset(
    {"region_code", "industry_code", "source", "grade", "status", "overdue", "supervised"}
)


def count_hazards(
    session: Session, *, actor: Actor, filters: Mapping[str, Any] | Any
) -> int | None:
    """Return how many hazards a board filter selects, from the rollup; None if it cannot.

    ``filters`` is the board's filter model (or a mapping): only the fields set (not None)
    count. The rollup answers when every set field is one of :data:`ROLLUP_FILTERS` and the
    actor reads by region; otherwise (free text, dates, an enterprise, an enterprise user)
    the caller counts the rows itself.
    """
    given = _set_fields(filters)
    if not set(given) <= ROLLUP_FILTERS:
        return None
    if actor.scope_for(Permission.HAZARD_READ) is not Scope.REGION:
        return None
    sc = _scope(
        session,
        actor,
        permission=Permission.HAZARD_READ,
        region_code=given.get("region_code"),
        industry_code=given.get("industry_code"),
        source=_value(given.get("source")),
        grade=_value(given.get("grade")),
        status=_values(given.get("status")),
        overdue=given.get("overdue"),
        supervised=given.get("supervised"),
    )
    return int(
        session.scalar(select(func.coalesce(sc.columns.count, 0)).where(*sc.conditions)) or 0
    )


def _value(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _values(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    return [str(raw)] if isinstance(raw, str) else [str(v) for v in raw]


def _set_fields(filters: Mapping[str, Any] | Any) -> dict[str, Any]:
    if isinstance(filters, Mapping):
        items: Iterable[tuple[str, Any]] = filters.items()
    elif hasattr(filters, "model_dump"):
        items = filters.model_dump().items()
    else:
        items = vars(filters).items()
    aliases = {"region": "region_code", "industry": "industry_code"}
    return {aliases.get(k, k): v for k, v in items if v is not None and v != [] and v != ""}
