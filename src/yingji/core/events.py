"""Typed domain events, staged in the outbox in the same transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from yingji.core.auth.actor import Actor
from yingji.core.db import Base, JSONType, new_id, utcnow


class DomainEvent(BaseModel):
    """Base of every event; subclasses set ``event_type`` as ``<context>.<past_tense>``."""

    model_config = ConfigDict(frozen=True)
    event_type: ClassVar[str]
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)


class OutboxEvent(Base):
    """An event waiting to be (or already) fanned out to subscribers."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "fanned_out", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    event_type: Mapped[str] = mapped_column(String(120), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    actor_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(200))
    correlation_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)


_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
E = TypeVar("E", bound=type[DomainEvent])


def register_event(cls: E) -> E:
    """Class decorator: make an event type known so stored payloads load back typed."""
    existing = _EVENT_TYPES.get(cls.event_type)
    if existing is not None and existing is not cls:
        raise ValueError(f"event type {cls.event_type} is registered twice")
    _EVENT_TYPES[cls.event_type] = cls
    return cls


def load_event(event_type: str, payload: dict[str, Any]) -> DomainEvent:
    """Rebuild a typed event from its stored payload."""
    cls = _EVENT_TYPES.get(event_type)
    if cls is None:
        raise LookupError(f"unknown event type {event_type!r}")
    return cls.model_validate(payload)


def record_event(session: Session, event: DomainEvent, *, actor: Actor) -> OutboxEvent:
    """Stage an event; it is delivered only if the surrounding transaction commits."""
    if event.event_type not in _EVENT_TYPES:
        raise LookupError(f"event type {event.event_type!r} is not registered")
    row = OutboxEvent(
        id=event.event_id,
        event_type=event.event_type,
        payload=event.model_dump(mode="json"),
        actor_id=actor.user_id,
        actor=actor.label,
        correlation_id=actor.request_id,
        created_at=utcnow(),
        fanned_out=False,
    )
    session.add(row)
    return row


Handler = Callable[[Session, DomainEvent], None]


@dataclass(frozen=True)
class Subscriber:
    """A named in-process handler of one event type."""

    name: str
    event_type: str
    handler: Handler


_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(event_type: str, *, name: str) -> Callable[[Handler], Handler]:
    """Register a handler; ``name`` must be stable, deliveries are tracked by it."""

    def decorate(handler: Handler) -> Handler:
        _SUBSCRIBERS[name] = Subscriber(name=name, event_type=event_type, handler=handler)
        return handler

    return decorate


def subscribers_for(event_type: str) -> list[Subscriber]:
    """Return the subscribers of an event type, in a stable order."""
    return sorted(
        (s for s in _SUBSCRIBERS.values() if s.event_type in (event_type, "*")),
        key=lambda s: s.name,
    )


def get_subscriber(name: str) -> Subscriber | None:
    """Return a subscriber by name, if it is registered in this process."""
    return _SUBSCRIBERS.get(name)


def unsubscribe(name: str) -> None:
    """Remove a subscriber (tests use this to clean up)."""
    _SUBSCRIBERS.pop(name, None)
