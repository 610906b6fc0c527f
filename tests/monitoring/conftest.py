"""Monitoring fixtures: a registered gateway with two sensors."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories.regions import make_tree
from yingji.monitoring import service
from yingji.monitoring.models import Gateway, MonitoredObject, Sensor


def register(session: Session, gateway_code: str = "GW-1") -> dict[str, int]:
    """Register an object, a gateway and its gas and pressure sensors; return sensor ids."""
    obj = MonitoredObject(
        code=f"OBJ-{gateway_code}", name="液氨储罐区", kind="installation",
        region_code="420502", region_path="/420000/420500/420502/",
    )  # fmt: skip
    gateway = Gateway(
        code=gateway_code, name="一号网关", region_code="420502",
        region_path="/420000/420500/420502/", token_hash=service.hash_token(gateway_code),
    )  # fmt: skip
    session.add_all([obj, gateway])
    session.flush()
    made = {}
    for code, kind, unit, low, high in [
        ("CH4-01", "combustible_gas", "%LEL", 0.0, 100.0),
        ("P-01", "pressure", "MPa", -0.1, 4.0),
    ]:
        sensor = Sensor(
            code=code, gateway_id=gateway.id, object_id=obj.id, name=code, kind=kind, unit=unit,
            range_min=low, range_max=high, region_path=obj.region_path,
        )  # fmt: skip
        session.add(sensor)
        session.flush()
        made[code] = sensor.id
    return made


@pytest.fixture
def sensors(session: Session) -> dict[str, int]:
    """One gateway (GW-1) with a gas detector and a pressure sensor on one object."""
    make_tree(session)
    return register(session)
