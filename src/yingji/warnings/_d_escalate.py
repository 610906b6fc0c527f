"""未叫应: a person silent past the deadline, and the superior called in their place.

The superior is the set of responsible persons, for the warning's duty or the general duty, of
the nearest region above the silent person's that has any (the parent, else its parent, at most
``max_escalations`` levels up). They become targets of kind ``superior`` with
``escalated_from_id`` naming the silent target, with a ladder and deadline of their own; their
silence escalates again, until the chain of superiors is ``max_escalations`` long. A person who
is already a target of the warning is not added twice: the event names their existing target.
The silent person stays on their ladder: they are still asked.

One audit entry per warning and batch lists who escalated to whom (the audit chain appends
entries one by one: a hundred thousand entries would take minutes); one ``TargetEscalated``
event per silent target.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.audit import record_change
from yingji.core.auth.actor import Actor
from yingji.orgs.schemas import DutyType
from yingji.warnings._d_bulk import record_events
from yingji.warnings._d_people import Candidate, chunks, person_candidates, responsible
from yingji.warnings._d_rows import insert_candidates
from yingji.warnings.events import TargetEscalated
from yingji.warnings.models import WarningTarget
from yingji.warnings.schemas import TargetKind
from yingji.warnings.states import ENTITY


@dataclass(frozen=True, slots=True)
class Silent:
    """A target whose deadline passed without an answer."""

    id: uuid.UUID
    warning_id: uuid.UUID
    kind: str
    name: str
    region_code: str
    region_path: str
    escalated_from_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class WarningScope:
    """What escalation needs of a warning."""

    id: uuid.UUID
    region_path: str
    duties: tuple[DutyType, ...]
    window: timedelta


class SuperiorCache:
    """The responsible persons of regions above silent targets, kept for a short while.

    (And the targets those persons already are, which never change.)

    A dispatcher escalating thousands of targets a minute asks again and again for the same
    villages' and towns' persons; each pass querying them (and their accounts) cost more than
    the escalations themselves. Entries live ``ttl`` seconds: a responsibility assigned or
    ended is seen by escalations within that time. One cache per dispatcher (and database).
    """

    def __init__(self, ttl: float = 60.0, max_regions: int = 50_000) -> None:
        self.ttl, self.max_regions = ttl, max_regions
        self._found: dict[tuple[str, tuple[DutyType, ...]], tuple[float, list[Candidate]]] = {}
        self._targets: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}

    def targets(
        self, session: Session, *, warning_id: uuid.UUID, person_keys: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, uuid.UUID]:
        """Return the targets these persons already are of a warning (by person key).

        Targets are never re-keyed, so a target once found is remembered for good.
        """
        found = {k: t for k in person_keys if (t := self._targets.get((warning_id, k)))}
        missing = [k for k in person_keys if k not in found]
        for part in chunks(missing):
            rows = session.execute(
                select(WarningTarget.person_key, WarningTarget.id).where(
                    WarningTarget.warning_id == warning_id, WarningTarget.person_key.in_(part)
                )
            )
            found.update((key, target_id) for key, target_id in rows)
        self.remember(warning_id, found)
        return found

    def remember(self, warning_id: uuid.UUID, targets: dict[uuid.UUID, uuid.UUID]) -> None:
        """Remember persons' targets of a warning."""
        if len(self._targets) > self.max_regions * 4:
            self._targets.clear()
        self._targets.update(((warning_id, k), t) for k, t in targets.items())

    def get(
        self, session: Session, *, paths: dict[str, str], duties: tuple[DutyType, ...]
    ) -> dict[str, list[Candidate]]:
        """Return the candidates of each region (code → path) that has responsible persons."""
        now = time.monotonic()
        out: dict[str, list[Candidate]] = {}
        missing: dict[str, str] = {}
        for code, path in paths.items():
            hit = self._found.get((code, duties))
            if hit is not None and hit[0] > now:
                if hit[1]:
                    out[code] = hit[1]
            else:
                missing[code] = path
        if not missing:
            return out
        if len(self._found) > self.max_regions:
            self._found.clear()
        fresh: dict[str, list[Candidate]] = {code: [] for code in missing}
        persons = responsible(session, paths=missing, duties=duties)
        for c in person_candidates(session, persons, paths=missing, kind=TargetKind.SUPERIOR):
            fresh[c.region_code].append(c)
        for code, found in fresh.items():
            self._found[(code, duties)] = (now + self.ttl, found)
            if found:
                out[code] = found
        return out


