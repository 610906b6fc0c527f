"""Geometry checks, point-in-region lookups, the shape index's freshness and subtree ranges."""

from __future__ import annotations

import json
import math

import pytest
import shapely
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from tests.factories.regions import BOWTIE, make_tree, square
from yingji.core.errors import InvalidInput, NotFound
from yingji.regions import spatial
from yingji.regions.models import Region
from yingji.regions.schemas import RegionLevel
from yingji.regions.spatial import GeometryError, parse_geometry, shape_columns

XILING = (111.3, 30.7)  # inside the 西陵区 square of make_tree
WUJIAGANG = (111.5, 30.7)


def _codes(regions: list[Region]) -> list[str]:
    return [r.code for r in regions]


def _add_grid(session: Session, code: str, parent: Region, bbox: tuple[float, ...]) -> Region:
    geom = shapely.box(*bbox)
    grid = Region(
        code=code,
        name=code,
        level="grid",
        parent_code=parent.code,
        path=f"{parent.path}{code}/",
        depth=parent.depth + 1,
        is_demo=True,
        source="tests",
        **shape_columns(geom),
    )
    session.add(grid)
    session.flush()
    return grid


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("not an object", "GeoJSON object"),
        ({"type": "Point", "coordinates": [111.3, 30.7]}, "Polygon or MultiPolygon"),
        ({"type": "Polygon"}, "malformed"),
        ({"type": "Polygon", "coordinates": [[["x", 1]]]}, "malformed"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [math.nan, 1], [0, 0]]]}, "finite"),
        (square((179.0, 10.0, 181.0, 11.0)), "WGS-84"),
        (BOWTIE, "Self-intersection"),
    ],
)
def test_parse_geometry_refuses(raw: object, problem: str) -> None:
    with pytest.raises(GeometryError) as exc:
        parse_geometry(raw)
    assert problem in str(exc.value)


def test_parse_geometry_repairs_on_request() -> None:
    geom, repaired = parse_geometry(BOWTIE, repair=True)
    assert repaired
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    plain, repaired = parse_geometry(square((1, 1, 2, 2)))
    assert not repaired
    assert plain.equals(shapely.box(1, 1, 2, 2))


def test_label_point_lies_inside_a_concave_shape() -> None:
    # A "U": its centroid falls in the empty middle, its representative point does not.
    u_shape = shapely.Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    assert not u_shape.contains(u_shape.centroid)
    columns = shape_columns(u_shape)
    label = shapely.Point(columns["centroid_lon"], columns["centroid_lat"])
    assert u_shape.contains(label)
    assert (columns["min_lon"], columns["max_lat"]) == (0.0, 3.0)
    assert json.loads(columns["geometry"])["type"] == "Polygon"


def test_locate_returns_the_chain_from_the_deepest_region(session: Session) -> None:
    make_tree(session)
    assert _codes(spatial.locate(session, lon=XILING[0], lat=XILING[1])) == [
        "420502",
        "420500",
        "420000",
    ]
    # Inside Hubei but in no city of the small tree.
    assert _codes(spatial.locate(session, lon=109.0, lat=32.0)) == ["420000"]
    assert spatial.locate(session, lon=0.0, lat=0.0) == []


def test_locate_on_a_shared_border_picks_the_lowest_code(session: Session) -> None:
    make_tree(session)
    # 111.4 is the edge of both 西陵区 and 伍家岗区: the boundary counts, the tie is stable.
    assert _codes(spatial.locate(session, lon=111.4, lat=30.7))[0] == "420502"


def test_locate_refuses_impossible_coordinates(session: Session) -> None:
    with pytest.raises(InvalidInput) as exc:
        spatial.locate(session, lon=181.0, lat=0.0)
    assert exc.value.field == "lon"
    with pytest.raises(InvalidInput):
        spatial.locate(session, lon=0.0, lat=math.nan)


def test_index_sees_inserts_updates_and_deletes_in_the_session(session: Session) -> None:
    tree = make_tree(session)
    assert _codes(spatial.locate(session, lon=111.25, lat=30.65))[0] == "420502"

    grid = _add_grid(session, "420502G001", tree["420502"], (111.2, 30.6, 111.3, 30.7))
    assert _codes(spatial.locate(session, lon=111.25, lat=30.65))[:2] == ["420502G001", "420502"]

    for key, value in shape_columns(shapely.box(111.45, 30.6, 111.5, 30.65)).items():
        setattr(grid, key, value)
    session.flush()
    assert _codes(spatial.locate(session, lon=111.25, lat=30.65))[0] == "420502"

    session.execute(delete(Region).where(Region.code == "420502G001"))
    assert _codes(spatial.locate(session, lon=111.47, lat=30.62))[0] == "420503"


def test_index_sees_another_session_commit(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_tree(session)
    session.commit()
    assert _codes(spatial.locate(session, lon=111.25, lat=30.65))[0] == "420502"
    session.commit()  # end the read transaction, as a request would

    with session_factory() as other:
        parent = other.get(Region, "420502")
        assert parent is not None
        _add_grid(other, "420502G009", parent, (111.2, 30.6, 111.3, 30.7))
        other.commit()

    assert _codes(spatial.locate(session, lon=111.25, lat=30.65))[0] == "420502G009"


def test_locate_many_checks_once_and_answers_each_point(session: Session) -> None:
    make_tree(session)
    paths = spatial.locate_many(session, [XILING, WUJIAGANG, (0.0, 0.0)])
    assert paths == ["/420000/420500/420502/", "/420000/420500/420503/", None]


def test_subtree_is_one_range_and_filters_levels(session: Session) -> None:
    tree = make_tree(session)
    # An explicit grid code that sorts right after the city's path must stay outside its range.
    _add_grid(session, "420500X", tree["420000"], (109.0, 32.0, 109.1, 32.1))
    assert _codes(spatial.subtree(session, code="420500")) == ["420500", "420502", "420503"]
    counties = spatial.subtree(session, code="420000", levels=[RegionLevel.COUNTY])
    assert _codes(counties) == ["420102", "420502", "420503"]
    with pytest.raises(NotFound):
        spatial.subtree(session, code="999999")


def test_prefix_range_holds_exactly_the_subtree() -> None:
    low, high = spatial.prefix_range("/420000/420500/")
    inside = ["/420000/420500/", "/420000/420500/420502/", "/420000/420500/420502/x-1/"]
    outside = ["/420000/4205001/", "/420000/420500-x/", "/420000/420500X/", "/420000/"]
    assert all(low <= p < high for p in inside)
    assert not any(low <= p < high for p in outside)
