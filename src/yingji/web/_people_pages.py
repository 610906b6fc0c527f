"""The people pages: everyone the user may reach, and the responsible persons (包保责任人)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.errors import DomainError, InvalidInput
from yingji.core.http import UoW
from yingji.orgs import service as orgs_service
from yingji.orgs.schemas import DutyType, ResponsibilityRead
from yingji.web._labels import DUTY_LABELS, label_of
from yingji.web._org_views import module_context, person_rows
from yingji.web._page_kit import (
    PER_PAGE,
    FormProblem,
    clean_region_code,
    clean_search,
    page_number,
    pager,
    problem_of,
    refuse,
    region_names,
    region_options,
)
from yingji.web._render import render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)


def _filter_problem(exc: InvalidInput) -> FormProblem:
    """Say what is wrong with a list filter, above the list (filters mark no fields)."""
    return problem_of(exc, ())


def _list_page(
    request: Request,
    session: Session,
    web_user: WebUser,
    template: str,
    tab: str,
    extra: dict[str, Any],
) -> Response:
    problem: FormProblem | None = extra.get("problem")
    context = module_context(session, web_user, tab=tab)
    context.update(regions=region_options(session, web_user.actor), **extra)
    return render(request, template, context, status_code=problem.status if problem else 200)


@router.get("/persons")
def person_list(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    q: str = "",
    region: str = "",
    page: str = "1",
) -> Response:
    """List the people the user may see: name, organisation, position, mobile and region."""
    search, number = clean_search(q), page_number(page)
    code = clean_region_code(region)
    problem = None
    try:
        persons, total = orgs_service.list_persons(
            uow.session,
            actor=web_user.actor,
            region_code=code,
            q=search or None,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    except InvalidInput as exc:
        persons, total, problem = [], 0, _filter_problem(exc)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    extra = {
        "rows": person_rows(uow.session, web_user.actor, persons),
        "q": search,
        "region": code or "",
        "problem": problem,
        "pager": pager("/persons", {"q": search, "region": code or ""}, number, total),
    }
    return _list_page(request, uow.session, web_user, "orgs/persons.html", "persons", extra)


def _responsibility_rows(
    session: Session, actor: Actor, rows: Sequence[object]
) -> list[dict[str, Any]]:
    """Return assignments with the region and the person's name, looked up row by row.

    The service returns person ids only; one get_person per row of the page (at most
    PER_PAGE) names them. A person the actor may not read stays unnamed.
    """
    reads = [ResponsibilityRead.model_validate(r) for r in rows]
    regions = region_names(session, actor, (r.region_code for r in reads))
    names: dict[object, str] = {}
    for r in reads[:PER_PAGE]:
        if r.person_id not in names:
            try:
                person = orgs_service.get_person(session, actor=actor, person_id=r.person_id)
                names[r.person_id] = person.name
            except DomainError:
                names[r.person_id] = ""
    return [
        {
            "row": r,
            "region": regions[r.region_code],
            "duty": label_of(DUTY_LABELS, r.duty_type),
            "person": names.get(r.person_id, ""),
        }
        for r in reads
    ]


@router.get("/responsibilities")
def responsibility_list(
    request: Request,
    uow: UoW,
    web_user: PageUser,
    region: str = "",
    duty: str = "",
    page: str = "1",
) -> Response:
    """List the responsible persons by region and duty (包保责任人)."""
    number = page_number(page)
    code = clean_region_code(region)
    wanted = DutyType(duty) if duty in {d.value for d in DutyType} else None
    problem = None
    try:
        rows, total = orgs_service.list_responsibilities(
            uow.session,
            actor=web_user.actor,
            region_code=code,
            duty_type=wanted,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
    except InvalidInput as exc:
        rows, total, problem = [], 0, _filter_problem(exc)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    params = {"region": code or "", "duty": wanted.value if wanted else ""}
    extra = {
        "rows": _responsibility_rows(uow.session, web_user.actor, rows),
        "region": code or "",
        "duty": params["duty"],
        "duties": list(DUTY_LABELS.items()),
        "problem": problem,
        "pager": pager("/responsibilities", params, number, total),
    }
    return _list_page(request, uow.session, web_user, "orgs/responsibilities.html", "duties", extra)
