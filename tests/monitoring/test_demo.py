"""The monitoring demo registry: consistent with the sensor kinds, linked, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.monitoring.demo_world import make_demo_world
from yingji.core.auth.actor import system_actor
from yingji.monitoring import service
from yingji.monitoring.demo import SITES, load_monitoring
from yingji.monitoring.models import Gateway, MonitoredObject, Sensor
from yingji.monitoring.schemas import sensor_kinds


def _counts(session: Session) -> tuple[int, int, int]:
    def count(model: type[object]) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return count(MonitoredObject), count(Gateway), count(Sensor)


def test_demo_registry_loads_once(session: Session) -> None:
    first = make_demo_world(session)
    expected = (
        sum(len(site.objects) for site in SITES),
        len(SITES),
        sum(len(obj.sensors) for site in SITES for obj in site.objects),
    )
    assert (first.objects, first.gateways, first.sensors) == expected == (6, 5, 44)
    assert first.skipped_sites == []
    assert _counts(session) == expected
    again = load_monitoring(session, actor=system_actor(source="demo"))
    assert (again.objects, again.gateways, again.sensors) == (0, 0, 0)
    assert again.credentials == {}  # no new secret: existing gateways keep theirs
    assert _counts(session) == expected


def test_every_demo_sensor_matches_its_kind(session: Session) -> None:
    make_demo_world(session)
    kinds = sensor_kinds()
    objects = {o.id: o for o in session.scalars(select(MonitoredObject))}
    for sensor in session.scalars(select(Sensor)):
        kind = kinds[sensor.kind]
        assert sensor.unit == kind.unit, sensor.code
        assert kind.range_min <= sensor.range_min < sensor.range_max <= kind.range_max
        assert sensor.is_demo and "演示" in sensor.name
        assert 1 <= sensor.interval_seconds <= 3600 and sensor.status == "online"
        site = objects[sensor.object_id]
        assert sensor.region_path == site.region_path
        assert sensor.lon is not None and sensor.lat is not None
        assert site.lon is not None and site.lat is not None
        assert abs(sensor.lon - site.lon) < 0.03 and abs(sensor.lat - site.lat) < 0.03


def test_demo_objects_and_gateways_are_linked_and_credentials_hashed(session: Session) -> None:
    loaded = make_demo_world(session)
    objects = {o.code: o for o in session.scalars(select(MonitoredObject))}
    assert all(o.is_demo and "演示" in o.name for o in objects.values())
    chlorine, ammonia = objects["YC-DEMO-CHEM-CL2"], objects["YC-DEMO-CHEM-NH3"]
    assert chlorine.enterprise_id is not None and chlorine.installation_id is not None
    assert ammonia.installation_id is not None and ammonia.risk_point_id is not None
    assert objects["YC-DEMO-GAS-XL01"].enterprise_id is not None
    assert objects["YC-DEMO-BRIDGE-01"].enterprise_id is None
    gateways = list(session.scalars(select(Gateway)))
    assert all(g.is_demo and "演示" in g.name and g.active for g in gateways)
    assert len({g.token_hash for g in gateways}) == len(gateways)
    # Compared as a boolean, so that a failure shows no credential.
    hashed = {g.code: g.token_hash for g in gateways}
    matches = all(service.hash_token(t) == hashed[c] for c, t in loaded.credentials.items())
    assert matches and sorted(loaded.credentials) == sorted(hashed)
    stored_plain = any(g.token_hash in loaded.credentials.values() for g in gateways)
    assert not stored_plain
