"""Rule configuration: validation of sensor and group rules, and the per-kind defaults."""

from __future__ import annotations

from typing import Any

import pytest

from yingji.monitoring.rules import (
    GroupRule,
    Level,
    RuleEngine,
    RuleKind,
    SensorRule,
    kind_defaults,
    rule_for,
)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"yellow": 30.0, "orange": 30.0}, "strictly monotone"),
        ({"direction": "below", "yellow": 3.0, "orange": 4.0}, "strictly monotone"),
        ({"deadband": -1.0}, "deadband"),
        ({"duration": float("nan")}, "duration"),
        ({"rate_limit": 0.0}, "rate_limit"),
        ({"stale_after": -5.0}, "stale_after"),
        ({"rate_level": 0}, "rate_level"),
        ({"red": float("inf")}, "finite"),
    ],
)
def test_invalid_rules_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SensorRule.from_dict(fields)


def test_unknown_rule_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown rule fields"):
        SensorRule.from_dict({"yelow": 3.0})


@pytest.mark.parametrize(
    ("members", "k", "min_level"), [((0, 0), 1, 1), ((0, 1), 3, 1), ((0, 1), 0, 1), ((0,), 1, 0)]
)
def test_invalid_groups_are_refused(members: tuple[int, ...], k: int, min_level: int) -> None:
    with pytest.raises(ValueError):
        GroupRule(members=members, k=k, min_level=Level(min_level))


def test_groups_need_registered_members() -> None:
    engine = RuleEngine()
    engine.add_sensors([SensorRule()])
    with pytest.raises(ValueError, match="not a registered sensor"):
        engine.add_group(GroupRule(members=(0, 1), k=1))


def test_every_sensor_kind_has_a_default_rule_with_a_unit() -> None:
    defaults = kind_defaults()
    assert set(defaults) == {
        "combustible_gas", "toxic_gas", "pressure", "temperature", "liquid_level",
        "water_level", "displacement", "strain", "rainfall", "wind",
    }  # fmt: skip
    assert all(d.unit for d in defaults.values())
    assert all(any(t is not None for t in d.rule.thresholds) for d in defaults.values())


def test_combustible_gas_defaults_follow_gb_t_50493() -> None:
    gas = kind_defaults()["combustible_gas"]
    assert gas.unit == "%LEL"
    assert (gas.rule.yellow, gas.rule.orange) == (25.0, 50.0)


def test_rule_for_applies_overrides_and_rejects_unknown_kinds() -> None:
    rule = rule_for("combustible_gas", yellow=20.0)
    assert (rule.yellow, rule.orange) == (20.0, 50.0)
    with pytest.raises(ValueError, match="no default rule"):
        rule_for("radiation")


def test_rule_kind_codes_match_the_transition_rows() -> None:
    assert [k.code for k in RuleKind] == [0, 1, 2, 3]


def test_every_registry_kind_has_default_rules_in_its_unit() -> None:
    """The registry's kinds and the rules' kinds agree, unit for unit."""
    from yingji.monitoring.schemas import sensor_kinds

    defaults = kind_defaults()
    assert set(defaults) == set(sensor_kinds())
    assert {k: d.unit for k, d in defaults.items()} == {
        k: kind.unit for k, kind in sensor_kinds().items()
    }
