"""The /api/regions routes: answers, and the denials of every route."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.auth import bearer, make_user
from tests.factories.regions import BOWTIE, collection, feature, make_tree, square
from yingji.core.auth.roles import Role
from yingji.regions.models import Region

GRID = {"name": "一号网格", "parent_code": "420502", "geometry": square((111.2, 30.6, 111.3, 30.7))}

# Every route with an example request: (method, url, json body).
ROUTES: list[tuple[str, str, object]] = [
    ("GET", "/api/regions", None),
    ("GET", "/api/regions/420502", None),
    ("GET", "/api/regions/420502/children", None),
    ("GET", "/api/regions/420502/subtree", None),
    ("GET", "/api/regions/locate?lon=111.3&lat=30.7", None),
    ("GET", "/api/regions/geojson?root=420502", None),
    ("POST", "/api/regions", GRID),
    ("PATCH", "/api/regions/420502", {"name": "改名"}),
    ("POST", "/api/regions/import", collection(feature("420502001", "西陵街道"))),
]
WRITES = [r for r in ROUTES if r[0] != "GET"]


def _user(session: Session, role: Role, code: str) -> dict[str, str]:
    _, token = make_user(session, role=role, region_code=code)
    return bearer(token)


def _region_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Region)) or 0


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    """Headers of an administrator of the whole of Hubei (the tree is made)."""
    make_tree(session)
    headers = _user(session, Role.ADMIN, "420000")
    session.commit()
    return headers


@pytest.mark.parametrize(("method", "url", "body"), ROUTES)
def test_anonymous_gets_401_everywhere(
    client: TestClient, session: Session, method: str, url: str, body: object
) -> None:
    make_tree(session)
    session.commit()
    response = client.request(method, url, json=body)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "not_authenticated"
    assert _region_count(session) == 6


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_a_role_without_region_write_gets_403_on_writes(
    client: TestClient, session: Session, method: str, url: str, body: object
) -> None:
    make_tree(session)
    headers = _user(session, Role.DUTY_OFFICER, "420000")
    session.commit()
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert _region_count(session) == 6
    assert session.get(Region, "420502").name == "西陵区"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/regions/420502", None),
        ("GET", "/api/regions/420502/children", None),
        ("GET", "/api/regions/420502/subtree", None),
        ("GET", "/api/regions?parent=420502", None),
        ("GET", "/api/regions/geojson?root=420502", None),
        ("POST", "/api/regions", GRID),
        ("PATCH", "/api/regions/420502", {"name": "改名"}),
        ("POST", "/api/regions/import", collection(feature("420502001", "西陵街道"))),
    ],
)
def test_a_district_user_gets_403_for_the_neighbouring_district(
    client: TestClient, session: Session, method: str, url: str, body: object
) -> None:
    make_tree(session)
    headers = _user(session, Role.ADMIN, "420503")  # 伍家岗区, even as an administrator
    session.commit()
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "forbidden"
    assert _region_count(session) == 6


def test_lists_never_include_another_subtree(client: TestClient, session: Session) -> None:
    make_tree(session)
    headers = _user(session, Role.GRASSROOTS, "420503")
    session.commit()
    listed = {
        r["code"]
        for url in (
            "/api/regions",
            "/api/regions?level=county",
            "/api/regions?q=区",
            "/api/regions?parent=420500",
            "/api/regions/420500/children",
            "/api/regions/420000/subtree",
        )
        for r in client.get(url, headers=headers).json()
    }
    assert listed == {"420503"}
    geo = client.get("/api/regions/geojson?root=420000", headers=headers).json()
    assert [f["properties"]["code"] for f in geo["features"]] == ["420503"]


def test_locate_in_another_district_returns_nothing(client: TestClient, session: Session) -> None:
    make_tree(session)
    headers = _user(session, Role.GRASSROOTS, "420503")
    session.commit()
    outside = client.get("/api/regions/locate?lon=111.3&lat=30.7", headers=headers)  # 西陵区
    assert (outside.status_code, outside.json()) == (200, [])
    inside = client.get("/api/regions/locate?lon=111.5&lat=30.7", headers=headers)
    assert [r["code"] for r in inside.json()] == ["420503", "420500", "420000"]
    assert inside.json()[0]["name"] == "伍家岗区"


@pytest.mark.parametrize(
    "query", ["lon=181&lat=30", "lon=111&lat=-91", "lon=abc&lat=30", "lat=30", "lon=nan&lat=30"]
)
def test_locate_validates_coordinates(
    client: TestClient, admin: dict[str, str], query: str
) -> None:
    response = client.get(f"/api/regions/locate?{query}", headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["field"] in ("lon", "lat")


def test_read_routes(client: TestClient, admin: dict[str, str]) -> None:
    detail = client.get("/api/regions/420500", headers=admin).json()
    assert detail["name"] == "宜昌市"
    assert detail["children_count"] == 2
    assert detail["bbox"] == [110.0, 29.9, 112.0, 31.6]
    assert detail["centroid"] == {"lon": 111.0, "lat": 30.75}
    assert detail["path"] == "/420000/420500/"
    children = client.get("/api/regions/420500/children", headers=admin).json()
    assert [c["code"] for c in children] == ["420502", "420503"]
    subtree = client.get("/api/regions/420000/subtree?levels=city,county", headers=admin).json()
    assert [r["code"] for r in subtree] == ["420100", "420102", "420500", "420502", "420503"]
    assert client.get("/api/regions/420599", headers=admin).status_code == 404
    bad_levels = client.get("/api/regions/420000/subtree?levels=county,planet", headers=admin)
    assert (bad_levels.status_code, bad_levels.json()["field"]) == (422, "levels")


def test_geojson_route(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(
        "/api/regions/geojson?root=420500&levels=county&tolerance=0.001", headers=admin
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == ["420502", "420503"]
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    too_coarse = client.get("/api/regions/geojson?tolerance=5", headers=admin)
    assert (too_coarse.status_code, too_coarse.json()["field"]) == (422, "tolerance")


def test_create_and_update_routes(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    created = client.post("/api/regions", json=GRID, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["code"] == "420502G001"
    assert created.json()["level"] == "grid"
    again = client.post("/api/regions", json={**GRID, "code": "420502G001"}, headers=admin)
    assert again.status_code == 409
    bad = client.post("/api/regions", json={**GRID, "geometry": BOWTIE}, headers=admin)
    assert (bad.status_code, bad.json()["field"]) == (422, "geometry")
    missing = client.post("/api/regions", json={"parent_code": "420502"}, headers=admin)
    assert (missing.status_code, missing.json()["field"]) == (422, "name")

    renamed = client.patch(
        "/api/regions/420502G001", json={"name": "一号网格（东）"}, headers=admin
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "一号网格（东）"
    unknown_field = client.patch("/api/regions/420502G001", json={"code": "x"}, headers=admin)
    assert unknown_field.status_code == 422
    assert client.patch("/api/regions/420599", json={"name": "x"}, headers=admin).status_code == 404
    session.expire_all()
    stored = session.get(Region, "420502G001")
    assert stored is not None and stored.name == "一号网格（东）"


def test_import_json_body_and_multipart(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    data = collection(feature("420502001", "西陵街道"), feature("420502001G1", "网格一"))
    report = client.post("/api/regions/import?source=街道普查", json=data, headers=admin)
    assert report.status_code == 200, report.text
    assert report.json() == {"created": 2, "updated": 0, "skipped": 0, "errors": []}

    upload = {"file": ("towns.geojson", json.dumps(data).encode(), "application/geo+json")}
    again = client.post("/api/regions/import", files=upload, headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["updated"] == 2  # the source label changed to the file name
    session.expire_all()
    town = session.get(Region, "420502001")
    assert town is not None and town.source == "towns.geojson"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (b"{nope", "file", ["not valid JSON"]),
        (json.dumps(collection()).encode(), "features", ["no features"]),
        (
            json.dumps(collection(feature("420502001", "好"), feature("420599001", "孤"))).encode(),
            "features[1].properties.parent",
            ["feature 1", "420599"],
        ),
        (
            json.dumps(collection(feature("420502001", "蝴蝶结", geometry=BOWTIE))).encode(),
            "features[0].geometry",
            ["feature 0", "Self-intersection"],
        ),
    ],
)
def test_import_refuses_a_bad_file_naming_the_feature(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    payload: bytes,
    field: str,
    words: list[str],
) -> None:
    for kwargs in (
        {"content": payload, "headers": {**admin, "Content-Type": "application/json"}},
        {"files": {"file": ("bad.geojson", payload)}, "headers": admin},
    ):
        response = client.post("/api/regions/import", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["field"] == field
        assert all(word in body["message"] for word in words), body["message"]
    assert _region_count(session) == 6


def test_import_multipart_without_a_file_field(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/regions/import", data={"other": "x"}, headers=admin)
    assert (response.status_code, response.json()["field"]) == (422, "file")
