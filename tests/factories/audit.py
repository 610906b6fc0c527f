"""Audit factories: runs of recorded changes, placed in a region of the small tree."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import system_actor

XILING = "/420000/420500/420502/"  # 西陵区
WUJIAGANG = "/420000/420500/420503/"  # 伍家岗区


def record(
    session: Session, n: int, *, entity_type: str = "gauge", region_path: str | None = XILING
) -> None:
    """Record and commit ``n`` changes of one kind of record, made by "gauge-feed"."""
    actor = system_actor(source="gauge-feed")
    for i in range(n):
        record_change(
            session,
            actor=actor,
            action=f"{entity_type}.updated",
            entity_type=entity_type,
            entity_id=f"G{i}",
            region_path=region_path,
            before={"level_cm": i},
            after={"level_cm": i + 1, "note": "水位"},
        )
    session.commit()
