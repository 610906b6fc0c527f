"""The page recording a major hazard installation (GB 18218-2018): the form and its chemicals.

Its router is included by ``yingji.web.routes`` ahead of the module routers, so that
``/risks/installations/new`` is matched before ``/risks/installations/{installation_id}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError
from yingji.core.http import UoW
from yingji.core.i18n import get_translations
from yingji.risks import service as risks
from yingji.risks.schemas import InstallationCreate
from yingji.web._nav import N_
from yingji.web._org_views import parse_id
from yingji.web._page_kit import (
    EXPIRED,
    FormProblem,
    PostedForm,
    csrf_ok,
    error_page,
    refuse,
)
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import page_locale, render
from yingji.web._risk_pages import UNIT_KIND_LABELS, enterprise_choices, person_choices
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)

MAX_ROWS: Final = 100  # InstallationCreate takes at most 100 substances
NEW_ROWS: Final = 2  # blank rows of a fresh form
# Substance rows post s_<part>_<n>; <n> only orders the rows (the script numbers new ones).
_ROW_FIELD = re.compile(r"^s_(label|seq|classes|q)_(\d{1,4})$")
_CLASS_SPLIT = re.compile(r"[\s,，、;；/]+")
# A service or schema error about substance n, e.g. "substances[1].hazard_classes".
_SUBSTANCE_FIELD = re.compile(r"^substances\[(\d+)\](?:\.(\w+))?$")
_PART_OF: Final = {"label": "label", "seq": "seq", "hazard_classes": "classes", "quantity_t": "q"}
TOP_FIELDS: Final = (
    "organisation_id", "name", "unit_kind", "exposed_people", "lon", "lat",
    "responsible_person_id", "substances",
)  # fmt: skip
QUANTITY_MESSAGE: Final = N_(
    "Enter the quantity in tonnes: a number greater than 0, with at most 6 decimals."
)
NO_SUBSTANCE: Final = N_("Give at least one hazardous chemical with its quantity.")
BAD_SEQ: Final = N_("Choose a substance of Table 1 from the list.")
UNNAMED: Final = N_("Pick the substance from Table 1 or give its hazard classes.")
# The page's own words for some fields (by field, or by row part: "s_q" is every quantity).
_OWN_MESSAGES: Final = {
    "s_q": QUANTITY_MESSAGE,
    "s_seq": BAD_SEQ,
    "s_row": UNNAMED,
    "substances": NO_SUBSTANCE,
}
_SUMMARIES: Final = {
    403: N_("You may not make this change."),
    404: N_("This record does not exist."),
    422: N_("Please correct the marked fields."),
}


@dataclass(slots=True)
class SubstanceRow:
    """One substance row of the form, as posted (all text)."""

    label: str = ""
    seq: str = ""
    classes: str = ""
    q: str = ""

    @property
    def blank(self) -> bool:
        """Say whether nothing was entered in the row."""
        return not (self.label or self.seq or self.classes or self.q)

    @property
    def named(self) -> bool:
        """Say whether the row picks a Table 1 substance or gives hazard classes."""
        return bool(self.seq or self.classes)


def posted_rows(form: FormData) -> list[SubstanceRow]:
    """Return the substance rows of a posted form that hold anything, in the form's order."""
    found: dict[int, SubstanceRow] = {}
    for key, value in form.multi_items():
        match = _ROW_FIELD.match(key)
        if match is None or not isinstance(value, str):
            continue
        row = found.setdefault(int(match.group(2)), SubstanceRow())
        setattr(row, match.group(1), value.strip())
    rows = [found[index] for index in sorted(found)]
    return [row for row in rows if not row.blank][: MAX_ROWS + 1]


def _substance(row: SubstanceRow, names: dict[str, str]) -> dict[str, Any]:
    """Return the SubstanceIn fields of a row; a Table 1 pick names an unlabelled row."""
    classes = [c for c in _CLASS_SPLIT.split(row.classes) if c]
    return {
        "label": row.label or names.get(row.seq, "") or " ".join(classes),
        "seq": row.seq or None,  # not a number: the schema names the field
        "hazard_classes": classes,
        "quantity_t": row.q,
    }


def _row_field(index: int, part: str | None) -> str:
    return f"s_{_PART_OF.get(part or '', 'row')}_{index}"


