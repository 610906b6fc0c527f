"""The actor: who is doing something, in which role, organisation and region."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from yingji.core.auth.roles import GRANTS, Permission, Role, Scope
from yingji.core.errors import Forbidden

ROOT_PATH = "/"


def subtree_range(path: str) -> tuple[str, str]:
    """Return the [low, high) string range holding a region path and every path below it."""
    # '/' + 1 is '0': every descendant path starts with the prefix and sorts below prefix[:-1]+'0'.
    return path, path[:-1] + chr(ord(path[-1]) + 1)


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of a service, passed to every service that changes state."""

    role: Role
    user_id: uuid.UUID | None = None
    username: str = "anonymous"
    organisation_id: uuid.UUID | None = None
    region_code: str | None = None
    # Materialised path of the actor's region ("/420000/420500/"); ROOT_PATH reaches everything.
    region_path: str = ROOT_PATH
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source: str = "api"  # api, web, cli, worker: "from what" in the audit log

    @property
    def label(self) -> str:
        """Return a short description for logs and audit entries."""
        return f"{self.username} ({self.role})"

    def scope_for(self, permission: Permission) -> Scope | None:
        """Return the scope in which the actor holds a permission, or None."""
        return GRANTS[self.role].get(permission)

    def require(self, permission: Permission) -> Scope:
        """Return the scope of a permission or raise Forbidden."""
        scope = self.scope_for(permission)
        if scope is None:
            raise Forbidden(f"role {self.role} may not {permission}", permission=str(permission))
        return scope

    def covers_path(self, path: str) -> bool:
        """Return whether a region path lies inside the actor's region subtree."""
        return path.startswith(self.region_path)

    def require_region(self, path: str, *, what: str = "record") -> None:
        """Raise Forbidden unless a region path lies inside the actor's subtree."""
        if not self.covers_path(path):
            raise Forbidden(f"this {what} lies outside your region", region_path=path)

    def require_org(self, organisation_id: uuid.UUID | None, *, what: str = "record") -> None:
        """Raise Forbidden unless a record belongs to the actor's own organisation."""
        if organisation_id is None or organisation_id != self.organisation_id:
            raise Forbidden(f"this {what} belongs to another organisation")


def system_actor(*, source: str = "system", request_id: str | None = None) -> Actor:
    """Return the actor used by the CLI, the demo loader and background jobs."""
    return Actor(
        role=Role.ADMIN,
        username=source,
        region_path=ROOT_PATH,
        source=source,
        request_id=request_id or uuid.uuid4().hex,
    )


def anonymous(*, request_id: str | None = None, source: str = "web") -> Actor:
    """Return the actor of an unauthenticated member of the public (reaches no region)."""
    return Actor(
        role=Role.PUBLIC,
        username="anonymous",
        region_path="\x00",
        source=source,
        request_id=request_id or uuid.uuid4().hex,
    )
