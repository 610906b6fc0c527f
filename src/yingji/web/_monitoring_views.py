"""What the monitoring pages show: translatable labels and the configuration of their scripts.

The board's and the map's scripts render JSON from the API, so every text they show travels in
the page's configuration, translated here; the data itself (kinds, statuses, bands, reasons)
stays in keys.
"""

from __future__ import annotations

from typing import Any, Final

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.i18n import get_translations
from yingji.monitoring.rules import RuleKind, SensorRule
from yingji.monitoring.schemas import ObjectKind, SensorStatus, sensor_kinds
from yingji.monitoring.service import RejectReason
from yingji.monitoring.states import AlarmStatus, Disposition
from yingji.web._nav import N_

OBJECT_KIND_LABELS: Final[dict[str, str]] = {
    ObjectKind.INSTALLATION: N_("Major hazard installation"),
    ObjectKind.CHEMICAL_PLANT: N_("Chemical plant"),
    ObjectKind.GAS_PIPELINE: N_("Gas pipeline"),
    ObjectKind.UNDERGROUND_PIPELINE: N_("Underground pipeline"),
    ObjectKind.BRIDGE: N_("Bridge"),
    ObjectKind.TUNNEL: N_("Tunnel"),
    ObjectKind.HIGH_RISE: N_("High-rise building"),
    ObjectKind.RESERVOIR_DAM: N_("Reservoir dam"),
    ObjectKind.TAILINGS_POND: N_("Tailings pond"),
    ObjectKind.SLOPE: N_("Slope or geological hazard site"),
    ObjectKind.FERRY: N_("Ferry"),
    ObjectKind.FOREST: N_("Forest"),
    ObjectKind.OTHER: N_("Other"),
}
STATUS_LABELS: Final[dict[str, str]] = {
    SensorStatus.ONLINE: N_("Online"),
    SensorStatus.OFFLINE: N_("Offline"),
    SensorStatus.FAULT: N_("Fault"),
    SensorStatus.MAINTENANCE: N_("Maintenance"),
}
# By level: 0 normal … 4 red (the national four-colour warning scale).
BAND_LABELS: Final[dict[str, str]] = {
    "normal": N_("Normal"),
    "blue": N_("Blue"),
    "yellow": N_("Yellow"),
    "orange": N_("Orange"),
    "red": N_("Red"),
}
REJECT_LABELS: Final[dict[str, str]] = {
    RejectReason.MALFORMED: N_("Malformed payload or reading"),
    RejectReason.UNKNOWN_SENSOR: N_("Unknown sensor code"),
    RejectReason.WRONG_UNIT: N_("Wrong unit"),
    RejectReason.OUT_OF_RANGE: N_("Outside the physical range"),
    RejectReason.FUTURE: N_("Time ahead of the server clock"),
    RejectReason.TOO_LARGE: N_("Too many readings in one payload"),
}
# Alarms (states.AlarmStatus, Disposition; rules.RuleKind). Severities use BAND_LABELS.
ALARM_STATUS_LABELS: Final[dict[str, str]] = {
    AlarmStatus.ACTIVE_UNACK: N_("Active, unacknowledged"),
    AlarmStatus.ACTIVE_ACK: N_("Active, acknowledged"),
    AlarmStatus.CLEARED_UNACK: N_("Cleared, unacknowledged"),
    AlarmStatus.CLEARED_ACK: N_("Cleared, acknowledged"),
}
DISPOSITION_LABELS: Final[dict[str, str]] = {
    Disposition.REAL: N_("Real alarm"),
    Disposition.FALSE_ALARM: N_("False alarm"),
    Disposition.TEST: N_("Test"),
    Disposition.MAINTENANCE: N_("Maintenance work"),
}
RULE_LABELS: Final[dict[str, str]] = {
    RuleKind.THRESHOLD: N_("Threshold exceeded"),
    RuleKind.RATE: N_("Rate of change"),
    RuleKind.STALE: N_("Data interrupted"),
    RuleKind.COMBINATION: N_("Combined alarm"),
}
# By escalation step (_alarms.ESCALATION_DEPTH): 1 the county supervisor, 2 the city.
ESCALATION_LABELS: Final[dict[int, str]] = {
    1: N_("Escalated to the county"),
    2: N_("Escalated to the city"),
}
ALARMS_PAGE: Final = "/monitoring/alarms"
# The history chart's periods: key, minutes, label.
RANGES: Final[tuple[tuple[str, int, str], ...]] = (
    ("1h", 60, N_("1 hour")),
    ("6h", 360, N_("6 hours")),
    ("24h", 1440, N_("24 hours")),
    ("7d", 10080, N_("7 days")),
)
# A sensor's rule override touching these makes its thresholds its own, not its kind's.
THRESHOLD_FIELDS: Final = frozenset({"direction", "blue", "yellow", "orange", "red"})
BOARD_URL: Final = "/api/monitoring/board"
GEOJSON_URL: Final = "/api/monitoring/sensors.geojson"
SENSOR_PAGE: Final = "/monitoring/sensors/"
POLL_MS: Final = 5_000
MAP_POLL_MS: Final = 15_000


def html_locale(locale: str) -> str:
    """Return the BCP 47 tag of a page locale ("zh_CN" -> "zh-CN") for Intl in the scripts."""
    return locale.replace("_", "-")


