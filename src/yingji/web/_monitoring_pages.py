"""Pages of the 监测预警 module: the live board, a sensor's page with its history, the gateways.

The board and the chart are drawn by small scripts from the same JSON the API serves
(``/api/monitoring/board``, ``/api/monitoring/sensors/{id}/history``); the page embeds the first
board so it shows at once, and the script keeps it current without a reload.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yingji.core.auth.roles import Permission, Scope
from yingji.core.config import Settings
from yingji.core.errors import DomainError, NotFound
from yingji.core.http import UoW
from yingji.monitoring import service
from yingji.monitoring.schemas import ObjectKind
from yingji.web import _monitoring_views as views
from yingji.web._nav import N_
from yingji.web._org_views import organisation_names
from yingji.web._page_kit import (
    CHINA_TZ,
    PER_PAGE,
    chrome,
    clean_region_code,
    local_time,
    page_number,
    pager,
    refuse,
    region_names,
    region_options,
)
from yingji.web._render import page_locale, render
from yingji.web._session import PageUser, WebUser

router = APIRouter(include_in_schema=False)

# key, path, label of the module's tabs (every tab needs MONITOR_READ; alarms come next).
TABS: Final = (
    ("board", "/monitoring", N_("Live board")),
    ("gateways", "/monitoring/gateways", N_("Gateways")),
)
_NO_SENSOR = NotFound("no such sensor", field="sensor_id")
_MAX_SENSOR_ID: Final = 2**31 - 1
RangeParam = Annotated[str, Query(alias="range")]


def monitoring_context(session: Session, web_user: WebUser, tab: str) -> dict[str, Any]:
    """Return the layout of a page of the module with its tabs."""
    context = chrome(session, web_user, active="monitoring")
    context["tabs"] = [
        {"path": path, "label": label, "active": key == tab} for key, path, label in TABS
    ]
    return context


def _timezone(request: Request) -> str:
    """Return the deployment's time zone, which the scripts write times in."""
    settings: Settings = request.app.state.settings
    return settings.timezone


def _board_query(request: Request) -> dict[str, str]:
    """Return the board's filters from a query string (nonsense values are dropped)."""
    params = request.query_params
    query: dict[str, str] = {}
    region = clean_region_code(params.get("region"))
    if region:
        query["region"] = region
    if params.get("kind", "") in {k.value for k in ObjectKind}:
        query["kind"] = params["kind"]
    if params.get("abnormal") in ("1", "true", "on"):
        query["abnormal"] = "true"
    return query


@router.get("/monitoring")
def board_page(request: Request, uow: UoW, web_user: PageUser) -> Response:
    """Show the live board: the objects the user may see, their sensors' values by band."""
    actor = web_user.actor
    query = _board_query(request)
    try:
        first = service.board(
            uow.session, actor=actor, region_code=query.get("region"), kind=query.get("kind"),
            abnormal_only="abnormal" in query, page=page_number(request.query_params.get("page")),
        )  # fmt: skip
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    locale = page_locale(request)
    bureau = actor.scope_for(Permission.MONITOR_READ) is Scope.REGION
    context = monitoring_context(uow.session, web_user, "board")
    context.update(
        board_data=first.model_dump(mode="json"),
        board_config=views.board_config(locale, query=query, tz=_timezone(request)),
        filters=query,
        regions=region_options(uow.session, actor) if bureau else [],
        kinds=views.OBJECT_KIND_LABELS,
        bands=views.BAND_LABELS,
    )
    return render(request, "monitoring/board.html", context)


def _sensor_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= _MAX_SENSOR_ID:
        raise _NO_SENSOR
    return int(raw)


