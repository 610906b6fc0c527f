"""The monitoring registry of the 宜昌 demo (is_demo): five sites, one gateway each.

A chemical plant's liquid chlorine store and ammonia unit (its GB 18218 installations and risk
point), a medium-pressure gas main, a Yangtze bridge, a reservoir dam and a landslide slope,
with 44 sensors in real units and instrument ranges. Everything goes through the registry
services as the given actor, so audit and events are what real registration produces. Only
the gateways' credential hashes are stored; the credentials themselves are returned once, for
the demo command to show. Idempotent: what exists (by code) is left alone, so loading twice
adds nothing. A site whose region is missing is skipped.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.errors import NotFound
from yingji.monitoring import service
from yingji.monitoring.models import Gateway, MonitoredObject, Sensor
from yingji.monitoring.schemas import GatewayCreate, ObjectCreate, ObjectKind, SensorCreate
from yingji.orgs import service as orgs
from yingji.orgs.schemas import OrgKind
from yingji.regions import service as regions
from yingji.risks import service as risks

DEMO: Final = "（演示）"
RING_DEGREES: Final = 0.0008  # sensors of a compact site stand within about 80 m of its centre

# (code, name, kind, range min, range max, reporting interval in seconds)
SensorSpec = tuple[str, str, str, float, float, int]


@dataclass(frozen=True, slots=True)
class _Object:
    code: str
    name: str
    kind: ObjectKind
    at: tuple[float, float]
    to: tuple[float, float] | None  # a linear object's other end: sensors spread along it
    sensors: tuple[SensorSpec, ...]
    installation: str | None = None  # the enterprise's GB 18218 unit of this name
    risk_point: str | None = None  # the enterprise's risk point of this name


@dataclass(frozen=True, slots=True)
class _Site:
    gateway: str  # the gateway code: its topic segment
    name: str
    region: str
    enterprise: str | None
    objects: tuple[_Object, ...]


def _numbered(code: str, name: str, n: int, *rest: Any) -> tuple[SensorSpec, ...]:
    return tuple((f"{code}-{i:02d}", f"{name} {i}#", *rest) for i in range(1, n + 1))


SITES: Final[tuple[_Site, ...]] = (
    _Site("YC-DEMO-GW-CHEM", "化工厂罐区数据采集网关", "420505", "宜昌演示化工有限公司", (
        _Object("YC-DEMO-CHEM-CL2", "液氯储罐区", ObjectKind.INSTALLATION, (111.4318, 30.5291),
                None, (
            *_numbered("CL2", "液氯储罐区氯气检测器", 3, "toxic_gas", 0.0, 20.0, 10),
            ("LT-101", "液氯储罐 V-101 液位", "liquid_level", 0.0, 10.0, 30),
            ("TT-101", "液氯储罐 V-101 温度", "temperature", -40.0, 120.0, 30),
            ("PT-101", "液氯汽化器出口压力", "pressure", 0.0, 1.0, 10),
        ), installation="液氯储罐区"),
        _Object("YC-DEMO-CHEM-NH3", "合成氨装置及液氨储罐", ObjectKind.INSTALLATION,
                (111.4285, 30.5318), None, (
            *_numbered("NH3", "液氨储罐区氨气检测器", 3, "toxic_gas", 0.0, 100.0, 10),
            *_numbered("EX", "合成氨装置氢气可燃气体检测器", 2, "combustible_gas", 0.0, 100.0, 10),
            ("LT-201", "液氨储罐 V-201 液位", "liquid_level", 0.0, 10.0, 30),
            ("TT-201", "液氨储罐 V-201 温度", "temperature", -40.0, 120.0, 30),
            ("PT-201", "液氨输送管道减压阀后压力", "pressure", 0.0, 1.6, 10),
        ), installation="合成氨装置", risk_point="液氨储罐区"),
    )),
    _Site("YC-DEMO-GW-GAS", "西陵中压燃气管网数据采集网关", "420502", "宜昌演示燃气有限公司", (
        _Object("YC-DEMO-GAS-XL01", "中压燃气管道西陵一路段", ObjectKind.GAS_PIPELINE,
                (111.2920, 30.7050), (111.3120, 30.7150), (
            *_numbered("PT", "管段压力监测点", 3, "pressure", 0.0, 0.6, 30),
            *_numbered("VW", "阀门井可燃气体", 4, "combustible_gas", 0.0, 100.0, 60),
            ("TT-01", "调压站环境温度", "temperature", -40.0, 80.0, 60),
        )),
    )),
    _Site("YC-DEMO-GW-BRIDGE", "长江大桥结构健康监测网关", "420503", None, (
        _Object("YC-DEMO-BRIDGE-01", "长江大桥", ObjectKind.BRIDGE, (111.3550, 30.6560),
                (111.3700, 30.6480), (
            ("DS-01", "主跨跨中竖向位移", "displacement", -500.0, 500.0, 10),
            ("DS-02", "北岸伸缩缝纵向位移", "displacement", -300.0, 300.0, 10),
            ("DS-03", "南岸支座纵向位移", "displacement", -300.0, 300.0, 10),
            *_numbered("SG", "主梁应变", 4, "strain", -3000.0, 3000.0, 10),
            ("WS-01", "桥面风速", "wind", 0.0, 60.0, 10),
            ("TT-01", "主梁结构温度", "temperature", -40.0, 80.0, 60),
        )),
    )),
    _Site("YC-DEMO-GW-DAM", "水库大坝安全监测网关", "420506", None, (
        _Object("YC-DEMO-DAM-01", "水库大坝", ObjectKind.RESERVOIR_DAM, (111.2450, 30.8900),
                (111.2490, 30.8915), (
            ("WL-01", "库水位（水尺读数）", "water_level", 0.0, 10.0, 300),
            ("WL-02", "下游水位（水尺读数）", "water_level", 0.0, 10.0, 300),
            ("RG-01", "坝址雨量", "rainfall", 0.0, 200.0, 300),
            ("RG-02", "库区上游雨量", "rainfall", 0.0, 200.0, 300),
            *_numbered("GN", "坝顶表面位移（GNSS）", 3, "displacement", -200.0, 200.0, 600),
        )),
    )),
    _Site("YC-DEMO-GW-SLOPE", "滑坡隐患点监测网关", "420527", None, (
        _Object("YC-DEMO-SLOPE-01", "滑坡隐患点", ObjectKind.SLOPE, (110.9750, 30.8300), None, (
            *_numbered("GN", "坡体表面位移（GNSS）", 3, "displacement", -500.0, 500.0, 600),
            *_numbered("CR", "后缘裂缝计", 2, "displacement", 0.0, 300.0, 600),
            ("RG-01", "坡顶雨量", "rainfall", 0.0, 200.0, 300),
        )),
    )),
)  # fmt: skip


@dataclass
class MonitoringDemo:
    """What loading the monitoring demo created, and the new gateways' credentials."""

    objects: int = 0
    gateways: int = 0
    sensors: int = 0
    skipped_sites: list[str] = field(default_factory=list)
    credentials: dict[str, str] = field(repr=False, default_factory=dict)  # gateway → secret


