"""Per ledger: the permissions, how a row becomes a Create schema, how a record becomes a row.

Records are only ever created and listed through the owning context's service (orgs, risks,
hazards), so every permission check, audit entry and event of those services applies.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.errors import DomainError
from yingji.hazards import service as hazards
from yingji.hazards.schemas import HazardCreate, HazardFilter
from yingji.hazards.states import HazardStatus
from yingji.ledger._columns import ENTERPRISES, FACTOR_NAMES, HAZARDS, RISK_POINTS, Ledger
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrganisationCreate, OrgKind
from yingji.risks import service as risks
from yingji.risks.assessment import RiskLevel
from yingji.risks.schemas import RiskPointCreate

PAGE: Final = 500  # records per list call while exporting or looking up
PRELOAD_FROM: Final = 50  # distinct credit codes from which one pass over the register is cheaper

Values = dict[str, Any]


class EnterpriseIndex:
    """Credit code -> enterprise id, among the enterprises the actor may read (cached)."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self._ids: dict[str, uuid.UUID | None] = {}
        self._codes: dict[uuid.UUID, str] = {}

    def preload(self, credit_codes: set[str]) -> None:
        """Look many credit codes up at once: page through the visible register instead."""
        wanted = credit_codes - self._ids.keys()
        if len(wanted) <= PRELOAD_FROM:
            return
        offset = 0
        while True:
            rows, _ = orgs.list_organisations(
                self.session, actor=self.actor, kind=OrgKind.ENTERPRISE, active=True,
                limit=PAGE, offset=offset,
            )  # fmt: skip
            for org in rows:
                if org.credit_code in wanted:
                    self._ids[org.credit_code] = org.id
            if len(rows) < PAGE:
                break
            offset += PAGE
        for code in wanted:
            self._ids.setdefault(code, None)

    def find(self, credit_code: str) -> uuid.UUID | None:
        """Return the id of the visible enterprise with this credit code, or None."""
        if credit_code not in self._ids:
            rows, _ = orgs.list_organisations(
                self.session, actor=self.actor, kind=OrgKind.ENTERPRISE, q=credit_code,
                active=True, limit=5,
            )  # fmt: skip
            found = [r.id for r in rows if r.credit_code == credit_code]
            self._ids[credit_code] = found[0] if found else None
        return self._ids[credit_code]

    def code_of(self, organisation_id: uuid.UUID) -> str:
        """Return an enterprise's credit code ("" if the actor may not read it)."""
        if organisation_id not in self._codes:
            try:
                org = orgs.get_organisation(
                    self.session, actor=self.actor, organisation_id=organisation_id
                )
                self._codes[organisation_id] = org.credit_code or ""
            except DomainError:
                self._codes[organisation_id] = ""
        return self._codes[organisation_id]


@dataclass(frozen=True, slots=True)
class Kind:
    """What the import and export of one ledger need."""

    ledger: Ledger
    write: Permission
    read: Permission
    build: Callable[[Values], BaseModel]  # raises pydantic.ValidationError
    create: Callable[[Session, Actor, Any], object]
    rows: Callable[[Session, Actor, str | None, EnterpriseIndex], tuple[int, Iterator[Values]]]
    fallback_column: str  # where a service refusal without a field is reported


def _pages(fetch: Callable[[int, int], tuple[list[Any], int]]) -> tuple[int, Iterator[Any]]:
    _, total = fetch(1, 0)

    def walk() -> Iterator[Any]:
        offset = 0
        while True:
            rows, _ = fetch(PAGE, offset)
            yield from rows
            if len(rows) < PAGE:
                return
            offset += PAGE

    return total, walk()


# --- enterprises ------------------------------------------------------------------------------


def _enterprise_rows(
    session: Session, actor: Actor, region: str | None, _index: EnterpriseIndex
) -> tuple[int, Iterator[Values]]:
    def fetch(limit: int, offset: int) -> tuple[list[Any], int]:
        return orgs.list_organisations(
            session, actor=actor, kind=OrgKind.ENTERPRISE, region_code=region, limit=limit,
            offset=offset,
        )  # fmt: skip

    total, records = _pages(fetch)
    keys = [c.key for c in ENTERPRISES.columns]
    return total, ({key: getattr(org, key) for key in keys} for org in records)


