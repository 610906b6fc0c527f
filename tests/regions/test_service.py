"""Region service: visibility, lists, edits with their audit trail, and the map's GeoJSON."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.regions import BOWTIE, make_tree, region_actor, square
from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.core.events import OutboxEvent
from yingji.regions import service
from yingji.regions.models import Region
from yingji.regions.schemas import RegionCreate, RegionLevel, RegionUpdate

SYSTEM = system_actor(source="tests")


def _codes(regions: list[Region]) -> list[str]:
    return [r.code for r in regions]


def _actor(session: Session, code: str, role: Role = Role.GRASSROOTS) -> Actor:
    return region_actor(session, role=role, code=code)


def test_get_region_in_subtree_and_ancestors_but_not_siblings(session: Session) -> None:
    make_tree(session)
    xiling = _actor(session, "420502")
    assert service.get_region(session, actor=xiling, code="420502").name == "西陵区"
    # Ancestors are readable one by one, so pages can name them.
    assert service.get_region(session, actor=xiling, code="420000").name == "湖北省"
    with pytest.raises(Forbidden):
        service.get_region(session, actor=xiling, code="420503")
    with pytest.raises(Forbidden):
        service.get_region(session, actor=xiling, code="420100")
    with pytest.raises(NotFound):
        service.get_region(session, actor=xiling, code="420599")


def test_a_role_without_region_read_reads_nothing(session: Session) -> None:
    make_tree(session)
    public = Actor(role=Role.PUBLIC, region_path="/")
    with pytest.raises(Forbidden):
        service.get_region(session, actor=public, code="420000")
    with pytest.raises(Forbidden):
        service.list_regions(session, actor=public)
    with pytest.raises(Forbidden):
        service.locate(session, actor=public, lon=111.3, lat=30.7)


def test_detail_counts_only_visible_children(session: Session) -> None:
    make_tree(session)
    city = service.region_detail(session, actor=SYSTEM, code="420500")
    assert city.children_count == 2
    assert city.bbox == (110.0, 29.9, 112.0, 31.6)
    assert city.centroid is not None and city.level is RegionLevel.CITY
    seen_from_xiling = service.region_detail(
        session, actor=_actor(session, "420502"), code="420500"
    )
    assert seen_from_xiling.children_count == 1


def test_list_regions_never_includes_another_subtree(session: Session) -> None:
    make_tree(session)
    xiling = _actor(session, "420502")
    assert _codes(service.list_regions(session, actor=SYSTEM)) == ["420000"]
    assert _codes(service.list_regions(session, actor=xiling)) == ["420502"]
    assert _codes(service.list_regions(session, actor=xiling, parent="420500")) == ["420502"]
    assert _codes(service.list_children(session, actor=SYSTEM, code="420500")) == [
        "420502",
        "420503",
    ]
    counties = service.list_regions(session, actor=SYSTEM, level=RegionLevel.COUNTY)
    assert _codes(counties) == ["420102", "420502", "420503"]
    assert _codes(service.list_regions(session, actor=xiling, level=RegionLevel.COUNTY)) == [
        "420502"
    ]
    with pytest.raises(Forbidden):
        service.list_regions(session, actor=xiling, parent="420503")


def test_search_by_name_escapes_wildcards(session: Session) -> None:
    make_tree(session)
    assert _codes(service.list_regions(session, actor=SYSTEM, q="西陵")) == ["420502"]
    assert _codes(service.list_regions(session, actor=SYSTEM, q="区")) == [
        "420102",
        "420502",
        "420503",
    ]
    assert service.list_regions(session, actor=SYSTEM, q="%") == []
    assert service.list_regions(session, actor=_actor(session, "420503"), q="西陵") == []


def test_subtree_and_count_of_an_ancestor_cover_only_the_actors_part(session: Session) -> None:
    make_tree(session)
    xiling = _actor(session, "420502")
    assert _codes(service.list_subtree(session, actor=xiling, code="420000")) == ["420502"]
    assert _codes(service.list_subtree(session, actor=SYSTEM, code="420500")) == [
        "420500",
        "420502",
        "420503",
    ]
    assert service.count_subtree(session, actor=SYSTEM) == 6
    assert service.count_subtree(session, actor=SYSTEM, code="420500") == 3
    assert service.count_subtree(session, actor=xiling) == 1
    with pytest.raises(Forbidden):
        service.list_subtree(session, actor=xiling, code="420503")


def test_locate_answers_only_inside_the_actors_region(session: Session) -> None:
    make_tree(session)
    wujiagang = _actor(session, "420503")
    assert service.locate(session, actor=wujiagang, lon=111.3, lat=30.7) == []  # 西陵区
    chain = service.locate(session, actor=wujiagang, lon=111.5, lat=30.7)
    assert _codes(chain) == ["420503", "420500", "420000"]
    assert service.locate(session, actor=wujiagang, lon=109.0, lat=32.0) == []  # only Hubei


def test_create_grids_number_themselves_and_are_audited(session: Session) -> None:
    make_tree(session)
    actor = _actor(session, "420502", Role.ADMIN)
    body = RegionCreate(
        name="一号网格", parent_code="420502", geometry=square((111.2, 30.6, 111.3, 30.7))
    )
    first = service.create_region(session, actor=actor, data=body)
    second = service.create_region(
        session, actor=actor, data=body.model_copy(update={"name": "二号网格"})
    )
    assert (first.code, second.code) == ("420502G001", "420502G002")
    assert first.path == "/420000/420500/420502/420502G001/"
    assert (first.level, first.depth, first.min_lon) == ("grid", 4, 111.2)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.action, e.entity_id) for e in entries] == [
        ("region.created", "420502G001"),
        ("region.created", "420502G002"),
    ]
    events = session.scalars(select(OutboxEvent)).all()
    assert [e.event_type for e in events] == ["regions.created", "regions.created"]
    assert events[0].payload["parent_code"] == "420502"


def test_create_town_and_village_follow_the_code_rules(session: Session) -> None:
    make_tree(session)
    town = RegionCreate(
        code="420502001", name="西陵街道", level=RegionLevel.TOWN, parent_code="420502"
    )
    service.create_region(session, actor=SYSTEM, data=town)
    village = RegionCreate(
        code="420502001001", name="某社区", level=RegionLevel.VILLAGE, parent_code="420502001"
    )
    assert service.create_region(session, actor=SYSTEM, data=village).depth == 5


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        ({"code": "420503001", "level": "town", "parent_code": "420502"}, InvalidInput, "code"),
        ({"code": "42050201", "level": "town", "parent_code": "420502"}, InvalidInput, "code"),
        ({"level": "town", "parent_code": "420502"}, InvalidInput, "code"),
        ({"code": "420504", "level": "county", "parent_code": "420500"}, InvalidInput, "level"),
        ({"parent_code": "420599"}, InvalidInput, "parent_code"),
        ({"parent_code": "420502", "geometry": BOWTIE}, InvalidInput, "geometry"),
        ({"parent_code": "420502", "geometry": {"type": "Point"}}, InvalidInput, "geometry"),
        ({"code": "420502", "level": "grid", "parent_code": "420502"}, InvalidInput, "code"),
        ({"code": "XL-1", "parent_code": "420503"}, Forbidden, None),
        ({"code": "420500002", "level": "town", "parent_code": "420500"}, Forbidden, None),
    ],
)
def test_create_refuses_bad_or_foreign_regions(
    session: Session, body: dict[str, object], error: type[Exception], field: str | None
) -> None:
    make_tree(session)
    actor = _actor(session, "420502", Role.ADMIN)
    with pytest.raises(error) as exc:
        service.create_region(
            session, actor=actor, data=RegionCreate.model_validate({"name": "新", **body})
        )
    assert getattr(exc.value, "field", None) == field
    assert session.scalars(select(AuditEntry)).all() == []


def test_create_refuses_a_duplicate_and_a_reader(session: Session) -> None:
    make_tree(session)
    body = RegionCreate(code="XL-1", name="网格", parent_code="420502")
    service.create_region(session, actor=SYSTEM, data=body)
    with pytest.raises(Conflict):
        service.create_region(session, actor=SYSTEM, data=body)
    with pytest.raises(Forbidden):
        service.create_region(session, actor=_actor(session, "420502"), data=body)


def test_update_renames_and_reshapes_with_audit(session: Session) -> None:
    make_tree(session)
    actor = _actor(session, "420502", Role.ADMIN)
    body = RegionUpdate(name="西陵区（新）", geometry=square((111.25, 30.65, 111.35, 30.75)))
    region = service.update_region(session, actor=actor, code="420502", data=body)
    assert (region.name, region.min_lon, region.max_lat) == ("西陵区（新）", 111.25, 30.75)
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "region.updated"
    assert entry.before is not None and entry.after is not None
    assert entry.before["name"] == "西陵区" and entry.after["name"] == "西陵区（新）"
    assert entry.before["geometry_sha256"] != entry.after["geometry_sha256"]
    event = session.scalars(select(OutboxEvent)).one()
    assert event.payload["changed"] == ["geometry", "name"]

    # Nothing new: no audit entry. An explicit null removes the geometry.
    service.update_region(
        session, actor=actor, code="420502", data=RegionUpdate(name="西陵区（新）")
    )
    assert len(session.scalars(select(AuditEntry)).all()) == 1
    cleared = service.update_region(
        session, actor=actor, code="420502", data=RegionUpdate.model_validate({"geometry": None})
    )
    assert (cleared.geometry, cleared.min_lon, cleared.centroid_lat) == (None, None, None)


def test_update_is_refused_outside_the_subtree_and_on_ancestors(session: Session) -> None:
    make_tree(session)
    actor = _actor(session, "420502", Role.ADMIN)
    for code in ("420503", "420500"):
        with pytest.raises(Forbidden):
            service.update_region(session, actor=actor, code=code, data=RegionUpdate(name="x"))
    with pytest.raises(NotFound):
        service.update_region(session, actor=actor, code="420599", data=RegionUpdate(name="x"))
    with pytest.raises(Forbidden):
        service.update_region(
            session, actor=_actor(session, "420502"), code="420502", data=RegionUpdate(name="x")
        )
    assert session.scalars(select(AuditEntry)).all() == []


def test_geojson_for_the_map(session: Session) -> None:
    tree = make_tree(session)
    circle = shapely.Point(111.3, 30.7).buffer(0.05, quad_segs=64)
    tree["420502"].geometry = shapely.to_geojson(circle)
    tree["420503"].geometry = None  # no shape: left out of the map
    session.flush()

    full = service.geojson(session, actor=SYSTEM, root_code="420500")
    assert full["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in full["features"]] == ["420500", "420502"]
    props = full["features"][1]["properties"]
    assert props == {
        "code": "420502",
        "name": "西陵区",
        "level": "county",
        "parent_code": "420500",
        "is_demo": True,
    }
    coarse = service.geojson(
        session,
        actor=SYSTEM,
        root_code="420502",
        levels=[RegionLevel.COUNTY],
        simplify_tolerance=0.01,
    )
    (feature,) = coarse["features"]
    simplified = shapely.geometry.shape(feature["geometry"])
    assert len(simplified.exterior.coords) < len(circle.exterior.coords) / 4
    assert simplified.is_valid and simplified.intersects(shapely.Point(111.3, 30.7))


def test_geojson_stays_in_the_actors_region(session: Session) -> None:
    make_tree(session)
    xiling = _actor(session, "420502")
    mine = service.geojson(session, actor=xiling)
    assert [f["properties"]["code"] for f in mine["features"]] == ["420502"]
    from_ancestor = service.geojson(session, actor=xiling, root_code="420000")
    assert [f["properties"]["code"] for f in from_ancestor["features"]] == ["420502"]
    with pytest.raises(Forbidden):
        service.geojson(session, actor=xiling, root_code="420503")
    with pytest.raises(InvalidInput):
        service.geojson(session, actor=xiling, simplify_tolerance=2.0)
