"""The organisation forms: which fields they show, reading them back, and the pickers' options."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.actor import Actor
from yingji.core.errors import DomainError
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import (
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    OrgKind,
    TeamType,
)
from yingji.web._labels import ORG_KIND_LABELS, TEAM_TYPE_LABELS
from yingji.web._page_kit import form_text, region_options

COMMON_FIELDS: Final = (
    "name", "region_code", "credit_code", "industry_code", "address", "phone", "lon", "lat",
)  # fmt: skip
TEAM_FIELDS: Final = ("team_type", "headcount")
EDITABLE_FIELDS: Final = (*COMMON_FIELDS, *TEAM_FIELDS)
CREATE_FIELDS: Final = ("kind", "parent_id", *EDITABLE_FIELDS)
MAX_BUREAUS: Final = 200
MAX_INDUSTRIES: Final = 500


def edit_fields(kind: str) -> tuple[str, ...]:
    """Return the fields the edit form of an organisation of this kind shows."""
    return COMMON_FIELDS + (TEAM_FIELDS if kind == OrgKind.RESCUE_TEAM else ())


def posted(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """Return the named fields the form carried (stripped), leaving out those it did not."""
    values = {name: form_text(form, name) for name in names}
    return {name: value for name, value in values.items() if value is not None}


def update_from(form: FormData, kind: str) -> OrganisationUpdate:
    """Read an edit form: a posted empty field clears it, a field not posted stays as it is."""
    values = posted(form, edit_fields(kind))
    return OrganisationUpdate.model_validate({k: v or None for k, v in values.items()})


def create_from(form: FormData) -> OrganisationCreate:
    """Read the registration form (empty fields are left out)."""
    values = posted(form, CREATE_FIELDS)
    return OrganisationCreate.model_validate({k: v for k, v in values.items() if v})


def _text(value: object) -> str:
    return "" if value is None else str(value)


def values_of(org: OrganisationRead) -> dict[str, str]:
    """Return an organisation's fields as the edit form shows them."""
    return {name: _text(getattr(org, name)) for name in EDITABLE_FIELDS}


def form_options(session: Session, actor: Actor) -> dict[str, Any]:
    """Return the choices of the organisation forms: regions, kinds, team types, industries."""
    try:
        bureaus, _ = orgs_service.list_organisations(
            session, actor=actor, kind=OrgKind.BUREAU, limit=MAX_BUREAUS
        )
    except DomainError:
        bureaus = []
    return {
        "regions": region_options(session, actor),
        "kinds": list(ORG_KIND_LABELS.items()),
        "team_types": [(t.value, TEAM_TYPE_LABELS[t]) for t in TeamType],
        "industries": orgs_service.search_industries(None, limit=MAX_INDUSTRIES),
        "bureaus": [{"id": str(b.id), "name": b.name} for b in bureaus],
    }
