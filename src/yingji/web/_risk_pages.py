"""Pages of risk grading: the enterprise risk register and major hazard installations."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission, Scope
from yingji.core.errors import DomainError, InvalidInput, NotFound
from yingji.core.http import UoW
from yingji.core.i18n import get_translations
from yingji.hazards.states import HazardStatus
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import OrgKind
from yingji.risks import service as risks
from yingji.risks.assessment import RiskLevel, load_methods
from yingji.risks.schemas import (
    AssessmentMethod,
    ControlLevel,
    ControlMeasureIn,
    GroupBy,
    MeasureKind,
    RiskPointCreate,
    RiskPointKind,
    RiskPointUpdate,
    SubstanceIn,
    SubstancesUpdate,
)
from yingji.web._nav import N_
from yingji.web._org_views import organisation_names, parse_id
from yingji.web._page_kit import (
    EXPIRED,
    PER_PAGE,
    FormProblem,
    PostedForm,
    clean_region_code,
    clean_search,
    csrf_ok,
    error_page,
    form_text,
    local_time,
    page_number,
    pager,
    problem_of,
    refuse,
    region_names,
    region_options,
)
from yingji.web._prevention_nav import prevention_context
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)

KIND_LABELS: Final = {
    RiskPointKind.PLACE: N_("Place"),
    RiskPointKind.INSTALLATION: N_("Installation"),
    RiskPointKind.DEVICE: N_("Device"),
    RiskPointKind.ACTIVITY: N_("Work activity"),
}
METHOD_LABELS: Final = {
    AssessmentMethod.LEC: N_("Work condition hazard analysis (L·E·C)"),
    AssessmentMethod.LS: N_("Risk matrix (L·S)"),
    AssessmentMethod.MES: N_("Work condition risk degree (M·E·S)"),
}
CONTROL_LEVEL_LABELS: Final = {
    ControlLevel.ENTERPRISE: N_("Enterprise level"),
    ControlLevel.DEPARTMENT: N_("Department level"),
    ControlLevel.WORKSHOP: N_("Workshop level"),
    ControlLevel.TEAM: N_("Team level"),
}
MEASURE_KIND_LABELS: Final = {
    MeasureKind.ENGINEERING: N_("Engineering"),
    MeasureKind.MANAGEMENT: N_("Management"),
    MeasureKind.TRAINING: N_("Training"),
    MeasureKind.PPE: N_("Personal protection"),
    MeasureKind.EMERGENCY: N_("Emergency response"),
}
LEVEL_LABELS: Final = {
    RiskLevel.MAJOR: N_("Major risk (red)"),
    RiskLevel.CONSIDERABLE: N_("Considerable risk (orange)"),
    RiskLevel.GENERAL: N_("General risk (yellow)"),
    RiskLevel.LOW: N_("Low risk (blue)"),
}
UNIT_KIND_LABELS: Final = {"production": N_("Production unit"), "storage": N_("Storage unit")}
MEASURE_ROWS: Final = 5
MAX_CHOICES: Final = 200
_SPLIT = re.compile(r"[\n,，、;；]+")
_NO_POINT = NotFound("no such risk point", field="risk_point_id")
_NO_INSTALLATION = NotFound("no such installation", field="installation_id")
FORM_FIELDS: Final = (
    "organisation_id", "name", "kind", "code", "location", "lon", "lat", "hazard_factors",
    "accident_types", "method", "factors", "bands", "control_level", "responsible_person_id",
    "reassess_on", "measures", "reason",
)  # fmt: skip


def _num(value: float) -> str:
    return f"{value:g}"


def method_tables() -> list[dict[str, Any]]:
    """Return the factor options and band sets of each method, as the form shows them."""
    catalog = load_methods()
    tables = []
    for method in AssessmentMethod:
        spec = catalog.methods[method.value.upper()]  # type: ignore[index]
        factors = [
            {
                "name": name,
                "label": table.label,
                "options": [(_num(v.value), f"{_num(v.value)} — {v.label}") for v in table.values],
            }
            for name, table in spec.factors.items()
        ]
        bands = [
            {
                "name": name,
                "ranges": " / ".join(band.published for band in band_set.bands),
                "unconfirmed": not band_set.confidence.confirmed,
                "default": name == spec.default_band_set,
            }
            for name, band_set in spec.band_sets.items()
        ]
        tables.append({"method": method.value, "factors": factors, "bands": bands})
    return tables


def map_layers(actor: Actor, locale: str) -> dict[str, Any]:
    """Return what map.js needs for the risk and hazard layers, by the role's permissions."""
    _ = get_translations(locale).gettext
    return {
        "risks": actor.scope_for(Permission.RISK_READ) is not None,
        "hazards": actor.scope_for(Permission.HAZARD_READ) is not None,
        "risksUrl": "/api/risks/geojson",
        "hazardsUrl": "/api/hazards/geojson",
        "strings": {
            "risks": _("Risk points (four colours)"),
            "hazards": _("Hazard points"),
            "levels": {level.value: _(LEVEL_LABELS[level]) for level in RiskLevel},
            "level": _("Risk level"),
            "enterprise": _("Enterprise"),
            "status": _("Status"),
            "statuses": {
                status.value: status.en if locale == "en" else status.zh for status in HazardStatus
            },
            "overdue": _("Overdue"),
            "supervised": _("Supervised listing"),
            "truncated": _("Only the first points are drawn; zoom in or filter."),
        },
    }


