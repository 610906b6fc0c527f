"""The 宜昌 monitoring demo on the small test region tree, for tests of the demo and simulator."""

from __future__ import annotations

import json
import random

from sqlalchemy.orm import Session

from tests.factories.orgs import make_org, make_person
from tests.factories.regions import make_tree, square
from yingji.core.auth.actor import system_actor
from yingji.demo._risks import load_risks
from yingji.monitoring.demo import MonitoringDemo, load_monitoring
from yingji.regions.models import Region

# The demo sites' counties that the small test tree lacks: code, name, bounding box.
COUNTIES = (
    ("420505", "猇亭区", (111.35, 30.45, 111.55, 30.60)),
    ("420506", "夷陵区", (110.90, 30.60, 111.60, 31.30)),
    ("420527", "秭归县", (110.30, 30.60, 111.00, 31.20)),
)
# The demo enterprises the monitored installations and pipeline belong to (demo/data/yichang.json).
ENTERPRISES = (
    ("宜昌演示化工有限公司", "420505", 111.43, 30.53),
    ("宜昌演示燃气有限公司", "420502", 111.30, 30.71),
)


def make_demo_world(session: Session) -> MonitoringDemo:
    """Create the regions and demo enterprises (with risk records), then load the demo."""
    tree = make_tree(session)
    city = tree["420500"]
    for code, name, bbox in COUNTIES:
        path = f"{city.path}{code}/"
        session.add(
            Region(
                code=code, name=name, level="county", parent_code=city.code, path=path,
                depth=path.count("/") - 1, geometry=json.dumps(square(bbox)),
                min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
                centroid_lon=(bbox[0] + bbox[2]) / 2, centroid_lat=(bbox[1] + bbox[3]) / 2,
                is_demo=True, source="tests",
            )
        )  # fmt: skip
    session.flush()
    for name, region, lon, lat in ENTERPRISES:
        org = make_org(session, name=name, region_code=region, is_demo=True, lon=lon, lat=lat)
        make_person(session, organisation_id=org.id, region_code=region)
    demo = system_actor(source="demo")
    load_risks(session, actor=demo, rng=random.Random(1))
    return load_monitoring(session, actor=demo)
