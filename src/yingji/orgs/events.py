"""Events of the orgs context; payloads carry ids and field names, never contact details."""

from __future__ import annotations

import uuid
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class OrganisationCreated(DomainEvent):
    """An organisation was registered."""

    event_type: ClassVar[str] = "orgs.organisation_created"
    organisation_id: uuid.UUID
    kind: str
    region_code: str


@register_event
class OrganisationChanged(DomainEvent):
    """Fields of an organisation changed."""

    event_type: ClassVar[str] = "orgs.organisation_changed"
    organisation_id: uuid.UUID
    region_code: str
    changed: list[str]


@register_event
class OrganisationDeactivated(DomainEvent):
    """An organisation was deactivated (records are kept)."""

    event_type: ClassVar[str] = "orgs.organisation_deactivated"
    organisation_id: uuid.UUID
    region_code: str


@register_event
class PersonCreated(DomainEvent):
    """A person was registered."""

    event_type: ClassVar[str] = "orgs.person_created"
    person_id: uuid.UUID
    organisation_id: uuid.UUID | None
    region_code: str


@register_event
class PersonChanged(DomainEvent):
    """Fields of a person changed."""

    event_type: ClassVar[str] = "orgs.person_changed"
    person_id: uuid.UUID
    region_code: str
    changed: list[str]


@register_event
class PersonDeactivated(DomainEvent):
    """A person was deactivated; they are no longer targeted as a responsible person."""

    event_type: ClassVar[str] = "orgs.person_deactivated"
    person_id: uuid.UUID
    region_code: str


@register_event
class ResponsibilityAssigned(DomainEvent):
    """A person became responsible for a region and duty."""

    event_type: ClassVar[str] = "orgs.responsibility_assigned"
    responsibility_id: uuid.UUID
    person_id: uuid.UUID
    region_code: str
    duty_type: str


@register_event
class ResponsibilityUnassigned(DomainEvent):
    """A responsibility assignment was removed."""

    event_type: ClassVar[str] = "orgs.responsibility_unassigned"
    responsibility_id: uuid.UUID
    person_id: uuid.UUID
    region_code: str
    duty_type: str