def _level_chip(level: str) -> dict[str, str]:
    found = RiskLevel(level)
    return {"value": found.value, "label": LEVEL_LABELS[found], "colour": found.colour}


def _point_rows(session: Session, actor: Actor, points: list[Any]) -> list[dict[str, Any]]:
    names = organisation_names(session, actor, (p.organisation_id for p in points))
    regions = region_names(session, actor, (p.region_code for p in points))
    return [
        {
            "point": p,
            "level": _level_chip(p.level),
            "kind": KIND_LABELS.get(p.kind, p.kind),
            "organisation": names.get(p.organisation_id, ""),
            "region": regions[p.region_code],
        }
        for p in points
    ]


def enterprise_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """Return the enterprises a bureau writer picks from (none for an enterprise user)."""
    if actor.scope_for(Permission.RISK_WRITE) is Scope.OWN_ORG:
        return []
    try:
        rows, _total = orgs_service.list_organisations(
            session, actor=actor, kind=OrgKind.ENTERPRISE, limit=MAX_CHOICES
        )
    except DomainError:
        return []
    return [(str(r.id), r.name) for r in rows]


def person_choices(
    session: Session, actor: Actor, organisation_id: uuid.UUID | None
) -> list[tuple[str, str]]:
    """Return the staff of an enterprise to pick a responsible person from."""
    if organisation_id is None:
        return []
    try:
        rows, _total = orgs_service.list_persons(
            session, actor=actor, organisation_id=organisation_id, limit=MAX_CHOICES
        )
    except DomainError:
        return []
    return [(str(p.id), p.name) for p in rows]


@router.get("/risks")
def risk_register(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    region: str = "",
    level: str = "",
    organisation: str = "",
    q: str = "",
    page: str = "1",
) -> Response:
    """List the risk points the user may see; bureau users also get the city summary."""
    actor = web_user.actor
    wanted_level = level if level in {lv.value for lv in RiskLevel} else ""
    region_code = clean_region_code(region)
    org_id = parse_id(organisation) if organisation else None
    search, number = clean_search(q), page_number(page)
    try:
        points, total = risks.list_risk_points(
            uow.session,
            actor=actor,
            organisation_id=org_id,
            region_code=region_code,
            level=wanted_level or None,
            q=search or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
        bureau = actor.scope_for(Permission.RISK_READ) is Scope.REGION
        summary_region = summary_industry = []
        if bureau:
            summary_region = list(
                risks.risk_summary(uow.session, actor=actor, group_by=GroupBy.REGION)
            )
            summary_industry = list(
                risks.risk_summary(
                    uow.session, actor=actor, group_by=GroupBy.INDUSTRY, region_code=region_code
                )
            )
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = prevention_context(uow.session, web_user, "risks")
    params = {"region": region_code or "", "level": wanted_level, "q": search,
              "organisation": str(org_id) if org_id else ""}  # fmt: skip
    context.update(
        rows=_point_rows(uow.session, actor, points),
        bureau=bureau,
        can_write=actor.scope_for(Permission.RISK_WRITE) is not None,
        summary_region=summary_region,
        summary_industry=summary_industry,
        levels=[(lv.value, LEVEL_LABELS[lv]) for lv in RiskLevel],
        level_keys=[lv.value for lv in RiskLevel],
        regions=region_options(uow.session, actor) if bureau else [],
        enterprises=enterprise_choices(uow.session, actor) if bureau else [],
        filters=params,
        pager=pager("/risks", params, number, total),
    )
    return render(request, "risks/list.html", context)


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in _SPLIT.split(raw or "") if part.strip()][:30]


def _float(form: FormData, name: str) -> float | None:
    raw = form_text(form, name)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number", field=name) from None


