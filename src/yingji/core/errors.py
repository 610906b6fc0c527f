"""Domain errors raised by services; one handler maps them to HTTP responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body of the error response."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    """The input breaks a business rule; the message names the field."""

    status_code = 422
    code = "invalid"


class NotAuthenticated(DomainError):
    """No valid credentials were presented."""

    status_code = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """The actor's role, organisation or region does not allow this."""

    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    """The record does not exist (or is not visible to the actor)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The change clashes with the current state (duplicate, stale, in use)."""

    status_code = 409
    code = "conflict"


class IllegalTransition(Conflict):
    """A lifecycle does not allow moving from the current state to the target."""

    code = "illegal_transition"

    def __init__(self, *, entity: str, current: str, target: str) -> None:
        super().__init__(
            f"{entity} cannot go from {current!r} to {target!r}",
            entity=entity,
            current=current,
            target=target,
        )


class TooManyRequests(DomainError):
    """The caller is locked out or rate-limited for now."""

    status_code = 429
    code = "too_many_requests"
