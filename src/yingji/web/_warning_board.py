"""The 叫应 board of a warning: who has answered, who has not, and the people evacuated.

It is rendered on the server (``warnings/_tracking.html``) inside the warning's page, and
``warning_tracking.js`` polls ``/warnings/{id}/tracking``, which renders the same partial with
the totals, so the counts follow the answers without a reload.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from yingji.core.errors import DomainError, NotFound
from yingji.core.http import UoW
from yingji.core.i18n import jinja_environment
from yingji.warnings import _feedback, _tracking
from yingji.web._page_kit import local_time, region_names
from yingji.web._render import TEMPLATE_DIR, page_locale
from yingji.web._session import MaybeWebUser, WebUser
from yingji.web._warning_views import LIST_PAGE

router = APIRouter(include_in_schema=False)


def tracking_context(session: Session, web_user: WebUser, warning_id: uuid.UUID) -> dict[str, Any]:
    """Return the board of a warning in the user's region, as the partial shows it."""
    actor = web_user.actor
    board = _tracking.tracking_board(session, actor=actor, warning_id=warning_id)
    shelters = {
        total.region_code: total.shelters
        for total in _feedback.evacuation_totals(session, warning_id=warning_id, actor=actor)
    }
    codes = {r.region_code for r in board.regions} | {u.region_code for u in board.unanswered}
    names = region_names(session, actor, codes)
    return {
        "board": board,
        "region_rows": [
            {
                "r": r,
                "name": r.name or names.get(r.region_code, r.region_code),
                "shelters": shelters.get(r.region_code, []),
            }
            for r in board.regions
        ],
        "unanswered": [
            {
                "u": u,
                "region": names.get(u.region_code, u.region_code),
                "deadline": local_time(u.deadline_at),
            }
            for u in board.unanswered
        ],
        "checked_at": local_time(datetime.now(UTC)),
    }


@router.get(LIST_PAGE + "/{warning_id}/tracking")
def tracking_feed(request: Request, uow: UoW, web_user: MaybeWebUser, warning_id: str) -> Response:
    """Return the board rendered, with its totals, for the page's script to swap in."""
    if web_user is None:
        return JSONResponse({"detail": "log in again"}, status_code=401)
    try:
        try:
            number = uuid.UUID(warning_id)
        except ValueError:
            raise NotFound("no such warning", field="warning_id") from None
        context = tracking_context(uow.session, web_user, number)
    except DomainError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)
    env = jinja_environment(TEMPLATE_DIR, page_locale(request))
    html = env.get_template("warnings/_tracking.html").render(**context)
    totals = context["board"].totals
    return JSONResponse(
        {
            "html": html,
            "acknowledged": totals.acknowledged,
            "pending": totals.pending,
            "escalated": totals.escalated,
            "evacuated": totals.evacuated,
            "unanswered": context["board"].unanswered_total,
            "checked_at": context["checked_at"],
        },
        headers={"Cache-Control": "no-store"},
    )