def _date(form: FormData, name: str) -> date | None:
    raw = form_text(form, name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)", field=name) from None


def _factors(form: FormData, method: str) -> dict[str, float]:
    factors: dict[str, float] = {}
    for table in method_tables():
        if table["method"] != method:
            continue
        for factor in table["factors"]:
            name = factor["name"]
            value = _float(form, f"f_{method}_{name}")
            if value is None:
                raise InvalidInput(f"choose a value for {name}", field=f"factors.{name}")
            factors[name] = value
    return factors


def _measures(form: FormData) -> list[ControlMeasureIn]:
    measures = []
    for index in range(MEASURE_ROWS):
        description = form_text(form, f"m_desc_{index}")
        if not description:
            continue
        person = form_text(form, f"m_person_{index}")
        measures.append(
            ControlMeasureIn.model_validate(
                {
                    "kind": form_text(form, f"m_kind_{index}") or "",
                    "description": description,
                    "control_level": form_text(form, f"m_level_{index}") or "",
                    "responsible_person_id": person or None,
                }
            )
        )
    return measures


def _common(form: FormData) -> dict[str, Any]:
    method = form_text(form, "method") or ""
    person = form_text(form, "responsible_person_id")
    values: dict[str, Any] = {
        "name": form_text(form, "name") or "",
        "kind": form_text(form, "kind") or "",
        "code": form_text(form, "code") or None,
        "location": form_text(form, "location") or None,
        "lon": _float(form, "lon"),
        "lat": _float(form, "lat"),
        "hazard_factors": _split(form_text(form, "hazard_factors")),
        "accident_types": _split(form_text(form, "accident_types")),
        "method": method,
        "control_level": form_text(form, "control_level") or "",
        "responsible_person_id": person or None,
        "reassess_on": _date(form, "reassess_on"),
        "measures": _measures(form),
    }
    if method in {m.value for m in AssessmentMethod}:
        values["factors"] = _factors(form, method)
        values["bands"] = form_text(form, f"bands_{method}") or None
    else:
        raise InvalidInput("choose an assessment method", field="method")
    return values