def _problem(
    exc: DomainError | ValidationError, rows: list[SubstanceRow], locale: str
) -> tuple[FormProblem, frozenset[str]]:
    """Say what was wrong, naming the form's own fields (``s_q_1`` for substance 2's quantity).

    Returns the problem and the fields whose message is the page's own, in the page's language
    (the others keep the service's English words).
    """
    gettext = get_translations(locale).gettext
    named: list[tuple[str, str]] = []
    if isinstance(exc, ValidationError):
        status = 422
        for error in exc.errors():
            loc = error["loc"]
            name = str(loc[0]) if loc else ""
            if name == "substances" and len(loc) > 1 and isinstance(loc[1], int):
                part = str(loc[2]) if len(loc) > 2 else None
                if part == "label" and loc[1] < len(rows) and not rows[loc[1]].named:
                    part = None  # no label because nothing names the substance: say that
                name = _row_field(loc[1], part)
            named.append((name, str(error["msg"])))
    else:
        status = exc.status_code
        name = exc.field or ""
        match = _SUBSTANCE_FIELD.match(name)
        if match is not None:
            name = _row_field(int(match.group(1)), match.group(2))
        named.append((name, exc.message))
    fields: dict[str, str] = {}
    translated: set[str] = set()
    hidden: list[str] = []
    for name, message in named:
        own = _OWN_MESSAGES.get(name.rsplit("_", 1)[0] if name.startswith("s_") else name)
        if own is not None and (name != "substances" or not rows):
            message = gettext(own)
            translated.add(name)
        if name in TOP_FIELDS or name.startswith("s_"):
            fields.setdefault(name, message)
        else:
            hidden.append(message)
    summary = _SUMMARIES.get(status, _SUMMARIES[422])
    return FormProblem(status, summary, fields, "; ".join(hidden) or None), frozenset(translated)


def _tables() -> dict[str, Any]:
    """Return the pickers of the form: Table 1 substances and Table 2 hazard classes."""
    tables = risks.substance_tables()
    substances = []
    for s in tables.substances:
        cas = f"（{s.cas_numbers[0]}）" if s.cas_numbers else ""
        substances.append((str(s.seq), f"{s.seq}. {s.name}{cas} · Q {s.critical_quantity_t} t"))
    classes = [
        {
            "symbol": c.symbol,
            "category": c.category,
            "description": c.description,
            "q": c.quantity_note or str(c.critical_quantity_t),
            "beta": str(c.beta) if c.beta is not None else "",
        }
        for c in tables.categories.values()
    ]
    return {
        "substances": substances,
        "names": {str(s.seq): s.name for s in tables.substances},
        "classes": classes,
    }


def _form_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    values: dict[str, str] | None = None,
    rows: list[SubstanceRow] | None = None,
    problem: FormProblem | None = None,
    translated: frozenset[str] = frozenset(),
) -> Response:
    actor = web_user.actor
    own = actor.scope_for(Permission.RISK_WRITE) is Scope.OWN_ORG
    values = values if values is not None else {"unit_kind": "storage", "exposed_people": "0"}
    organisation = actor.organisation_id if own else parse_id(values.get("organisation_id", ""))
    shown = list(rows) if rows else [SubstanceRow() for _ in range(NEW_ROWS)]
    if rows and len(shown) < MAX_ROWS:
        shown.append(SubstanceRow())  # room for one more without the script
    context = prevention_context(session, web_user, "installations")
    context.update(
        values=values,
        rows=shown,
        problem=problem,
        translated=translated,
        blank_row=SubstanceRow(),
        tables=_tables(),
        unit_kinds=list(UNIT_KIND_LABELS.items()),
        enterprises=[] if own else enterprise_choices(session, actor),
        persons=person_choices(session, actor, organisation),
        max_rows=MAX_ROWS,
    )
    status = problem.status if problem else 200
    return render(request, "risks/installation_new.html", context, status_code=status)


@router.get("/risks/installations/new")
def installation_new(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the form recording a major hazard installation and its hazardous chemicals."""
    try:
        web_user.actor.require(Permission.RISK_WRITE)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    return _form_page(request, uow.session, web_user)


@router.post("/risks/installations/new")
def installation_create(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm
) -> Response:
    """Record and identify an installation, then show it; or show the form again, marked."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    actor = web_user.actor
    try:
        scope = actor.require(Permission.RISK_WRITE)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    rows = posted_rows(form)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str) and k in TOP_FIELDS}
    names = _tables()["names"]
    # An enterprise user records for their own enterprise; the service refuses another one.
    organisation = values.get("organisation_id") or (
        str(actor.organisation_id) if scope is Scope.OWN_ORG else ""
    )
    try:
        data = InstallationCreate.model_validate(
            {
                "organisation_id": organisation,
                "name": values.get("name", ""),
                "unit_kind": values.get("unit_kind", ""),
                "exposed_people": values.get("exposed_people") or 0,
                "lon": values.get("lon") or None,
                "lat": values.get("lat") or None,
                "responsible_person_id": values.get("responsible_person_id") or None,
                "substances": [_substance(row, names) for row in rows],
            }
        )
        installation = risks.create_installation(uow.session, actor=actor, data=data)
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        problem, translated = _problem(exc, rows, page_locale(request))
        return _form_page(
            request,
            uow.session,
            web_user,
            values=values,
            rows=rows,
            problem=problem,
            translated=translated,
        )
    uow.commit()
    return RedirectResponse(f"/risks/installations/{installation.id}?saved=1", status_code=303)
