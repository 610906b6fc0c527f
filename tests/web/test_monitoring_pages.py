"""Monitoring pages: the live board and its JSON, bands, a sensor's page and history, gateways."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.orgs import make_org
from tests.web.conftest import LoggedIn, nav_paths
from yingji.core.auth.actor import system_actor
from yingji.core.auth.roles import GRANTS, Permission, Role
from yingji.monitoring import service
from yingji.monitoring._board import band_of
from yingji.monitoring.rules import Direction, Level, SensorRule, rule_for
from yingji.monitoring.schemas import GatewayCreate, ObjectCreate, SensorCreate

# Pressure (kind default, MPa): blue 0.36, yellow 0.38, orange 0.40, red 0.44; stale after 600 s.
PRESSURE_BANDS = {"P-N": 0.30, "P-B": 0.37, "P-Y": 0.39, "P-O": 0.42, "P-R": 0.50}
_DATA = re.compile(r'<script type="application/json" id="([a-z-]+)">(.*?)</script>', re.S)


@dataclass
class World:
    """Two enterprises, each with a monitored object, a gateway and sensors."""

    ent_a: uuid.UUID
    ent_b: uuid.UUID
    sensors: dict[str, int] = field(default_factory=dict)


def register_world(session: Session) -> World:
    """Register A's tank farm (gas and pressure sensors) and B's gas main, as the system."""
    actor = system_actor(source="tests")
    a = make_org(session, name="西陵化工", region_code="420502")
    b = make_org(session, name="伍家岗燃气", region_code="420503")
    world = World(a.id, b.id)
    sites = [
        ("A", a.id, "420502", "液氨储罐区", "installation", (111.30, 30.70),
         [("CH4-01", "可燃气体探测器 1", "combustible_gas"),
          *[(code, f"压力 {code}", "pressure") for code in PRESSURE_BANDS],
          ("P-STALE", "压力（过期）", "pressure"), ("P-NONE", "压力（无数据）", "pressure")]),
        ("B", b.id, "420503", "中压燃气干管", "gas_pipeline", (111.50, 30.70),
         [("PT-B1", "干管压力 1", "pressure")]),
    ]  # fmt: skip
    for key, org_id, region, name, kind, (lon, lat), sensors in sites:
        obj = service.create_object(session, actor=actor, data=ObjectCreate(
            code=f"OBJ-{key}", name=name, kind=kind, region_code=region, enterprise_id=org_id,
            lon=lon, lat=lat,
        ))  # fmt: skip
        gateway, _token = service.create_gateway(session, actor=actor, data=GatewayCreate(
            code=f"GW-{key}", name=f"{key} 厂网关", region_code=region, organisation_id=org_id,
        ))  # fmt: skip
        for index, (code, label, sensor_kind) in enumerate(sensors):
            sensor = service.create_sensor(session, actor=actor, data=SensorCreate(
                code=code, name=label, gateway_id=gateway.id, object_id=obj.id,
                kind=sensor_kind, interval_seconds=10, lon=lon + index * 0.001, lat=lat,
            ))  # fmt: skip
            world.sensors[code] = sensor.id
    return world


def reading(code: str, value: float, *, ago_s: float = 1.0, unit: str = "MPa") -> dict[str, Any]:
    """Return one reading of the payload format, ``ago_s`` seconds before now."""
    return {"sensor": code, "ts": int((time.time() - ago_s) * 1000), "value": value, "unit": unit}


def ingest(session: Session, gateway: str, readings: list[dict[str, Any]]) -> None:
    """Send readings through the real ingestion service and commit."""
    service.ingest(session, gateway_code=gateway, payloads=[orjson.dumps({"readings": readings})])
    session.commit()


def page_json(html: str, name: str) -> Any:
    """Return the JSON a page embeds in <script type="application/json" id=name>."""
    found = dict(_DATA.findall(html))
    assert name in found, f"the page embeds no {name}"
    return json.loads(found[name])


def sensors_by_code(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the board's sensors by code."""
    return {s["code"]: s for obj in board["objects"] for s in obj["sensors"]}


@pytest.fixture
def world(session: Session, tree: None) -> World:
    """The two sites, with A's readings in every band, a stale one and none for P-NONE."""
    w = register_world(session)
    ingest(session, "GW-A", [
        reading("CH4-01", 30.0, unit="%LEL"),
        *[reading(code, value) for code, value in PRESSURE_BANDS.items()],
        reading("P-STALE", 0.50, ago_s=700),
    ])  # fmt: skip
    ingest(session, "GW-B", [reading("PT-B1", 0.20)])
    return w


