"""Events of public reports; payloads carry ids and statuses, never the reporter's identity."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar

from yingji.core.events import DomainEvent, register_event


@register_event
class ReportReceived(DomainEvent):
    """The public filed a report."""

    event_type: ClassVar[str] = "reports.received"
    report_id: uuid.UUID
    category: str
    region_code: str | None
    due_on: date


@register_event
class ReportStatusChanged(DomainEvent):
    """The bureau accepted, rejected, extended or concluded a report."""

    event_type: ClassVar[str] = "reports.status_changed"
    report_id: uuid.UUID
    region_code: str | None
    action: str
    status: str
    hazard_id: uuid.UUID | None = None
    due_on: date


@register_event
class ReportOverdue(DomainEvent):
    """A report is still open after its handling due date."""

    event_type: ClassVar[str] = "reports.overdue"
    report_id: uuid.UUID
    region_code: str | None
    due_on: date


@register_event
class RewardChanged(DomainEvent):
    """A step of the reward workflow happened."""

    event_type: ClassVar[str] = "reports.reward_changed"
    report_id: uuid.UUID
    region_code: str | None
    action: str
    reward_status: str
    amount: Decimal | None = None


@register_event
class RewardRulesChanged(DomainEvent):
    """A region's reward rules were set."""

    event_type: ClassVar[str] = "reports.reward_rules_changed"
    region_code: str
