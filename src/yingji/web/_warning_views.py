"""What the warning pages show: labels, the level colours, the form's fields and script settings.

The warnings context keeps levels, statuses and hazard types as keys; the English message ids
here name them on the pages (translated where they are shown), and the scripts get their texts
already translated in their configuration.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final, Protocol

from pydantic import ValidationError

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.config import Settings
from yingji.core.errors import DomainError, InvalidInput
from yingji.core.i18n import get_translations
from yingji.warnings.config import rules
from yingji.warnings.states import WarningStatus, allowed_actions
from yingji.web._nav import N_
from yingji.web._page_kit import CHINA_TZ, FormProblem, local_time, problem_of

LIST_PAGE: Final = "/warnings"
PUBLIC_PAGE: Final = "/public/warnings"
FEED_URL: Final = "/api/public/warnings/feed"
CAP_URL: Final = "/api/public/warnings/cap/"
GEOJSON_URL: Final = "/api/regions/geojson"
POLL_MS: Final = 5_000
# 突发事件应对法 第63条: 一级 (red, the highest) … 四级 (blue).
LEVEL_KEYS: Final[dict[int, str]] = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
LEVEL_SHORT: Final[dict[int, str]] = {1: N_("Red"), 2: N_("Orange"), 3: N_("Yellow"), 4: N_("Blue")}
LEVEL_LABELS: Final[dict[int, str]] = {
    1: N_("Red warning (level I)"),
    2: N_("Orange warning (level II)"),
    3: N_("Yellow warning (level III)"),
    4: N_("Blue warning (level IV)"),
}
STATUS_LABELS: Final[dict[str, str]] = {
    WarningStatus.DRAFT: N_("Draft warning"),
    WarningStatus.PENDING_APPROVAL: N_("Awaiting approval"),
    WarningStatus.ISSUED: N_("In force"),
    WarningStatus.LIFTED: N_("Lifted (all clear)"),
    WarningStatus.CANCELLED: N_("Withdrawn"),
}
# The buttons of the detail page, in the order they are shown: key, label, who may press it.
ACTIONS: Final[tuple[tuple[str, str, Permission], ...]] = (
    ("edit", N_("Edit the draft"), Permission.WARNING_DRAFT),
    ("submit", N_("Submit for approval"), Permission.WARNING_DRAFT),
    ("approve", N_("Approve and issue"), Permission.WARNING_ISSUE),
    ("reject", N_("Send back to the author"), Permission.WARNING_ISSUE),
    ("update", N_("Change the level or area"), Permission.WARNING_ISSUE),
    ("response", N_("Record that the response has started"), Permission.WARNING_ISSUE),
    ("lift", N_("Lift the warning"), Permission.WARNING_ISSUE),
    ("cancel", N_("Withdraw the warning"), Permission.WARNING_DRAFT),
)
# Actions that take a note (the reason is kept in the audit log and in the CAP note).
WITH_NOTE: Final = frozenset({"reject", "lift", "cancel"})
DONE: Final[dict[str, str]] = {
    "created": N_("The draft is saved."),
    "edited": N_("The draft is saved."),
    "submit": N_("The warning is sent for approval."),
    "approve": N_("The warning is issued; the people responsible are being called."),
    "reject": N_("The warning is sent back to its author as a draft."),
    "update": N_("The change is issued; everyone concerned is told again."),
    "response": N_("The start of the emergency response is recorded."),
    "lift": N_("The warning is lifted."),
    "cancel": N_("The warning is withdrawn."),
}
FORM_HEADINGS: Final[dict[str, str]] = {
    "new": N_("New warning"),
    "edit": N_("Edit the draft"),
    "update": N_("Change the level or area"),
}
MSG_TYPE_LABELS: Final[dict[str, str]] = {
    "Alert": N_("First issue"),
    "Update": N_("Change"),
    "Cancel": N_("End"),
}
# What the form says next to a field the service refused; the service's own words follow.
FIELD_ERRORS: Final[dict[str, str]] = {
    "hazard_type": N_("Choose a hazard type."),
    "level": N_("Choose the warning level."),
    "onset": N_("Give the start time."),
    "expires": N_("The end time must come after the start time (and not be past)."),
    "area_desc": N_("Describe the area in words (up to 200 characters)."),
    "region_codes": N_("Choose regions of your area, or draw the area on the map."),
    "shapes": N_("The drawn area is not valid or lies outside your region."),
    "description": N_("Write the warning notes (up to 4,000 characters)."),
    "instruction": N_("Write the measures to take (up to 4,000 characters)."),
    "event_en": N_("Up to 100 characters."),
    "description_en": N_("Up to 4,000 characters."),
    "instruction_en": N_("Up to 4,000 characters."),
    "sender_name": N_("Up to 200 characters."),
    "sender_name_en": N_("Up to 200 characters."),
    "note": N_("Up to 1,000 characters."),
    "evacuated": N_("Give the number of people evacuated (0 or more)."),
    "shelter": N_("Up to 200 characters."),
    "region_code": N_("Report for your own region or one below it."),
}
DRAFT_FIELDS: Final = (
    "hazard_type", "level", "onset", "expires", "area_desc", "region_codes", "shapes",
    "description", "instruction", "event_en", "description_en", "instruction_en", "sender_name",
    "sender_name_en",
)  # fmt: skip
UPDATE_FIELDS: Final = (
    "level", "expires", "area_desc", "region_codes", "shapes", "description", "instruction",
    "description_en", "instruction_en", "note",
)  # fmt: skip
TEXT_LIMITS: Final[dict[str, int]] = {
    "area_desc": 200, "description": 4000, "instruction": 4000, "event_en": 100,
    "description_en": 4000, "instruction_en": 4000, "sender_name": 200, "sender_name_en": 200,
    "note": 1000,
}  # fmt: skip
MAX_SHAPES_JSON: Final = 200_000


class WarningRow(Protocol):
    """What the pages read of a warning the service returns (its ORM row, kept opaque here)."""

    @property
    def hazard_type(self) -> str: ...
    @property
    def event(self) -> str: ...
    @property
    def event_en(self) -> str | None: ...
    @property
    def level(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def onset(self) -> datetime: ...
    @property
    def expires(self) -> datetime | None: ...
    @property
    def area_desc(self) -> str: ...
    @property
    def area_region_codes(self) -> list[str]: ...
    @property
    def area_shapes(self) -> list[dict[str, Any]]: ...
    @property
    def description(self) -> str: ...
    @property
    def instruction(self) -> str: ...
    @property
    def description_en(self) -> str | None: ...
    @property
    def instruction_en(self) -> str | None: ...
    @property
    def sender_name(self) -> str: ...
    @property
    def sender_name_en(self) -> str | None: ...
    @property
    def region_path(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def issued_at(self) -> datetime | None: ...
    @property
    def updated_issue_at(self) -> datetime | None: ...
    @property
    def response_started_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...


def level_key(level: int) -> str:
    """Return the colour key of a level ("red" … "blue")."""
    return LEVEL_KEYS.get(level, "blue")


def hazard_choices(locale: str) -> list[tuple[str, str]]:
    """Return the hazard types an author may choose, named in the page's language."""
    return [
        (key, t.event_en if locale == "en" else t.event) for key, t in rules().templates.items()
    ]


