"""HTTP plumbing shared by every router: request ids, the unit of work, error responses."""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from yingji.core.errors import DomainError, TooManyRequests

log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(request: Request) -> str:
    """Return the id of the current request (set by the middleware)."""
    return str(getattr(request.state, "request_id", "")) or uuid.uuid4().hex


class UnitOfWork:
    """One session per request; the handler commits explicitly before building the response."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def commit(self) -> None:
        """Commit the request's changes."""
        self.session.commit()


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """Yield the request's unit of work; roll back anything left uncommitted."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield UnitOfWork(session)
    finally:
        session.rollback()
        session.close()


UoW = Annotated[UnitOfWork, Depends(get_uow)]


def _error(status: int, body: dict[str, Any], request: Request) -> JSONResponse:
    body.setdefault("request_id", request_id_of(request))
    return JSONResponse(body, status_code=status)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def _retry_after(exc: DomainError) -> int | None:
    """Return the seconds a locked-out caller should wait (RFC 9110 Retry-After), if known."""
    until = exc.details.get("locked_until") if isinstance(exc, TooManyRequests) else None
    if not isinstance(until, str):
        return None
    try:
        moment = datetime.fromisoformat(until)
    except ValueError:
        return None
    return max(1, math.ceil((moment - datetime.now(UTC)).total_seconds()))


def install(app: FastAPI) -> None:
    """Add the request-id middleware and the error handlers to an app."""

    @app.middleware("http")
    async def request_id_middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request.state.request_id = (
            incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = request.state.request_id
        return response

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        response = _error(exc.status_code, exc.to_dict(), request)
        retry_after = _retry_after(exc)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": _field_of(err.get("loc", ())), "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        body = {
            "error": "invalid",
            "message": f"{first['field']}: {first['message']}",
            "field": first["field"],
            "problems": problems,
        }
        return _error(422, body, request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {"error": "http_error", "message": str(exc.detail)}
        response = _error(exc.status_code, body, request)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # Services check uniqueness first; this catches races between two requests.
        log.warning("integrity error on %s: %s", request.url.path, exc.orig)
        body = {"error": "conflict", "message": "the change conflicts with existing data"}
        return _error(409, body, request)
