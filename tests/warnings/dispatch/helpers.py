"""A small region tree with responsible persons, issued warnings, and a recording channel.

Tree (below the factories' Hubei / 宜昌 / 西陵区, 伍家岗区):

    420502 西陵区 (square) ── 420502001 西陵街道 ── 420502001001 村A, 420502001002 村B
    420503 伍家岗区 (square) ── 420503001 大公桥街道 ── 420503001001 村C

Towns and villages have no boundary of their own (as is usual): a drawn shape covers them
when it meets their county.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from tests.factories.orgs import make_person, make_responsibility
from tests.factories.regions import make_tree, square
from yingji.core.auth.models import User
from yingji.core.auth.roles import Role
from yingji.orgs.schemas import DutyType
from yingji.regions.models import Region
from yingji.warnings.channels import ChannelName, Delivery, Receipt, ReceiptStatus
from yingji.warnings.models import EarlyWarning

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 7, 20, 8, 30, tzinfo=BEIJING)
SUBREGIONS = [
    ("420502001", "西陵街道", "town", "420502"),
    ("420502001001", "村A", "village", "420502001"),
    ("420502001002", "村B", "village", "420502001"),
    ("420503001", "大公桥街道", "town", "420503"),
    ("420503001001", "村C", "village", "420503001"),
]
_numbers = itertools.count(1)


def add_region(
    session: Session,
    code: str,
    name: str,
    level: str,
    parent: str,
    bbox: tuple[float, float, float, float] | None = None,
) -> Region:
    """Insert one region below a parent (with a square boundary if ``bbox``)."""
    parent_row = session.get(Region, parent)
    assert parent_row is not None
    path = f"{parent_row.path}{code}/"
    extra: dict[str, Any] = {}
    if bbox is not None:
        extra = {
            "geometry": json.dumps(square(bbox)), "min_lon": bbox[0],
            "min_lat": bbox[1], "max_lon": bbox[2], "max_lat": bbox[3],
            "centroid_lon": (bbox[0] + bbox[2]) / 2, "centroid_lat": (bbox[1] + bbox[3]) / 2,
        }  # fmt: skip
    region = Region(code=code, name=name, level=level, parent_code=parent, path=path,
                    depth=path.count("/") - 1, is_demo=True, source="tests", **extra)  # fmt: skip
    session.add(region)
    session.flush()
    return region


def make_regions(session: Session) -> None:
    """Insert the factories' tree and the towns and villages above."""
    make_tree(session)
    for code, name, level, parent in SUBREGIONS:
        add_region(session, code, name, level, parent)


def mobile() -> str:
    """Return a fresh valid mainland mobile number (E.164)."""
    return f"+86138{next(_numbers):08d}"


def responsible(
    session: Session,
    region_code: str,
    *,
    duty: DutyType = DutyType.FLOOD,
    name: str | None = None,
    phone: bool = True,
    user: bool = False,
    title: str | None = None,
    **assignment: Any,
) -> tuple[uuid.UUID, User | None]:
    """Create a person responsible for a region and duty; optionally with a user account."""
    person = make_person(session, region_code=region_code, name=name,
                         mobile=mobile() if phone else None)  # fmt: skip
    make_responsibility(session, person_id=person.id, region_code=region_code, duty_type=duty,
                        title=title, **assignment)  # fmt: skip
    account = None
    if user:
        account, _ = make_user(session, role=Role.GRASSROOTS, region_code=region_code)
        account.person_id = person.id
        session.flush()
    return person.id, account


def make_warning(
    session: Session,
    *,
    region_codes: Sequence[str] = ("420502",),
    shapes: Sequence[dict[str, Any]] = (),
    level: int = 2,
    hazard_type: str = "rainstorm",
    duty_type: str = "flood",
    region_code: str = "420500",
    issued_at: dt.datetime = NOW,
) -> EarlyWarning:
    """Insert an issued warning directly (authoring is tested elsewhere)."""
    warning_id = uuid.uuid4()
    region = session.get(Region, region_code)
    assert region is not None
    warning = EarlyWarning(
        id=warning_id, identifier=f"test:{warning_id}", hazard_type=hazard_type,
        duty_type=duty_type, event="暴雨", event_en="Rainstorm", level=level, status="issued",
        onset=issued_at, expires=None, area_desc="西陵区", area_region_codes=list(region_codes),
        area_shapes=list(shapes), description="预计强降雨。", instruction="危险区域人员立即转移。",
        description_en=None, instruction_en=None, sender_name="宜昌市应急管理局",
        sender_name_en="Yichang EMB", region_code=region_code, region_path=region.path,
        source="local", version=1, issued_at=issued_at,
    )  # fmt: skip
    session.add(warning)
    session.flush()
    return warning


@dataclass
class Recorder:
    """A provider stand-in at the channel boundary: records what it is asked to send.

    Answers "sent" with a provider id, or "failed" for recipients in ``failing``.
    """

    name: ChannelName
    configured: bool = True
    sent: list[Delivery] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: ClassVar[itertools.count[int]] = itertools.count(1)

    def send_many(self, deliveries: Sequence[Delivery]) -> list[Receipt]:
        """Record and answer each delivery."""
        with self.lock:
            self.sent.extend(deliveries)
        return [
            Receipt(
                delivery_id=d.delivery_id, channel=self.name,
                status=ReceiptStatus.FAILED if d.recipient in self.failing else ReceiptStatus.SENT,
                at=dt.datetime.now(dt.UTC), provider_message_id=f"p-{next(self._ids)}",
                reason="unreachable" if d.recipient in self.failing else None,
            )
            for d in deliveries
        ]  # fmt: skip

    def close(self) -> None:
        """Nothing to release."""

    def ids(self) -> list[str]:
        """Return the delivery ids recorded, in order."""
        return [d.delivery_id for d in self.sent]


def recorders() -> dict[ChannelName, Recorder]:
    """Return one recording channel per sending channel."""
    return {name: Recorder(name) for name in (ChannelName.SMS, ChannelName.VOICE,
                                               ChannelName.EMAIL)}  # fmt: skip