def template_texts() -> dict[str, dict[str, str]]:
    """Return each hazard type's default texts, for warning_form.js to fill the form with."""
    return {
        key: {
            "description": t.description, "instruction": t.instruction,
            "description_en": t.description_en, "instruction_en": t.instruction_en,
            "event_en": t.event_en,
        }
        for key, t in rules().templates.items()
    }  # fmt: skip


def can(actor: Actor, permission: Permission) -> bool:
    """Return whether the actor's role holds a permission at all."""
    return actor.scope_for(permission) is not None


def actions_for(actor: Actor, warning: WarningRow) -> list[tuple[str, str]]:
    """Return the buttons a warning's status and the user's permissions allow, in order."""
    status = WarningStatus(warning.status)
    if warning.source != "local" or not actor.covers_path(warning.region_path):
        return []  # imported warnings, and those of a bureau above, are not ours to change
    allowed = {a.value for a in allowed_actions(status)}
    if status is WarningStatus.DRAFT:
        allowed.add("edit")
    if status.active and warning.response_started_at is None:
        allowed.add("response")
    shown = []
    for key, label, permission in ACTIONS:
        needed = permission
        if key == "cancel" and status.active:
            needed = Permission.WARNING_ISSUE  # cancelling an issued warning publishes a Cancel
        if key in allowed and can(actor, needed):
            shown.append((key, label))
    return shown


