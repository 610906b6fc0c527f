"""Monitoring services: the registry, reading ingestion, rules and alarms."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.errors import NotFound
from yingji.monitoring._alarm_views import (
    AlarmCounts,
    AlarmRow,
    Assignee,
    alarm_actions,
    alarm_rows,
    eligible_assignees,
    open_alarm_counts,
)
from yingji.monitoring._alarms import (
    LevelChange,
    acknowledge,
    apply_changes,
    assign,
    dispose,
    get_alarm,
    list_alarms,
)
from yingji.monitoring._board import Board, board, rule_of, sensor_features, sensor_state
from yingji.monitoring._evaluator import RuleRuntime
from yingji.monitoring._gateway_health import gateway_health
from yingji.monitoring._ingest import (
    Checked,
    RejectReason,
    Stored,
    check_payload,
    record_outcome,
    sensor_specs,
    store,
)
from yingji.monitoring._registry import (
    add_maintenance_window,
    create_alarm_group,
    create_gateway,
    create_object,
    create_sensor,
    gateway_by_token,
    get_gateway,
    get_object,
    get_sensor,
    hash_token,
    list_gateways,
    list_objects,
    list_sensors,
    rejections,
    rotate_gateway_token,
    sensor_history,
    set_rule_override,
    set_sensor_status,
)
from yingji.monitoring._rule_progress import RulesEngineStatus, record_progress, rules_engine_status
from yingji.monitoring.models import Gateway

__all__ = [
    "AlarmCounts",
    "AlarmRow",
    "Assignee",
    "Board",
    "IngestResult",
    "LevelChange",
    "RejectReason",
    "RuleRuntime",
    "RulesEngineStatus",
    "acknowledge",
    "add_maintenance_window",
    "alarm_actions",
    "alarm_rows",
    "apply_changes",
    "assign",
    "board",
    "create_alarm_group",
    "create_gateway",
    "create_object",
    "create_sensor",
    "dispose",
    "eligible_assignees",
    "gateway_by_token",
    "gateway_health",
    "get_alarm",
    "get_gateway",
    "get_object",
    "get_sensor",
    "hash_token",
    "ingest",
    "list_alarms",
    "list_gateways",
    "list_objects",
    "list_sensors",
    "open_alarm_counts",
    "record_progress",
    "rejections",
    "rotate_gateway_token",
    "rule_of",
    "rules_engine_status",
    "sensor_features",
    "sensor_history",
    "sensor_state",
    "set_rule_override",
    "set_sensor_status",
]


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What became of one gateway's payloads: stored, duplicates, rejected per reason."""

    gateway_code: str
    stored: int
    duplicates: int
    rejected: dict[str, int]


def ingest(
    session: Session,
    *,
    gateway_code: str,
    payloads: Sequence[bytes],
    now_ms: int | None = None,
) -> IngestResult:
    """Check and store the payloads one gateway published, and count the outcome on it.

    An unknown or inactive gateway is refused (NotFound naming ``gateway``): nothing it sends
    is stored. Never commits: the caller acknowledges the payloads after its commit, so a crash
    in between redelivers them, and storage keeps each reading once.
    """
    gateway = session.scalar(select(Gateway).where(Gateway.code == gateway_code))
    if gateway is None or not gateway.active:
        raise NotFound(f"no active gateway {gateway_code!r}", field="gateway")
    specs = sensor_specs(session, gateway.id)
    moment = now_ms if now_ms is not None else int(time.time() * 1000)
    checked = Checked()
    for payload in payloads:
        check_payload(payload, specs, now_ms=moment, into=checked)
    stored = store(session, checked) if checked.accepted else Stored(0, 0)
    record_outcome(session, gateway.id, checked, stored)
    return IngestResult(
        gateway_code=gateway_code,
        stored=stored.inserted,
        duplicates=stored.duplicates,
        rejected={reason.value: count for reason, count in checked.rejected.items()},
    )