def load_monitoring(session: Session, *, actor: Actor) -> MonitoringDemo:
    """Register the demo sites, gateways and sensors that do not exist yet."""
    out = MonitoringDemo()
    for site in SITES:
        try:
            regions.path_of(session, site.region)
        except NotFound:
            out.skipped_sites.append(site.gateway)
            continue
        enterprise = _enterprise(session, actor, site.enterprise)
        gateway_id = _gateway(session, actor, site, enterprise, out)
        for obj in site.objects:
            object_id = _object(session, actor, site, obj, enterprise, out)
            _sensors(session, actor, obj, gateway_id, object_id, out)
    return out


def _enterprise(session: Session, actor: Actor, name: str | None) -> uuid.UUID | None:
    if name is None:
        return None
    rows, _ = orgs.list_organisations(session, actor=actor, kind=OrgKind.ENTERPRISE, q=name)
    return next((org.id for org in rows if org.name == name), None)


def _gateway(
    session: Session, actor: Actor, site: _Site, owner: uuid.UUID | None, out: MonitoringDemo
) -> uuid.UUID:
    existing = session.scalar(select(Gateway.id).where(Gateway.code == site.gateway))
    if existing is not None:
        return existing
    data = GatewayCreate(
        code=site.gateway, name=site.name + DEMO, region_code=site.region,
        organisation_id=owner, is_demo=True,
    )  # fmt: skip
    gateway, token = service.create_gateway(session, actor=actor, data=data)
    out.gateways += 1
    out.credentials[site.gateway] = token
    return gateway.id


def _object(
    session: Session,
    actor: Actor,
    site: _Site,
    obj: _Object,
    enterprise: uuid.UUID | None,
    out: MonitoringDemo,
) -> uuid.UUID:
    existing = session.scalar(select(MonitoredObject.id).where(MonitoredObject.code == obj.code))
    if existing is not None:
        return existing
    installation = risk_point = None
    if enterprise is not None and obj.installation is not None:
        units, _ = risks.list_installations(session, actor=actor, organisation_id=enterprise)
        installation = next((u.id for u in units if u.name == obj.installation), None)
    if enterprise is not None and obj.risk_point is not None:
        points, _ = risks.list_risk_points(
            session, actor=actor, organisation_id=enterprise, q=obj.risk_point
        )
        risk_point = next((p.id for p in points if p.name == obj.risk_point), None)
    data = ObjectCreate(
        code=obj.code, name=obj.name + DEMO, kind=obj.kind, region_code=site.region,
        enterprise_id=enterprise, installation_id=installation, risk_point_id=risk_point,
        lon=obj.at[0], lat=obj.at[1], is_demo=True,
    )  # fmt: skip
    out.objects += 1
    return service.create_object(session, actor=actor, data=data).id


def _place(obj: _Object, index: int) -> tuple[float, float]:
    """Return where a sensor stands: along a linear object, or around a compact one."""
    count = len(obj.sensors)
    if obj.to is not None:
        share = index / max(1, count - 1)
        lon = obj.at[0] + (obj.to[0] - obj.at[0]) * share
        lat = obj.at[1] + (obj.to[1] - obj.at[1]) * share
    else:
        angle = 2 * math.pi * index / count
        lon = obj.at[0] + RING_DEGREES * math.cos(angle)
        lat = obj.at[1] + RING_DEGREES * math.sin(angle)
    return round(lon, 6), round(lat, 6)


def _sensors(
    session: Session,
    actor: Actor,
    obj: _Object,
    gateway_id: uuid.UUID,
    object_id: uuid.UUID,
    out: MonitoringDemo,
) -> None:
    taken = set(session.scalars(select(Sensor.code).where(Sensor.gateway_id == gateway_id)))
    for index, (code, name, kind, low, high, interval) in enumerate(obj.sensors):
        if code in taken:
            continue
        lon, lat = _place(obj, index)
        data = SensorCreate(
            code=code, name=name + DEMO, gateway_id=gateway_id, object_id=object_id, kind=kind,
            range_min=low, range_max=high, interval_seconds=interval, lon=lon, lat=lat,
            is_demo=True,
        )  # fmt: skip
        service.create_sensor(session, actor=actor, data=data)
        out.sensors += 1