def parse_local_time(raw: str | None, field: str) -> datetime | None:
    """Return a form's date and time (China time unless it names a zone); None when empty."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a date and time", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def input_time(value: datetime | None) -> str:
    """Return a timestamp as a datetime-local input holds it, in China time."""
    if value is None:
        return ""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M")


def parse_shapes(raw: str | None) -> list[Any]:
    """Return the shapes the map tool put in the form (a JSON list); refuse anything else."""
    text = (raw or "").strip()
    if not text:
        return []
    if len(text) > MAX_SHAPES_JSON:
        raise InvalidInput("the drawn area has too many points", field="shapes")
    try:
        shapes = json.loads(text)
    except ValueError:
        raise InvalidInput("the drawn area could not be read", field="shapes") from None
    if not isinstance(shapes, list):
        raise InvalidInput("the drawn area could not be read", field="shapes")
    return shapes


def form_problem(exc: DomainError | ValidationError, shown: Iterable[str]) -> FormProblem:
    """Return what a form shows for an error, moving whole-form schema errors onto a field."""
    fields = tuple(shown)
    problem = problem_of(exc, fields)
    if not isinstance(exc, ValidationError):
        return problem
    marked = dict(problem.fields)
    for error in exc.errors():
        if error["loc"]:
            continue
        message = str(error["msg"])
        if "area" in message:
            marked.setdefault("region_codes", message)
        elif "time zone" in message or "expires" in message:
            marked.setdefault("expires", message)
    return FormProblem(problem.status, problem.summary, marked, problem.detail)


def draft_values(warning: WarningRow) -> dict[str, Any]:
    """Return a warning's fields as the author form shows them."""
    return {
        "hazard_type": warning.hazard_type, "level": str(warning.level),
        "onset": input_time(warning.onset), "expires": input_time(warning.expires),
        "area_desc": warning.area_desc, "region_codes": list(warning.area_region_codes),
        "shapes": json.dumps(warning.area_shapes, ensure_ascii=False),
        "description": warning.description, "instruction": warning.instruction,
        "event_en": warning.event_en or "", "description_en": warning.description_en or "",
        "instruction_en": warning.instruction_en or "", "sender_name": warning.sender_name,
        "sender_name_en": warning.sender_name_en or "",
    }  # fmt: skip


def area_config(
    locale: str, settings: Settings, actor: Actor, *, editable: bool = True
) -> dict[str, Any]:
    """Return what warning_area.js needs: the view, the boundaries to draw and its texts."""
    _ = get_translations(locale).gettext
    lat, lon = settings.map_center
    return {
        "editable": editable,
        "center": [lat, lon],
        "zoom": settings.map_zoom,
        "tileUrl": settings.map_tile_url or None,
        "tileAttribution": settings.map_tile_attribution,
        "geojsonUrl": GEOJSON_URL if can(actor, Permission.REGION_READ) else None,
        "root": actor.region_code or "",
        "strings": {
            "polygon": _("Polygon %(n)s, %(points)s corners"),
            "circle": _("Circle %(n)s, radius %(km)s km"),
            "remove": _("Remove"),
            "drawPolygon": _("Click the map to add corners; finish when there are at least three."),
            "drawCircle": _("Click the map where the circle's centre is; set the radius."),
            "noShapes": _("Nothing drawn yet."),
            "tooFew": _("A polygon needs at least three corners."),
            "loadFailed": _("The region boundaries could not be loaded; drawing still works."),
        },
    }


def tracking_config(locale: str, *, url: str) -> dict[str, Any]:
    """Return what warning_tracking.js needs to keep the 叫应 board current."""
    _ = get_translations(locale).gettext
    return {
        "url": url,
        "pollMs": POLL_MS,
        "strings": {
            "updated": _("Updated %(time)s"),
            "offline": _("The connection was lost; retrying. The figures shown may be old."),
            "session": _("Your session has ended. Reload the page to log in again."),
        },
    }


def summary(warning: WarningRow, locale: str) -> dict[str, Any]:
    """Return the facts a list row or a public card shows, in the page's language."""
    english = locale == "en"
    return {
        "w": warning,
        "level_key": level_key(warning.level),
        "event": (warning.event_en or warning.event) if english else warning.event,
        "description": (warning.description_en or warning.description)
        if english
        else warning.description,
        "instruction": (warning.instruction_en or warning.instruction)
        if english
        else warning.instruction,
        "sender": (warning.sender_name_en or warning.sender_name)
        if english
        else warning.sender_name,
        "issued_at": local_time(warning.issued_at),
        "updated_at": local_time(warning.updated_issue_at),
        "onset": local_time(warning.onset),
        "expires": local_time(warning.expires),
        "created_at": local_time(warning.created_at),
    }


def clip(values: Mapping[str, Any], name: str) -> str:
    """Return a posted text field as the form shows it again (cut to its limit)."""
    value = values.get(name, "")
    text = value if isinstance(value, str) else ""
    return text[: TEXT_LIMITS.get(name, 200) * 2]