def ancestors(path: str, levels: int) -> list[tuple[str, str]]:
    """Return (code, path) of the regions above a path, nearest first, at most ``levels``."""
    parts = path.strip("/").split("/")
    out: list[tuple[str, str]] = []
    for depth in range(len(parts) - 1, 0, -1):
        if len(out) == levels:
            break
        out.append((parts[depth - 1], "/" + "/".join(parts[:depth]) + "/"))
    return out


def chain_depths(session: Session, silent: Sequence[Silent]) -> dict[uuid.UUID, int]:
    """Return how many superiors stand between each silent target and the first one asked."""
    depth = {s.id: 0 for s in silent}
    pending = {s.id: s.escalated_from_id for s in silent if s.kind == TargetKind.SUPERIOR}
    while pending:
        for target_id in pending:
            depth[target_id] += 1
        found: dict[uuid.UUID, tuple[uuid.UUID | None, str]] = {}
        for part in chunks(sorted({f for f in pending.values() if f is not None})):
            rows = session.execute(
                select(WarningTarget.id, WarningTarget.escalated_from_id, WarningTarget.kind)
                .where(WarningTarget.id.in_(part))
            )  # fmt: skip
            found.update((r[0], (r[1], r[2])) for r in rows)
        following: dict[uuid.UUID, uuid.UUID | None] = {}
        for target_id, from_id in pending.items():
            origin = found.get(from_id) if from_id is not None else None
            if origin is not None and origin[1] == TargetKind.SUPERIOR:
                following[target_id] = origin[0]
        pending = following
    return depth


def escalate(
    session: Session,
    *,
    warning: WarningScope,
    silent: Sequence[Silent],
    now: datetime,
    max_escalations: int,
    actor: Actor,
    cache: SuperiorCache | None = None,
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Call the superiors of silent targets of one warning; return their target ids by target."""
    depths = chain_depths(session, silent)
    climbing = [s for s in silent if depths[s.id] < max_escalations]
    above = {s.id: ancestors(s.region_path, max_escalations) for s in climbing}
    paths = {code: path for pairs in above.values() for code, path in pairs}
    by_region = (cache or SuperiorCache()).get(session, paths=paths, duties=warning.duties)
    chosen: dict[uuid.UUID, list[Candidate]] = {}
    for s in climbing:
        for code, _ in above[s.id]:
            if by_region.get(code):
                chosen[s.id] = by_region[code]
                break
    keys = sorted({c.person_key for group in chosen.values() for c in group})
    known = cache or SuperiorCache()
    existing = known.targets(session, warning_id=warning.id, person_keys=keys)
    fresh: list[Candidate] = []
    origins: list[uuid.UUID | None] = []
    added: set[uuid.UUID] = set()
    for s in climbing:
        for c in chosen.get(s.id, []):
            if c.person_key not in existing and c.person_key not in added:
                added.add(c.person_key)
                fresh.append(c)
                origins.append(s.id)
    ids = insert_candidates(
        session, fresh, warning_id=warning.id, now=now, window=warning.window,
        escalated_from=origins,
    )  # fmt: skip
    existing.update((c.person_key, i) for c, i in zip(fresh, ids, strict=True))
    known.remember(warning.id, existing)
    result = {s.id: [existing[c.person_key] for c in chosen.get(s.id, [])] for s in silent}
    _record(session, warning=warning, silent=silent, result=result, now=now, actor=actor)
    return result


def _record(
    session: Session,
    *,
    warning: WarningScope,
    silent: Sequence[Silent],
    result: dict[uuid.UUID, list[uuid.UUID]],
    now: datetime,
    actor: Actor,
) -> None:
    entries = [
        {"target": str(s.id), "name": s.name, "region": s.region_code,
         "superiors": [str(i) for i in result[s.id]]}
        for s in silent
    ]  # fmt: skip
    record_change(
        session, actor=actor, action="warning_targets.escalated", entity_type=ENTITY,
        entity_id=warning.id, region_path=warning.region_path,
        after={"at": now.isoformat(), "escalated": entries},
    )  # fmt: skip
    record_events(
        session,
        [
            TargetEscalated(warning_id=warning.id, target_id=s.id, region_code=s.region_code,
                            superior_target_ids=result[s.id])
            for s in silent
        ],
        actor=actor,
    )  # fmt: skip