def _posted(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _point_values(point: Any, measures: list[Any]) -> dict[str, str]:
    values = {
        "organisation_id": str(point.organisation_id),
        "name": point.name,
        "kind": point.kind,
        "code": point.code or "",
        "location": point.location or "",
        "lon": "" if point.lon is None else _num(point.lon),
        "lat": "" if point.lat is None else _num(point.lat),
        "hazard_factors": "、".join(point.hazard_factors or []),
        "accident_types": "、".join(point.accident_types or []),
        "method": point.method,
        f"bands_{point.method}": point.bands,
        "control_level": point.control_level,
        "responsible_person_id": str(point.responsible_person_id or ""),
        "reassess_on": point.reassess_on.isoformat() if point.reassess_on else "",
    }
    for name, value in (point.factors or {}).items():
        values[f"f_{point.method}_{name}"] = _num(float(value))
    for index, measure in enumerate(measures[:MEASURE_ROWS]):
        values[f"m_kind_{index}"] = measure.kind
        values[f"m_desc_{index}"] = measure.description
        values[f"m_level_{index}"] = measure.control_level
        values[f"m_person_{index}"] = str(measure.responsible_person_id or "")
    return values


def _form_context(
    session: Session, actor: Actor, organisation_id: uuid.UUID | None
) -> dict[str, Any]:
    return {
        "method_names": {m.value: METHOD_LABELS[m] for m in AssessmentMethod},
        "methods": [(m.value, METHOD_LABELS[m]) for m in AssessmentMethod],
        "tables": method_tables(),
        "kinds": [(k.value, label) for k, label in KIND_LABELS.items()],
        "control_levels": [(c.value, label) for c, label in CONTROL_LEVEL_LABELS.items()],
        "measure_kinds": [(k.value, label) for k, label in MEASURE_KIND_LABELS.items()],
        "measure_rows": range(MEASURE_ROWS),
        "persons": person_choices(session, actor, organisation_id),
        "enterprises": enterprise_choices(session, actor),
    }


def _new_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    *,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    actor = web_user.actor
    own = actor.scope_for(Permission.RISK_WRITE) is Scope.OWN_ORG
    context = prevention_context(session, web_user, "risks")
    options = _form_context(session, actor, actor.organisation_id if own else None)
    context.update(
        o=options,
        enterprises=options["enterprises"],
        values=values or {"method": "lec"},
        problem=problem,
        own_enterprise=str(actor.organisation_id) if own else "",
    )
    return render(
        request, "risks/new.html", context, status_code=problem.status if problem else 200
    )


@router.get("/risks/new")
def risk_new(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the form recording a risk point."""
    try:
        web_user.actor.require(Permission.RISK_WRITE)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    return _new_page(request, uow.session, web_user)


@router.post("/risks/new")
def risk_create(request: Request, uow: UoW, web_user: PageUser, form: PostedForm) -> Response:
    """Record a risk point and go to it, or show the form again with the errors."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    actor = web_user.actor
    try:
        scope = actor.require(Permission.RISK_WRITE)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    try:
        values = _common(form)
        org = (
            actor.organisation_id if scope is Scope.OWN_ORG else form_text(form, "organisation_id")
        )
        data = RiskPointCreate.model_validate({**values, "organisation_id": org})
        point = risks.create_risk_point(uow.session, actor=actor, data=data)
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        problem = problem_of(exc, FORM_FIELDS)
        return _new_page(request, uow.session, web_user, values=_posted(form), problem=problem)
    uow.commit()
    return RedirectResponse(f"/risks/{point.id}?saved=1", status_code=303)


def _detail_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    risk_point_id: uuid.UUID,
    *,
    values: dict[str, str] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    actor = web_user.actor
    try:
        point = risks.get_risk_point(session, actor=actor, risk_point_id=risk_point_id)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    measures = risks.measures_of(session, [point.id])[point.id]
    writable = point.active and actor.scope_for(Permission.RISK_WRITE) is not None
    persons = dict(person_choices(session, actor, point.organisation_id))
    context = prevention_context(session, web_user, "risks")
    context.update(
        o=_form_context(session, actor, point.organisation_id),
        row=_point_rows(session, actor, [point])[0],
        method_label=METHOD_LABELS[AssessmentMethod(point.method)],
        control_label=CONTROL_LEVEL_LABELS.get(ControlLevel(point.control_level), ""),
        measure_rows_shown=[
            {
                "kind": MEASURE_KIND_LABELS.get(MeasureKind(m.kind), m.kind),
                "description": m.description,
                "level": CONTROL_LEVEL_LABELS.get(ControlLevel(m.control_level), ""),
                "person": persons.get(str(m.responsible_person_id or ""), ""),
            }
            for m in measures
        ],
        responsible=persons.get(str(point.responsible_person_id or ""), ""),
        writable=writable,
        values={**_point_values(point, measures), **(values or {})},
        problem=problem,
        saved=request.query_params.get("saved") == "1" and problem is None,
    )
    status = problem.status if problem else 200
    return render(request, "risks/detail.html", context, status_code=status)


def _installation_rows(session: Session, actor: Actor, rows: list[Any]) -> list[dict[str, Any]]:
    names = organisation_names(session, actor, (r.organisation_id for r in rows))
    return [
        {
            "inst": r,
            "organisation": names.get(r.organisation_id, ""),
            "unit_kind": UNIT_KIND_LABELS.get(r.unit_kind, r.unit_kind),
            "grade": risks.grade_zh(r.grade),
        }
        for r in rows
    ]


@router.get("/risks/installations")
def installation_list(
    request: Request, uow: UoW, web_user: PageUser, major: str = "", page: str = "1"
) -> Response:
    """List the major hazard installations the user may see, highest grade first."""
    number = page_number(page)
    try:
        rows, total = risks.list_installations(
            uow.session,
            actor=web_user.actor,
            major_only=major == "1",
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    context = prevention_context(uow.session, web_user, "installations")
    context.update(
        rows=_installation_rows(uow.session, web_user.actor, rows),
        can_write=web_user.actor.scope_for(Permission.RISK_WRITE) is not None,
        major=major == "1",
        pager=pager("/risks/installations", {"major": "1" if major == "1" else ""}, number, total),
    )
    return render(request, "risks/installations.html", context)


def _installation_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    installation_id: uuid.UUID,
    *,
    problem: FormProblem | None = None,
) -> Response:
    actor = web_user.actor
    try:
        row = risks.get_installation(session, actor=actor, installation_id=installation_id)
        history = risks.installation_history(session, actor=actor, installation_id=row.id)
    except DomainError as exc:
        return refuse(request, session, web_user, exc)
    context = prevention_context(session, web_user, "installations")
    context.update(
        row=_installation_rows(session, actor, [row])[0],
        substances=risks.substances_of(session, [row.id])[row.id],
        history=[
            {
                "at": local_time(entry.at),
                "actor": entry.actor,
                "action": entry.action,
                "reason": (entry.after or {}).get("reason", ""),
                "change": (entry.after or {}).get("change", ""),
                "grade": risks.grade_zh((entry.after or {}).get("grade")),
                "s": (entry.after or {}).get("s_exact", ""),
            }
            for entry in history
        ],
        writable=row.active and actor.scope_for(Permission.RISK_WRITE) is not None,
        problem=problem,
        saved=request.query_params.get("saved") == "1" and problem is None,
    )
    return render(
        request, "risks/installation.html", context, status_code=problem.status if problem else 200
    )


@router.get("/risks/installations/{installation_id}")
def installation_detail(
    request: Request, uow: UoW, web_user: PageUser, installation_id: str
) -> Response:
    """Show an installation: its substances, S, R, grade and the change history."""
    found = parse_id(installation_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_INSTALLATION)
    return _installation_page(request, uow.session, web_user, found)


@router.post("/risks/installations/{installation_id}")
def installation_change(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, installation_id: str
) -> Response:
    """Save changed quantities with the reason; the installation is re-identified."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    found = parse_id(installation_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_INSTALLATION)
    actor = web_user.actor
    try:
        actor.require(Permission.RISK_WRITE)
        current = risks.substances_of(uow.session, [found])[found]
        risks.get_installation(uow.session, actor=actor, installation_id=found)
        substances = [
            SubstanceIn(
                label=s.label,
                seq=s.seq,
                cas=s.cas,
                name=s.name,
                hazard_classes=list(s.hazard_classes),
                quantity_t=form_text(form, f"q_{index}") or s.quantity_t,
            )
            for index, s in enumerate(current)
        ]
        data = SubstancesUpdate(substances=substances, reason=form_text(form, "reason") or "")
        risks.update_installation_substances(
            uow.session, actor=actor, installation_id=found, data=data
        )
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        if isinstance(exc, DomainError) and exc.status_code in (403, 404):
            return refuse(request, uow.session, web_user, exc)
        problem = problem_of(exc, ("reason", "substances"))
        return _installation_page(request, uow.session, web_user, found, problem=problem)
    uow.commit()
    return RedirectResponse(f"/risks/installations/{found}?saved=1", status_code=303)


@router.get("/risks/{risk_point_id}")
def risk_detail(request: Request, uow: UoW, web_user: PageUser, risk_point_id: str) -> Response:
    """Show a risk point with its measures; writers also get the edit / re-assessment form."""
    found = parse_id(risk_point_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_POINT)
    return _detail_page(request, uow.session, web_user, found)


@router.post("/risks/{risk_point_id}")
def risk_update(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, risk_point_id: str
) -> Response:
    """Save the edit form; a changed assessment needs a reason (kept in the audit log)."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    found = parse_id(risk_point_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_POINT)
    actor = web_user.actor
    try:
        actor.require(Permission.RISK_WRITE)
        point = risks.get_risk_point(uow.session, actor=actor, risk_point_id=found)
        values = _common(form)
        changes = {k: v for k, v in values.items() if k not in ("method", "factors", "bands")}
        same = (
            values["method"] == point.method
            and values["factors"] == {k: float(v) for k, v in point.factors.items()}
            and (values["bands"] or point.bands) == point.bands
        )
        if not same:
            changes.update(method=values["method"], factors=values["factors"])
            changes["bands"] = values["bands"]
        changes["reason"] = form_text(form, "reason") or None
        data = RiskPointUpdate.model_validate(changes)
        risks.update_risk_point(uow.session, actor=actor, risk_point_id=found, data=data)
    except (ValidationError, DomainError) as exc:
        uow.session.rollback()
        if isinstance(exc, DomainError) and exc.status_code in (403, 404):
            return refuse(request, uow.session, web_user, exc)
        problem = problem_of(exc, FORM_FIELDS)
        return _detail_page(
            request, uow.session, web_user, found, values=_posted(form), problem=problem
        )
    uow.commit()
    return RedirectResponse(f"/risks/{found}?saved=1", status_code=303)


@router.post("/risks/{risk_point_id}/deactivate")
def risk_deactivate(
    request: Request, uow: UoW, web_user: PageUser, form: PostedForm, risk_point_id: str
) -> Response:
    """Take a risk point off the register."""
    if not csrf_ok(web_user, form):
        return error_page(request, uow.session, web_user, 403, EXPIRED)
    found = parse_id(risk_point_id)
    if found is None:
        return refuse(request, uow.session, web_user, _NO_POINT)
    try:
        risks.deactivate_risk_point(uow.session, actor=web_user.actor, risk_point_id=found)
    except DomainError as exc:
        uow.session.rollback()
        return refuse(request, uow.session, web_user, exc)
    uow.commit()
    return RedirectResponse(f"/risks/{found}", status_code=303)
