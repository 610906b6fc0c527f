"""Whom a warning reaches: an area to regions, regions to responsible persons and subscribers.

The area is the warning's chosen region codes (each with its subtree) and drawn shapes
(polygons; circles as geodesic polygons, ``_cap_export.area_geometry``: 72 great-circle
offsets on the mean-radius sphere, within 0.5 % of the WGS-84 distance), resolved by
``regions.service.covered_paths``. The persons are the 包保责任人 on duty today for the
warning's duty type or the general duty (``orgs.service.responsible_persons``), one candidate
per person: a person assigned to several covered regions is placed in the deepest (the one
nearest the danger), the warning's own duty before the general one, primary before deputy.
Each is linked to their user account, if any, for in-app delivery and the language. Active
subscriptions of the covered regions for the hazard type (or for every hazard) add members of
the public, who are told but not asked to answer.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import subtree_range
from yingji.core.auth.models import User
from yingji.orgs import service as orgs
from yingji.orgs.schemas import DutyType, ResponsibleRow
from yingji.regions import service as regions
from yingji.warnings._cap_export import area_geometry
from yingji.warnings.models import EarlyWarning, WarningSubscription
from yingji.warnings.schemas import TargetKind

CHUNK: Final = 5000  # bound IN lists: SQLite allows 32,766 variables, PostgreSQL 65,535
FULL_SCAN: Final = 2000  # persons above which their accounts are found by one scan
SUBTREE_QUERY: Final = 500  # regions above which persons are selected by subtree, not by code
# ...if their subtrees are few: each is one condition of the query, and SQLite refuses an
# expression deeper than 1,000 (a polygon over a thousand villages, not their towns).
SUBTREE_ROOTS: Final = 200
# The columns of ``warning_targets`` a candidate fills, in the order ``Candidate.columns``
# and ``Reach.recipients`` give them (must_acknowledge last).
RECIPIENT_COLUMNS: Final = (
    "person_key", "person_id", "subscription_id", "user_id", "name", "mobile", "email",
    "language", "kind", "region_code", "region_path", "title", "must_acknowledge",
)  # fmt: skip
T = TypeVar("T")


@dataclass(slots=True)
class Candidate:
    """A person (or subscriber) a warning should reach, before they become a target."""

    person_key: uuid.UUID  # the person's id, or the subscription's: unique in a warning
    name: str
    kind: TargetKind
    region_code: str
    region_path: str
    must_acknowledge: bool
    person_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    mobile: str | None = None
    email: str | None = None
    language: str = "zh"
    title: str | None = None

    def columns(self) -> tuple[Any, ...]:
        """Return the target columns this candidate fills, in ``RECIPIENT_COLUMNS`` order."""
        return (
            self.person_key, self.person_id, self.subscription_id, self.user_id, self.name,
            self.mobile, self.email, self.language, self.kind.value, self.region_code,
            self.region_path, self.title, self.must_acknowledge,
        )  # fmt: skip


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def duties_of(warning: EarlyWarning) -> list[DutyType]:
    """Return the duties whose responsible persons a warning targets (its own and general)."""
    own = DutyType(warning.duty_type)
    return [own] if own is DutyType.GENERAL else [own, DutyType.GENERAL]


def covered(session: Session, warning: EarlyWarning) -> dict[str, str]:
    """Return the regions (code → path) a warning's area covers."""
    geometry = area_geometry(warning.area_shapes) if warning.area_shapes else None
    return regions.covered_paths(session, region_codes=warning.area_region_codes, geometry=geometry)


def language_of(user_language: str | None) -> str:
    """Return the delivery language of a user's interface language (zh_CN → zh)."""
    return "en" if (user_language or "").startswith("en") else "zh"


def responsible(
    session: Session, *, paths: dict[str, str], duties: Sequence[DutyType], area: bool = False
) -> list[ResponsibleRow]:
    """Return the responsible persons of regions (code → path), one per person.

    ``area``: the regions are a warning's area, whole subtrees but for the edges of drawn
    shapes; many of them are then selected by subtree rather than listed (not so for the
    scattered superiors of escalation, whose subtrees hold everyone below them), and the
    persons come in identifier order. Otherwise by region, primary first, then by name.
    """
    rows: list[ResponsibleRow] = []
    roots = regions.outermost(paths.values()) if area and len(paths) > SUBTREE_QUERY else []
    in_order = 0 < len(roots) <= SUBTREE_ROOTS
    if in_order:
        # A county's grids: select its subtrees by path, keep the regions asked for.
        found = orgs.responsible_rows(session, within=roots, duty_type=duties, by_person=True)
        rows = [row for row in found if row.region_code in paths]
    else:
        for part in chunks(sorted(paths)):
            rows.extend(orgs.responsible_rows(session, region_codes=part, duty_type=duties))
    own = duties[0].value

    def rank(row: ResponsibleRow) -> tuple[int, bool, bool]:
        return (paths[row.region_code].count("/"), row.duty_type == own, row.is_primary)

    best: dict[uuid.UUID, ResponsibleRow] = {}
    for row in rows:
        current = best.setdefault(row.person_id, row)
        if current is not row and rank(row) > rank(current):
            best[row.person_id] = row
    if in_order or not area:  # first seen, first kept: the query's order
        return list(best.values())
    return sorted(best.values(), key=lambda row: row.person_id.int)


