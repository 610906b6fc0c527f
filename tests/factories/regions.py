"""Region factories: a small real-coded tree with square geometries."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from yingji.regions.models import Region

# code, name, level, parent, (min_lon, min_lat, max_lon, max_lat)
TREE: list[tuple[str, str, str, str | None, tuple[float, float, float, float]]] = [
    ("420000", "湖北省", "province", None, (108.0, 29.0, 116.2, 33.3)),
    ("420500", "宜昌市", "city", "420000", (110.0, 29.9, 112.0, 31.6)),
    ("420502", "西陵区", "county", "420500", (111.2, 30.6, 111.4, 30.8)),
    ("420503", "伍家岗区", "county", "420500", (111.4, 30.6, 111.6, 30.8)),
    ("420100", "武汉市", "city", "420000", (113.6, 29.9, 115.1, 31.4)),
    ("420102", "江岸区", "county", "420100", (114.2, 30.5, 114.4, 30.7)),
]


def square(bbox: tuple[float, float, float, float]) -> dict[str, object]:
    """Return a GeoJSON polygon covering a bounding box."""
    x0, y0, x1, y1 = bbox
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def make_tree(session: Session) -> dict[str, Region]:
    """Insert the small tree (Hubei, Yichang with two districts, Wuhan with one) and flush."""
    made: dict[str, Region] = {}
    for code, name, level, parent, bbox in TREE:
        path = (made[parent].path if parent else "/") + code + "/"
        region = Region(
            code=code, name=name, level=level, parent_code=parent, path=path,
            depth=path.count("/") - 1, geometry=json.dumps(square(bbox)),
            min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
            centroid_lon=(bbox[0] + bbox[2]) / 2, centroid_lat=(bbox[1] + bbox[3]) / 2,
            is_demo=True, source="tests",
        )
        session.add(region)
        made[code] = region
    session.flush()
    return made