def _create_enterprise(session: Session, actor: Actor, data: OrganisationCreate) -> object:
    return orgs.create_organisation(session, actor=actor, data=data)


ENTERPRISE_KIND = Kind(
    ledger=ENTERPRISES,
    write=Permission.ORG_WRITE,
    read=Permission.ORG_READ,
    build=lambda v: OrganisationCreate(kind=OrgKind.ENTERPRISE, **v),
    create=_create_enterprise,
    rows=_enterprise_rows,
    fallback_column="region_code",
)

# --- risk points ------------------------------------------------------------------------------


def _risk_point_values(values: Values) -> Values:
    data = {k: v for k, v in values.items() if not k.startswith("factor_")}
    data["factors"] = {
        name: values[f"factor_{name.lower()}"]
        for name in FACTOR_NAMES
        if values.get(f"factor_{name.lower()}") is not None
    }
    return data


def _risk_point_rows(
    session: Session, actor: Actor, region: str | None, index: EnterpriseIndex
) -> tuple[int, Iterator[Values]]:
    def fetch(limit: int, offset: int) -> tuple[list[Any], int]:
        return risks.list_risk_points(
            session, actor=actor, region_code=region, limit=limit, offset=offset
        )

    total, records = _pages(fetch)

    def row(point: Any) -> Values:
        values: Values = {
            key: getattr(point, key)
            for key in ("name", "kind", "code", "location", "lon", "lat", "method", "bands",
                        "control_level", "reassess_on", "score")
        }  # fmt: skip
        values["enterprise_credit_code"] = index.code_of(point.organisation_id)
        values["hazard_factors"] = "、".join(point.hazard_factors or [])
        values["accident_types"] = "、".join(point.accident_types or [])
        for name in FACTOR_NAMES:
            values[f"factor_{name.lower()}"] = (point.factors or {}).get(name)
        values["level"] = RiskLevel(point.level).zh if point.level else None
        return values

    return total, (row(p) for p in records)


def _create_risk_point(session: Session, actor: Actor, data: RiskPointCreate) -> object:
    return risks.create_risk_point(session, actor=actor, data=data)


RISK_POINT_KIND = Kind(
    ledger=RISK_POINTS,
    write=Permission.RISK_WRITE,
    read=Permission.RISK_READ,
    build=lambda v: RiskPointCreate(**_risk_point_values(v)),
    create=_create_risk_point,
    rows=_risk_point_rows,
    fallback_column="enterprise_credit_code",
)

# --- hazards ----------------------------------------------------------------------------------


def _hazard_rows(
    session: Session, actor: Actor, region: str | None, index: EnterpriseIndex
) -> tuple[int, Iterator[Values]]:
    filters = HazardFilter(region_code=region)

    def fetch(limit: int, offset: int) -> tuple[list[Any], int]:
        return hazards.list_hazards(
            session, actor=actor, filters=filters, limit=limit, offset=offset
        )

    total, records = _pages(fetch)

    def row(hazard: Any) -> Values:
        values: Values = {
            key: getattr(hazard, key)
            for key in ("title", "description", "location", "lon", "lat", "source",
                        "checklist_id", "checklist_item_id", "external_ref", "number")
        }  # fmt: skip
        values["enterprise_credit_code"] = index.code_of(hazard.enterprise_id)
        values["proposed_grade"] = hazard.grade
        values["status"] = HazardStatus(hazard.status).zh
        return values

    return total, (row(h) for h in records)


def _create_hazard(session: Session, actor: Actor, data: HazardCreate) -> object:
    return hazards.report_hazard(session, actor=actor, data=data)


HAZARD_KIND = Kind(
    ledger=HAZARDS,
    write=Permission.HAZARD_REPORT,
    read=Permission.HAZARD_READ,
    build=lambda v: HazardCreate(**{k: v for k, v in v.items() if v is not None}),
    create=_create_hazard,
    rows=_hazard_rows,
    fallback_column="enterprise_credit_code",
)

KINDS: Final[dict[str, Kind]] = {
    k.ledger.kind: k for k in (ENTERPRISE_KIND, RISK_POINT_KIND, HAZARD_KIND)
}