@pytest.mark.parametrize(
    ("value", "level"),
    [(0.0, 0), (0.3599, 0), (0.36, 1), (0.379, 1), (0.38, 2), (0.40, 3), (0.4399, 3), (0.44, 4),
     (9.0, 4)],
)  # fmt: skip
def test_band_of_pressure_values(value: float, level: int) -> None:
    assert band_of(value, rule_for("pressure")) == Level(level)


def test_band_of_follows_the_rule_given() -> None:
    below = SensorRule(direction=Direction.BELOW, blue=10.0, orange=5.0, red=2.0)
    assert [band_of(v, below) for v in (11.0, 10.0, 6.0, 5.0, 2.0, -1.0)] == [
        Level.NORMAL, Level.BLUE, Level.BLUE, Level.ORANGE, Level.RED, Level.RED,
    ]  # fmt: skip
    gas = rule_for("combustible_gas")  # yellow 25 and orange 50 only
    assert [band_of(v, gas) for v in (24.9, 25.0, 50.0, 99.0)] == [0, 2, 3, 3]
    assert band_of(1e9, None) is Level.NORMAL


def test_board_json_colours_each_value_by_its_band(
    client: TestClient, world: World, logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    response = client.get("/api/monitoring/board")
    assert response.status_code == 200, response.text
    board = response.json()
    assert [o["code"] for o in board["objects"]] == ["OBJ-A", "OBJ-B"]
    sensors = sensors_by_code(board)
    expected = {"P-N": "normal", "P-B": "blue", "P-Y": "yellow", "P-O": "orange", "P-R": "red"}
    assert {code: sensors[code]["band"] for code in expected} == expected
    assert [sensors[code]["level"] for code in expected] == [0, 1, 2, 3, 4]
    assert sensors["P-R"]["value"] == 0.50 and sensors["P-R"]["unit"] == "MPa"
    assert all(sensors[code]["fresh"] for code in expected)
    assert sensors["CH4-01"]["band"] == "yellow"  # 30 %LEL passes the first gas level (25)
    stale, none = sensors["P-STALE"], sensors["P-NONE"]
    assert (stale["band"], stale["fresh"], stale["abnormal"]) == ("red", False, True)
    assert (none["value"], none["ts"], none["fresh"], none["abnormal"]) == (None, None, False, True)
    assert not sensors["P-N"]["abnormal"] and sensors["P-B"]["abnormal"]
    assert abs(board["now"] - time.time() * 1000) < 60_000
    assert board["objects"][0]["level"] == 4 and board["objects"][0]["abnormal"] == 7
    assert board["objects"][0]["region_name"] == "西陵区"
    assert board["objects"][0]["enterprise_name"] == "西陵化工"
    counts = board["counts"]
    assert counts["sensors"] == 9 and counts["stale"] == 1 and counts["no_data"] == 1
    assert (counts["red"], counts["orange"], counts["yellow"], counts["blue"]) == (1, 1, 2, 1)
    assert counts["normal"] == 2 and counts["abnormal"] == 7


def test_a_sensors_own_thresholds_colour_its_value(
    client: TestClient, session: Session, world: World, logged_in: LoggedIn
) -> None:
    sensor_id = world.sensors["P-N"]  # 0.30 MPa: normal under the kind's bands
    service.set_rule_override(
        session, actor=system_actor(source="tests"), sensor_id=sensor_id,
        override={"blue": 0.25, "yellow": 0.28},
    )  # fmt: skip
    session.commit()
    logged_in(Role.SPECIALIST, "420500")
    board = client.get("/api/monitoring/board").json()
    assert sensors_by_code(board)["P-N"]["band"] == "yellow"
    assert sensors_by_code(board)["P-B"]["band"] == "blue"  # the others keep the kind's
    page = client.get(f"/monitoring/sensors/{sensor_id}")
    thresholds = page_json(page.text, "chart-config")["thresholds"]
    assert [(t["band"], t["value"]) for t in thresholds][:2] == [("blue", 0.25), ("yellow", 0.28)]
    assert "为该传感器单独设定" in page.text
    other = client.get(f"/monitoring/sensors/{world.sensors['P-B']}")
    assert "该传感器类别的默认阈值" in other.text


def test_board_filters(client: TestClient, world: World, logged_in: LoggedIn) -> None:
    logged_in(Role.SPECIALIST, "420500")
    abnormal = client.get("/api/monitoring/board", params={"abnormal": "true"}).json()
    assert [o["code"] for o in abnormal["objects"]] == ["OBJ-A"]  # B's only value is normal
    assert set(sensors_by_code(abnormal)) == {"CH4-01", "P-B", "P-Y", "P-O", "P-R", "P-STALE",
                                              "P-NONE"}  # fmt: skip
    by_region = client.get("/api/monitoring/board", params={"region": "420503"}).json()
    assert [o["code"] for o in by_region["objects"]] == ["OBJ-B"]
    by_kind = client.get("/api/monitoring/board", params={"kind": "gas_pipeline"}).json()
    assert [o["code"] for o in by_kind["objects"]] == ["OBJ-B"]
    assert client.get("/api/monitoring/board", params={"kind": "volcano"}).status_code == 422
    # The page reads the same filters from its address, ignoring nonsense.
    page = client.get("/monitoring", params={"abnormal": "1", "kind": "x", "region": "<b>"})
    assert page.status_code == 200
    assert page_json(page.text, "board-config")["query"] == {"abnormal": "true"}
    assert [o["code"] for o in page_json(page.text, "board-data")["objects"]] == ["OBJ-A"]


def test_board_page_embeds_the_board_and_its_script(
    client: TestClient, world: World, logged_in: LoggedIn
) -> None:
    logged_in(Role.COMMANDER, "420500")
    page = client.get("/monitoring")
    assert page.status_code == 200
    assert '<script src="/static/js/monitoring_board.js"></script>' in page.text
    assert "实时监测" in page.text and "仅看异常" in page.text
    config = page_json(page.text, "board-config")
    assert config["url"] == "/api/monitoring/board" and config["pollMs"] <= 10_000
    assert config["sensorKinds"]["pressure"] == "压力" and config["bands"]["red"] == "红色"
    assert config["objectKinds"]["gas_pipeline"] == "燃气管网"
    board = page_json(page.text, "board-data")
    assert sensors_by_code(board)["P-O"]["band"] == "orange"
    assert 'value="420503"' in page.text  # the region filter offers the districts
    assert "/monitoring" in nav_paths(page.text)


def test_enterprise_sees_only_its_own_objects(
    client: TestClient, world: World, logged_in: LoggedIn
) -> None:
    logged_in(Role.ENTERPRISE, "420503", world.ent_b)
    board = page_json(client.get("/monitoring").text, "board-data")
    assert [o["code"] for o in board["objects"]] == ["OBJ-B"]
    assert board["counts"]["sensors"] == 1
    api = client.get("/api/monitoring/board").json()
    assert [o["code"] for o in api["objects"]] == ["OBJ-B"]
    features = client.get("/api/monitoring/sensors.geojson").json()["features"]
    assert [f["properties"]["name"] for f in features] == ["干管压力 1"]
    assert client.get(f"/monitoring/sensors/{world.sensors['PT-B1']}").status_code == 200
    assert client.get(f"/monitoring/sensors/{world.sensors['P-R']}").status_code == 403
    gateways = client.get("/monitoring/gateways")
    assert "GW-B" in gateways.text and "GW-A" not in gateways.text
    page = client.get("/monitoring")
    assert 'id="f-region"' not in page.text  # an enterprise has no region to pick


def test_roles_without_monitor_read_are_refused(
    client: TestClient, world: World, logged_in: LoggedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in ("/monitoring", "/monitoring/gateways", "/api/monitoring/board"):
        anonymous = client.get(path, follow_redirects=False)
        assert anonymous.status_code in (303, 401), path
    assert (
        client.get("/monitoring", follow_redirects=False).headers["location"].startswith("/login")
    )
    monkeypatch.delitem(GRANTS[Role.GRASSROOTS], Permission.MONITOR_READ)
    logged_in(Role.GRASSROOTS, "420502")
    home = client.get("/")
    assert "/monitoring" not in nav_paths(home.text)
    for path in (
        "/monitoring",
        "/monitoring/gateways",
        f"/monitoring/sensors/{world.sensors['P-R']}",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "您的角色无权" in response.text or "无权" in response.text
    assert client.get("/api/monitoring/board").status_code == 403
    assert client.get("/api/monitoring/sensors.geojson").status_code == 403
    assert 'id="monitoring-layer-config"' not in client.get("/map").text


def test_sensor_page_shows_its_registration_and_drives_the_chart(
    client: TestClient, session: Session, world: World, logged_in: LoggedIn
) -> None:
    sensor_id = world.sensors["P-O"]
    now = time.time()
    minute = int(now // 60) * 60
    # Two earlier minutes of readings: the chart's mean line and envelope come from these.
    # Two and three minutes back: the world's reading of a second before the fixture can lie
    # in the previous minute when the clock turns a minute between the fixture and this line.
    ingest(session, "GW-A", [
        {"sensor": "P-O", "ts": int((minute - 180) * 1000), "value": 0.30, "unit": "MPa"},
        {"sensor": "P-O", "ts": int((minute - 170) * 1000), "value": 0.34, "unit": "MPa"},
        {"sensor": "P-O", "ts": int((minute - 120) * 1000), "value": 0.38, "unit": "MPa"},
    ])  # fmt: skip
    logged_in(Role.SPECIALIST, "420500")
    page = client.get(f"/monitoring/sensors/{sensor_id}", params={"range": "6h"})
    assert page.status_code == 200
    text = page.text
    for shown in ("压力 P-O", "液氨储罐区", "A 厂网关（GW-A）", "MPa", "在线", "每 10 秒",
                  "西陵化工", "橙色"):  # fmt: skip
        assert shown in text, shown
    assert '<script src="/static/js/monitoring_chart.js"></script>' in text
    config = page_json(text, "chart-config")
    assert config["historyUrl"] == f"/api/monitoring/sensors/{sensor_id}/history"
    assert config["range"] == "6h" and config["ranges"]["7d"] == 7 * 24 * 60
    assert [(t["band"], t["value"]) for t in config["thresholds"]] == [
        ("blue", 0.36), ("yellow", 0.38), ("orange", 0.40), ("red", 0.44),
    ]  # fmt: skip
    assert config["unit"] == "MPa" and config["timeZone"] == "Asia/Shanghai"
    # What the script asks for: the chosen span ending now, times in UTC with their offset.
    end = datetime.now(UTC)
    start = end - timedelta(minutes=config["ranges"]["6h"])
    iso = {
        name: t.isoformat().replace("+00:00", "Z") for name, t in (("start", start), ("end", end))
    }
    history = client.get(config["historyUrl"], params=iso)
    assert history.status_code == 200, history.text
    points = history.json()["points"]
    assert [(p["count"], p["min"], p["max"]) for p in points[:2]] == [
        (2, 0.30, 0.34),
        (1, 0.38, 0.38),
    ]
    assert points[0]["mean"] == pytest.approx(0.32)
    assert points[-1]["mean"] == 0.42  # the reading of a second ago
    assert client.get("/monitoring/sensors/abc").status_code == 404
    assert client.get("/monitoring/sensors/99999999").status_code == 404
    assert client.get(f"/monitoring/sensors/{sensor_id}", params={"range": "x"}).status_code == 200


def test_gateways_page_names_the_rejections(
    client: TestClient, session: Session, world: World, logged_in: LoggedIn
) -> None:
    ingest(session, "GW-A", [
        reading("P-N", 0.31, unit="ppm"),
        reading("P-N", 0.32, unit="ppm"),
        reading("NO-SUCH", 1.0),
        reading("P-N", 0.33, ago_s=2),
    ])  # fmt: skip
    logged_in(Role.SPECIALIST, "420500")
    page = client.get("/monitoring/gateways")
    assert page.status_code == 200
    row = page.text.split('id="gateway-GW-A"')[1].split("</tr>")[0]
    assert "单位不符" in row and "未知的传感器编码" in row
    assert "P-N: unit &#39;ppm&#39;, expected &#39;MPa&#39;" in row  # the latest example
    assert '<tr id="gateway-GW-A" class="mon-trouble">' in page.text
    other = page.text.split('id="gateway-GW-B"')[1].split("</tr>")[0]
    assert "单位不符" not in other and '<tr id="gateway-GW-B">' in page.text


def test_map_offers_the_sensor_layer(client: TestClient, world: World, logged_in: LoggedIn) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    html = client.get("/map").text
    assert '<script src="/static/js/monitoring_map.js"></script>' in html
    config = page_json(html, "monitoring-layer-config")
    assert config["url"] == "/api/monitoring/sensors.geojson"
    assert config["strings"]["layer"] == "监测传感器"
    collection = client.get(config["url"]).json()
    bands = {f["properties"]["name"]: f["properties"]["band"] for f in collection["features"]}
    assert bands["压力 P-R"] == "red" and bands["干管压力 1"] == "normal"
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Point" and len(feature["geometry"]["coordinates"]) == 2
    assert collection["truncated"] is False


def test_board_warns_while_no_rules_worker_evaluates(
    client: TestClient, session: Session, world: World, logged_in: LoggedIn
) -> None:
    logged_in(Role.DUTY_OFFICER, "420500")
    page = client.get("/monitoring")
    assert page_json(page.text, "board-data")["rules_engine"]["silent"] is True
    assert '<p class="alert mon-rules" id="board-rules" role="alert">' in page.text  # shown
    assert "yingji monitor rules" in page_json(page.text, "board-config")["strings"]["rulesNever"]
    service.record_progress(session, started=True)  # a rules worker reports
    session.commit()
    board = client.get("/api/monitoring/board").json()
    assert board["rules_engine"]["silent"] is False and board["rules_engine"]["reported_at"]
    assert 'id="board-rules" role="alert" hidden' in client.get("/monitoring").text
