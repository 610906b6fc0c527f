"""Demo risk points and major hazard installations for the demo enterprises (all is_demo).

Each demo enterprise gets 4–8 risk points covering the four colours, with control measures and
coordinates near the enterprise, and three GB 18218 units: one below the threshold and two major
hazards of different grades. Loading twice adds nothing: an enterprise that already has risk
points (or installations) is left alone.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor, system_actor
from yingji.core.errors import DomainError
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions
from yingji.risks import service as risks
from yingji.risks.schemas import InstallationCreate, RiskPointCreate

# (name, kind, hazard factors, accident types, method, factors): the first four give, under the
# shipped default bands, 重大 (LEC 2400), 较大 (LEC 270), 一般 (LS 3×2=6), 低 (LEC 18).
_POINTS: Final[tuple[tuple[str, str, list[str], list[str], str, dict[str, float]], ...]] = (
    (
        "氯化反应釜",
        "installation",
        ["氯气泄漏", "反应失控"],
        ["中毒和窒息", "火灾", "爆炸"],
        "lec",
        {"L": 10, "E": 6, "C": 40},
    ),
    (
        "液氨储罐区",
        "place",
        ["液氨泄漏"],
        ["中毒和窒息", "容器爆炸"],
        "lec",
        {"L": 3, "E": 6, "C": 15},
    ),
    ("动火作业", "activity", ["明火", "可燃气体"], ["火灾", "爆炸"], "ls", {"L": 3, "S": 2}),
    (
        "成品仓库",
        "place",
        ["叉车作业", "堆垛倒塌"],
        ["车辆伤害", "物体打击"],
        "lec",
        {"L": 1, "E": 6, "C": 3},
    ),
    (
        "有限空间作业",
        "activity",
        ["缺氧", "有毒气体"],
        ["中毒和窒息"],
        "lec",
        {"L": 3, "E": 3, "C": 40},
    ),
    ("空压机房", "device", ["高压气体", "噪声"], ["容器爆炸", "其他伤害"], "ls", {"L": 2, "S": 3}),
    ("配电室", "place", ["带电设备"], ["触电", "火灾"], "lec", {"L": 1, "E": 3, "C": 15}),
    ("行车吊装作业", "activity", ["吊物坠落"], ["起重伤害"], "ls", {"L": 4, "S": 4}),
)
_MEASURES: Final = (
    ("engineering", "设置可燃有毒气体检测报警和紧急切断装置", "enterprise"),
    ("management", "严格执行作业票证和交接班制度", "department"),
    ("training", "岗位人员每季度开展专项安全培训", "workshop"),
    ("ppe", "配备防毒面具、防护服等个体防护用品", "team"),
    ("emergency", "编制现场处置方案并每半年演练一次", "workshop"),
)
# GB 18218-2018 Table 1: 氨 (序号1) Q = 10 t, β = 2; 氯 (序号12) Q = 5 t, β = 4.
_UNITS: Final[tuple[tuple[str, str, int, list[dict[str, Any]]], ...]] = (
    ("液氨钢瓶间", "storage", 20, [{"label": "液氨钢瓶", "seq": 1, "quantity_t": "3"}]),
    ("液氯储罐区", "storage", 120, [{"label": "液氯储罐 V-101", "seq": 12, "quantity_t": "50"}]),
    ("合成氨装置", "production", 10, [{"label": "氨合成塔及分离器", "seq": 1, "quantity_t": "20"}]),
)  # R: none (S = 0.3), 2 × 4 × 10 = 80 二级, 1 × 2 × 2 = 4 四级
MAX_ENTERPRISES: Final = 500


def _near(rng: random.Random, lon: float, lat: float) -> tuple[float, float]:
    # Within a few hundred metres of the enterprise.
    return round(lon + rng.uniform(-0.004, 0.004), 6), round(lat + rng.uniform(-0.004, 0.004), 6)


def _position(session: Session, system: Actor, org: Any) -> tuple[float, float] | None:
    if org.lon is not None and org.lat is not None:
        return float(org.lon), float(org.lat)
    try:
        region = regions.get_region(session, actor=system, code=org.region_code)
    except DomainError:
        return None
    if region.centroid_lon is None or region.centroid_lat is None:
        return None
    return float(region.centroid_lon), float(region.centroid_lat)


def load_risks(session: Session, *, actor: Actor, rng: random.Random) -> int:
    """Give each demo enterprise risk points and installations; return how many were created."""
    system = system_actor(source=actor.source or "demo")
    enterprises, _total = orgs.list_organisations(
        session, actor=system, kind=OrgKind.ENTERPRISE, limit=MAX_ENTERPRISES
    )
    created = 0
    for org in enterprises:
        if not org.is_demo:
            continue
        persons, _count = orgs.list_persons(session, actor=system, organisation_id=org.id, limit=20)
        person_ids = [p.id for p in persons]
        where = _position(session, system, org)
        created += _load_points(session, actor, rng, org.id, person_ids, where)
        created += _load_units(session, actor, rng, org.id, person_ids, where)
    return created


def _load_points(
    session: Session,
    actor: Actor,
    rng: random.Random,
    org_id: Any,
    person_ids: list[Any],
    where: tuple[float, float] | None,
) -> int:
    existing = risks.list_risk_points(
        session, actor=actor, organisation_id=org_id, active=None, limit=1
    )[1]
    if existing:
        return 0
    count = rng.randint(4, len(_POINTS))
    today = date.today()
    for index, (name, kind, factors_, accidents, method, factors) in enumerate(_POINTS[:count]):
        lon, lat = _near(rng, *where) if where else (None, None)
        person = rng.choice(person_ids) if person_ids else None
        measures = [
            {"kind": kind_, "description": text, "control_level": level,
             "responsible_person_id": person}
            for kind_, text, level in rng.sample(_MEASURES, k=rng.randint(2, 4))
        ]  # fmt: skip
        data = RiskPointCreate.model_validate(
            {
                "organisation_id": org_id, "name": name, "kind": kind,
                "code": f"FXD-{index + 1:03d}", "location": f"厂区{rng.choice('东南西北')}侧",
                "lon": lon, "lat": lat, "hazard_factors": factors_, "accident_types": accidents,
                "method": method, "factors": factors,
                "control_level": ("enterprise", "department", "workshop", "team")[index % 4],
                "responsible_person_id": person,
                "reassess_on": today + timedelta(days=rng.randint(30, 365)),
                "measures": measures, "is_demo": True,
            }
        )  # fmt: skip
        risks.create_risk_point(session, actor=actor, data=data)
    return count


def _load_units(
    session: Session,
    actor: Actor,
    rng: random.Random,
    org_id: Any,
    person_ids: list[Any],
    where: tuple[float, float] | None,
) -> int:
    if risks.list_installations(session, actor=actor, organisation_id=org_id, active=None)[1]:
        return 0
    for name, unit_kind, people, substances in _UNITS:
        lon, lat = _near(rng, *where) if where else (None, None)
        data = InstallationCreate.model_validate(
            {
                "organisation_id": org_id, "name": name, "unit_kind": unit_kind,
                "exposed_people": people, "lon": lon, "lat": lat,
                "responsible_person_id": rng.choice(person_ids) if person_ids else None,
                "substances": substances, "is_demo": True,
            }
        )  # fmt: skip
        risks.create_installation(session, actor=actor, data=data)
    return len(_UNITS)
