"""Public services of the warnings context (预警 and 叫应); they flush but never commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yingji.warnings._authoring import (
    approve,
    cancel,
    create_draft,
    edit_draft,
    get_warning,
    lift,
    list_warnings,
    mark_response_started,
    messages,
    public_message,
    public_warnings,
    reject,
    submit,
    update_issued,
)
from yingji.warnings._cap_export import feed_xml
from yingji.warnings._cap_import import CapRejected, ImportResult, import_cap
from yingji.warnings.models import EarlyWarning, WarningMessage

__all__ = [
    "CapRejected",
    "ImportResult",
    "approve",
    "cancel",
    "create_draft",
    "edit_draft",
    "feed_xml",
    "get_warning",
    "import_cap",
    "lift",
    "list_warnings",
    "mark_response_started",
    "messages",
    "public_message",
    "public_warnings",
    "reject",
    "submit",
    "update_issued",
    "warning_of_message",
]


def warning_of_message(session: Session, *, message: WarningMessage) -> EarlyWarning:
    """Return the warning a CAP message belongs to."""
    warning = session.get(EarlyWarning, message.warning_id)
    assert warning is not None  # a foreign key with ON DELETE CASCADE
    return warning