@router.get("/monitoring/sensors/{sensor_id}")
def sensor_page(
    request: Request, uow: UoW, web_user: PageUser, sensor_id: str, period: RangeParam = "24h"
) -> Response:
    """Show a sensor's registration, its latest value and its history chart."""
    actor = web_user.actor
    try:
        number = _sensor_id(sensor_id)
        rows, _total = service.list_sensors(uow.session, actor=actor, sensor_id=number, limit=1)
        if not rows:
            service.get_sensor(uow.session, actor=actor, sensor_id=number)  # 404 or 403
            raise _NO_SENSOR
        sensor, ts, value = rows[0]
        obj = service.get_object(uow.session, actor=actor, object_id=sensor.object_id)
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    try:
        gateway = service.get_gateway(uow.session, actor=actor, gateway_id=sensor.gateway_id)
        gateway_label = f"{gateway.name}（{gateway.code}）"
    except DomainError:
        gateway_label = ""  # a gateway the user may not read (e.g. the bureau's own)
    locale = page_locale(request)
    rule = service.rule_of(sensor)
    range_key = period if period in {key for key, _m, _l in views.RANGES} else "24h"
    state = service.sensor_state(
        sensor, ts, value, now_ms=int(datetime.now(UTC).timestamp() * 1000)
    )
    enterprise = ""
    if obj.enterprise_id is not None:
        enterprise = organisation_names(uow.session, actor, [obj.enterprise_id])[obj.enterprise_id]
    context = monitoring_context(uow.session, web_user, "board")
    context.update(
        sensor=sensor,
        obj=obj,
        object_kind=views.OBJECT_KIND_LABELS.get(obj.kind, obj.kind),
        enterprise=enterprise,
        region=region_names(uow.session, actor, [obj.region_code])[obj.region_code],
        gateway=gateway_label,
        kind_label=views.sensor_kind_labels(locale).get(sensor.kind, sensor.kind),
        status=views.STATUS_LABELS.get(sensor.status, sensor.status),
        latest=state,
        latest_at=reading_time(ts),
        latest_value=shown_value(value),
        bands=views.BAND_LABELS,
        thresholds=views.thresholds(rule, locale),
        own_thresholds=bool(set(sensor.rule_override or {}) & views.THRESHOLD_FIELDS),
        direction=rule.direction.value if rule else "above",
        ranges=[(key, label) for key, _minutes, label in views.RANGES],
        range_key=range_key,
        chart_config=views.chart_config(
            locale,
            sensor_id=sensor.id,
            unit=sensor.unit,
            interval=sensor.interval_seconds,
            rule=rule,
            range_key=range_key,
            tz=_timezone(request),
        ),
    )
    return render(request, "monitoring/sensor.html", context)


def shown_value(value: float | None) -> str:
    """Return a reading as the board shows it: fewer decimals the larger it is."""
    if value is None:
        return ""
    size = abs(value)
    digits = 0 if size >= 1000 else 1 if size >= 100 else 2 if size >= 10 else 3
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def reading_time(ts: int | None) -> str:
    """Return an epoch-millisecond reading time in China time to the second ("" for none)."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts / 1000, UTC).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


@router.get("/monitoring/gateways")
def gateways_page(request: Request, uow: UoW, web_user: PageUser, page: str = "1") -> Response:
    """List the gateways with their counters and rejections per reason."""
    actor = web_user.actor
    number = page_number(page)
    try:
        rows, total = service.gateway_health(
            uow.session, actor=actor, now=datetime.now(UTC), limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )  # fmt: skip
    except DomainError as exc:
        return refuse(request, uow.session, web_user, exc)
    names = region_names(uow.session, actor, [g.region_code for g in rows])
    context = monitoring_context(uow.session, web_user, "gateways")
    context.update(
        rows=[
            {
                "gateway": g,
                "region": names[g.region_code],
                "last_seen": local_time(g.last_seen_at),
                "share": _share(g.rejected, g.accepted + g.duplicates + g.rejected),
                "rejections": [
                    {
                        "label": views.REJECT_LABELS.get(r.reason, r.reason),
                        "count": r.count,
                        "at": local_time(r.last_at),
                        "detail": r.detail,
                    }
                    for r in g.rejections
                ],
            }
            for g in rows
        ],
        pager=pager("/monitoring/gateways", {}, number, total),
    )
    return render(request, "monitoring/gateways.html", context)


def _share(part: int, whole: int) -> str:
    """Return a share as a percentage with one decimal ("" when there is nothing)."""
    return f"{100 * part / whole:.1f}%" if whole and part else ""
