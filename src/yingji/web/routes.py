"""The web pages: login, language, the home dashboard, the map and the modules to come.

The organisation and admin modules have their own routers (``_orgs_pages``, ``_people_pages``,
``_admin_pages``), included by ``yingji.web.mount``; the installation form's router
(``_installation_pages``) is included by this one, so that it is matched first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import literal, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from yingji.core.auth import service as auth_service
from yingji.core.auth.csrf import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    cookie_kwargs,
    csrf_cookie_kwargs,
    csrf_matches,
    new_csrf_token,
)
from yingji.core.auth.passwords import MAX_PASSWORD_LENGTH
from yingji.core.config import Settings
from yingji.core.errors import NotAuthenticated, TooManyRequests
from yingji.core.http import UoW, request_id_of
from yingji.core.i18n import LANG_COOKIE, LOCALES
from yingji.web import (
    _dashboard,
    _installation_pages,
    _monitoring_alarm_pages,
    _monitoring_pages,
    _monitoring_views,
    _risk_pages,
)
from yingji.web._nav import MODULES, N_, Module, visible_modules
from yingji.web._page_kit import EXPIRED, chrome, error_page
from yingji.web._render import page_locale, render
from yingji.web._session import (
    MaybeWebUser,
    PageUser,
    WebUser,
    local_referer,
    safe_local_path,
)

router = APIRouter(include_in_schema=False)
# Included here, ahead of the module routers, so "/risks/installations/new" is matched before
# _risk_pages' "/risks/installations/{installation_id}".
router.include_router(_installation_pages.router)
router.include_router(_monitoring_pages.router)
router.include_router(_monitoring_alarm_pages.router)

FormText = Annotated[str, Form()]
LANG_COOKIE_SECONDS = 365 * 24 * 3600
MAX_USERNAME = 80
_FORM_EXPIRED = N_("The login form expired. Please try again.")
_CREDENTIALS_NEEDED = N_("Enter your user name and password.")
_WRONG_CREDENTIALS = N_("Wrong user name or password.")
_LOCKED_OUT = N_("Too many failed attempts. Please wait a few minutes and try again.")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _form_error(
    request: Request, session: Session, web_user: WebUser | None, status: int, message: str
) -> Response:
    """Answer a rejected form with a page that says why."""
    return error_page(request, session, web_user, status, message)


def _login_page(
    request: Request,
    *,
    next_url: str,
    status: int = 200,
    error: str | None = None,
    username: str = "",
) -> HTMLResponse:
    """Render the login form; give the browser a CSRF cookie if it has none."""
    token = request.cookies.get(CSRF_COOKIE, "")
    fresh = not token
    if fresh:
        token = new_csrf_token()
    context = {"csrf_token": token, "next": next_url, "error": error, "username": username}
    response = render(request, "login.html", context, status_code=status)
    if fresh:
        response.set_cookie(CSRF_COOKIE, token, **csrf_cookie_kwargs(_settings(request)))
    return response


@router.get("/login")
def login_form(request: Request, web_user: MaybeWebUser, next: str = "/") -> Response:
    """Show the login form (or go on to the next page if already logged in)."""
    target = safe_local_path(next)
    if web_user is not None:
        return RedirectResponse(target, status_code=303)
    return _login_page(request, next_url=target)


def _login_refused(
    request: Request, target: str, username: str, status: int, message: str
) -> HTMLResponse:
    """Show the login form again with the reason it was refused."""
    return _login_page(
        request, next_url=target, status=status, error=message, username=username[:MAX_USERNAME]
    )


@router.post("/login")
def login_submit(
    request: Request,
    uow: UoW,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the credentials, start a session and go to the requested local page."""
    target = safe_local_path(next_url)
    username = username.strip()
    # Double submit: a cross-site form can post the field but cannot read or set our cookie.
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), csrf_token):
        return _login_refused(request, target, username, 400, _FORM_EXPIRED)
    if not username or not password or len(password) > MAX_PASSWORD_LENGTH:
        return _login_refused(request, target, username, 400, _CREDENTIALS_NEEDED)
    settings = _settings(request)
    try:
        _, raw = auth_service.login(
            uow.session,
            username=username,
            password=password,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent", "")[:300],
            settings=settings,
            request_id=request_id_of(request),
        )
    except NotAuthenticated:
        uow.commit()  # keep the failure count that locks the account after repeated guesses
        return _login_refused(request, target, username, 401, _WRONG_CREDENTIALS)
    except TooManyRequests:
        uow.commit()  # keep the audit entry of the refused attempt
        return _login_refused(request, target, username, 429, _LOCKED_OUT)
    uow.commit()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, raw, **cookie_kwargs(settings))
    return response


@router.post("/logout")
def logout(
    request: Request, uow: UoW, web_user: MaybeWebUser, csrf_token: FormText = ""
) -> Response:
    """End the browser's session."""
    response = RedirectResponse("/login", status_code=303)
    if web_user is not None:
        if not csrf_matches(web_user.csrf_token, csrf_token):
            return _form_error(request, uow.session, web_user, 403, EXPIRED)
        auth_service.logout(uow.session, raw=web_user.raw_token, request_id=request_id_of(request))
        uow.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/lang")
def switch_language(
    request: Request,
    uow: UoW,
    web_user: MaybeWebUser,
    language: FormText = "",
    csrf_token: FormText = "",
    next_url: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Switch the interface language (and remember it for a logged-in user)."""
    if language not in LOCALES:
        return _form_error(
            request, uow.session, web_user, 400, N_("This language is not available.")
        )
    if web_user is not None:
        if not csrf_matches(web_user.csrf_token, csrf_token):
            return _form_error(request, uow.session, web_user, 403, EXPIRED)
        auth_service.set_language(uow.session, actor=web_user.actor, language=language)
        uow.commit()
    target = safe_local_path(next_url) if next_url else local_referer(request)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        language,
        max_age=LANG_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_settings(request).secure_cookies,
        path="/",
    )
    return response


@router.get("/")
def home(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the dashboard: what the platform holds in the user's region."""
    context = chrome(uow.session, web_user, active="home")
    context["counts"] = _dashboard.counts(uow.session, actor=web_user.actor)
    context["modules"] = [m for m in visible_modules(web_user.actor) if m.slug != "map"]
    return render(request, "home.html", context)


@router.get("/map")
def map_page(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the one map (一张图) of the user's region."""
    context = chrome(uow.session, web_user, active="map")
    context["map_config"] = _dashboard.map_config(
        uow.session, _settings(request), actor=web_user.actor, locale=page_locale(request)
    )
    context["risk_layers"] = _risk_pages.map_layers(web_user.actor, page_locale(request))
    context["monitoring_layer"] = _monitoring_views.map_layer(web_user.actor, page_locale(request))
    return render(request, "map.html", context)


def _coming_soon(module: Module) -> Callable[..., Response]:
    def page(request: Request, uow: UoW, web_user: PageUser) -> Response:
        context = chrome(uow.session, web_user, active=module.slug)
        context["module"] = module
        return render(request, "coming_soon.html", context)

    page.__doc__ = f"Say that the {module.slug} module comes in a later release."
    page.__name__ = f"coming_soon_{module.slug}"
    return page


for _module in MODULES:
    if not _module.built:
        router.add_api_route(_module.path, _coming_soon(_module), methods=["GET"])


@router.get("/healthz")
def healthz(uow: UoW) -> JSONResponse:
    """Answer whether the server and its database work (for load balancers and monitors)."""
    try:
        uow.session.execute(select(literal(1)))
    except SQLAlchemyError:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})