def users_of(
    session: Session, person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Return the active user account (id, language) of each person that has one.

    For a large fan-out, one scan of the accounts linked to a person costs less than
    thousands of identifiers in IN lists.
    """
    ids = set(person_ids)
    query = select(User.person_id, User.id, User.language).where(User.active.is_(True))
    if len(ids) > FULL_SCAN:
        batches: Iterable[Any] = [session.execute(
            query.where(User.person_id.is_not(None)).order_by(User.created_at)
        )]  # fmt: skip
    else:
        batches = (
            session.execute(query.where(User.person_id.in_(part)).order_by(User.created_at))
            for part in chunks(sorted(ids))
        )
    found: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    for rows in batches:
        for person_id, user_id, language in rows:
            if person_id in ids:
                found.setdefault(person_id, (user_id, language))
    return found


def person_candidate(
    person: ResponsibleRow,
    *,
    paths: dict[str, str],
    users: dict[uuid.UUID, tuple[uuid.UUID, str]],
    kind: TargetKind,
) -> Candidate:
    """Return the candidate of a responsible person, linked to their user account if any."""
    user = users.get(person.person_id)
    return Candidate(
        person.person_id, person.name, kind, person.region_code,
        paths[person.region_code], True, person.person_id, None,
        user[0] if user else None, person.mobile or None, None,
        language_of(user[1]) if user else "zh", person.title,
    )  # fmt: skip


def person_candidates(
    session: Session,
    persons: Sequence[ResponsibleRow],
    *,
    paths: dict[str, str],
    kind: TargetKind,
) -> list[Candidate]:
    """Return the candidates of responsible persons, linked to their user accounts."""
    users = users_of(session, (p.person_id for p in persons))
    return [person_candidate(p, paths=paths, users=users, kind=kind) for p in persons]


def subscribers(session: Session, warning: EarlyWarning, paths: dict[str, str]) -> list[Candidate]:
    """Return the active subscriptions of covered regions for the warning's hazard type."""
    ranges = [subtree_range(root) for root in regions.outermost(paths.values())]
    out: list[Candidate] = []
    for part in chunks(ranges, 200):
        within = or_(*(
            and_(WarningSubscription.region_path >= low, WarningSubscription.region_path < high)
            for low, high in part
        ))  # fmt: skip
        rows = session.scalars(
            select(WarningSubscription).where(within, WarningSubscription.active.is_(True))
        )
        for sub in rows:
            if sub.region_code not in paths:
                continue
            if sub.hazard_types and warning.hazard_type not in sub.hazard_types:
                continue
            if not (sub.mobile or sub.email):
                continue
            out.append(
                Candidate(
                    person_key=sub.id, name=sub.name,
                    kind=TargetKind.PUBLIC, region_code=sub.region_code,
                    region_path=paths[sub.region_code], must_acknowledge=False,
                    subscription_id=sub.id, mobile=sub.mobile, email=sub.email,
                    language=language_of(sub.language),
                )
            )  # fmt: skip
    return out


@dataclass(slots=True)
class Reach:
    """Everyone a warning's area reaches: responsible persons and subscribers, by key.

    Their target columns are made as ``recipients`` is iterated: a county's 100,000 go to
    the database as they are made, rather than all being held first.
    """

    persons: list[ResponsibleRow]  # one row each, in identifier order (= key order)
    paths: dict[str, str]
    users: dict[uuid.UUID, tuple[uuid.UUID, str]]
    public: list[Candidate]  # in key order

    def __len__(self) -> int:
        return len(self.persons) + len(self.public)

    def recipients(self) -> Iterator[tuple[Any, ...]]:
        """Yield everyone's ``Candidate.columns`` in key order, without candidate objects.

        What ``person_candidate`` makes, inlined: a county's fan-out makes 100,000 of them
        while the COPY takes them, and the objects cost a fifth of the client's share.
        """
        persons = self._person_columns()
        if not self.public:
            return persons
        public = (c.columns() for c in self.public)
        return heapq.merge(persons, public, key=itemgetter(0))

    def _person_columns(self) -> Iterator[tuple[Any, ...]]:
        paths, users, kind = self.paths, self.users, TargetKind.RESPONSIBLE.value
        for p in self.persons:
            user = users.get(p.person_id)
            user_id, language = (user[0], language_of(user[1])) if user else (None, "zh")
            yield (
                p.person_id, p.person_id, None, user_id, p.name, p.mobile or None, None,
                language, kind, p.region_code, paths[p.region_code], p.title, True,
            )  # fmt: skip

    @property
    def askers(self) -> int:
        """Return how many must answer (the responsible persons)."""
        return len(self.persons)


def candidates(session: Session, warning: EarlyWarning) -> Reach:
    """Return everyone a warning's area reaches: responsible persons, then subscribers."""
    paths = covered(session, warning)
    if not paths:
        return Reach([], {}, {}, [])
    persons = responsible(session, paths=paths, duties=duties_of(warning), area=True)
    users = users_of(session, (p.person_id for p in persons))
    public = sorted(subscribers(session, warning, paths), key=lambda c: c.person_key)
    return Reach(persons, paths, users, public)