def sensor_kind_labels(locale: str) -> dict[str, str]:
    """Return the sensor kinds' names in a locale (the kinds' table holds both languages)."""
    return {k: v.en if locale == "en" else v.zh for k, v in sensor_kinds().items()}


def _labels(locale: str, labels: dict[str, str]) -> dict[str, str]:
    _ = get_translations(locale).gettext
    return {str(key): _(label) for key, label in labels.items()}


def _ages(locale: str) -> dict[str, str]:
    _ = get_translations(locale).gettext
    return {
        "now": _("just now"),
        "s": _("%(n)s s ago"),
        "min": _("%(n)s min ago"),
        "h": _("%(n)s h ago"),
        "d": _("%(n)s d ago"),
    }


def board_config(locale: str, *, query: dict[str, str], tz: str) -> dict[str, Any]:
    """Return what monitoring_board.js needs: the URLs, the period and the translated texts."""
    _ = get_translations(locale).gettext
    return {
        "url": BOARD_URL,
        "query": query,
        "sensorUrl": SENSOR_PAGE,
        "pollMs": POLL_MS,
        "locale": html_locale(locale),
        "timeZone": tz,
        "sensorKinds": sensor_kind_labels(locale),
        "objectKinds": _labels(locale, OBJECT_KIND_LABELS),
        "statuses": _labels(locale, STATUS_LABELS),
        "bands": _labels(locale, BAND_LABELS),
        "ages": _ages(locale),
        "alarmsUrl": ALARMS_PAGE,
        "strings": {
            "noData": _("No data"),
            "stale": _("Stale"),
            "alarms": _("%(count)s open alarms"),
            "unacknowledged": _("%(count)s alarms not acknowledged"),
            "noUnacknowledged": _("Every alarm is acknowledged"),
            "noSensors": _("No sensors registered on this object yet."),
            "empty": _("No monitored objects match."),
            "emptyAbnormal": _("Nothing abnormal: every value is normal and current."),
            "truncated": _("Only part of the board is shown: filter by region or kind."),
            "rulesSilent": _(
                "Alarms are not being evaluated: the rules worker has not reported since"
                " %(time)s. No new alarm is raised until it runs again."
            ),
            "rulesNever": _(
                "Alarms are not being evaluated: no rules worker has run on this database"
                " (start it with: yingji monitor rules)."
            ),
            "updated": _("Updated %(time)s"),
            "offline": _("The connection was lost; retrying. The values shown may be old."),
            "session": _("Your session has ended. Reload the page to log in again."),
            "demo": _("Demo"),
            "pages": _("Pages"),
            "page": _("Page %(page)s of %(pages)s"),
            "prev": _("Previous page"),
            "next": _("Next page"),
            "abnormal": _("%(count)s abnormal"),
            "total": _("%(sensors)s sensors, %(abnormal)s abnormal"),
        },
    }


def thresholds(rule: SensorRule | None, locale: str) -> list[dict[str, Any]]:
    """Return a rule's set thresholds, blue to red, with their band keys and labels."""
    if rule is None:
        return []
    _ = get_translations(locale).gettext
    bands = list(BAND_LABELS)[1:]
    return [
        {"level": index + 1, "band": band, "label": _(BAND_LABELS[band]), "value": value}
        for index, (band, value) in enumerate(zip(bands, rule.thresholds, strict=True))
        if value is not None
    ]


def chart_config(
    locale: str,
    *,
    sensor_id: int,
    unit: str,
    interval: int,
    rule: SensorRule | None,
    range_key: str,
    tz: str,
) -> dict[str, Any]:
    """Return what monitoring_chart.js needs to draw a sensor's history."""
    _ = get_translations(locale).gettext
    return {
        "historyUrl": f"/api/monitoring/sensors/{sensor_id}/history",
        "unit": unit,
        "interval": interval,
        "direction": rule.direction.value if rule else "above",
        "thresholds": thresholds(rule, locale),
        "ranges": {key: minutes for key, minutes, _label in RANGES},
        "range": range_key,
        "locale": html_locale(locale),
        "timeZone": tz,
        "strings": {
            "loading": _("Loading the history…"),
            "failed": _("The history could not be loaded. Reload the page to try again."),
            "empty": _("No readings in this period."),
            "summary": _("%(count)s minutes with readings, from %(min)s to %(max)s %(unit)s"),
        },
    }


def map_layer(actor: Actor, locale: str) -> dict[str, Any] | None:
    """Return what monitoring_map.js needs, or None for a role without monitoring access."""
    if actor.scope_for(Permission.MONITOR_READ) is None:
        return None
    _ = get_translations(locale).gettext
    return {
        "url": GEOJSON_URL,
        "sensorUrl": SENSOR_PAGE,
        "pollMs": MAP_POLL_MS,
        "locale": html_locale(locale),
        "sensorKinds": sensor_kind_labels(locale),
        "statuses": _labels(locale, STATUS_LABELS),
        "bands": _labels(locale, BAND_LABELS),
        "ages": _ages(locale),
        "strings": {
            "layer": _("Monitoring sensors"),
            "noData": _("No data"),
            "stale": _("Stale"),
            "kind": _("Sensor kind"),
            "time": _("Reading time"),
            "status": _("Status"),
            "object": _("Monitored object"),
            "open": _("Open the sensor page"),
            "truncated": _("Only the first points are drawn; zoom in or filter."),
        },
    }
