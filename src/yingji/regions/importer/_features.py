"""Read the features of a GeoJSON file, each checked on its own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from yingji.core.errors import InvalidInput
from yingji.regions.schemas import CodeError, RegionLevel, check_code, level_of_code
from yingji.regions.spatial import GeometryError, parse_geometry, shape_columns


@dataclass
class Item:
    """One feature of the file, checked on its own."""

    index: int
    code: str
    name: str
    level: RegionLevel
    parent: str | None  # as given in the file
    columns: dict[str, Any] | None  # shape columns; None keeps the stored geometry
    repaired: bool


def fail(index: int, field: str, problem: str) -> InvalidInput:
    """Return the error refusing a file because of one feature's field."""
    return InvalidInput(
        f"feature {index}, field {field!r}: {problem}", field=f"features[{index}].{field}"
    )


def load_collection(data: dict[str, Any] | bytes | str) -> list[Any]:
    """Return the features of a GeoJSON FeatureCollection, or raise InvalidInput."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the file is not UTF-8 text: {exc}", field="file") from exc
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"the file is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                field="file",
            ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("the file must be a GeoJSON FeatureCollection", field="type")
    features = data.get("features")
    if not isinstance(features, list):
        raise InvalidInput("field 'features' must be a list of features", field="features")
    if not features:
        raise InvalidInput("the file has no features", field="features")
    return features


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        return str(value).strip() or None
    return None


def read_feature(
    index: int, feature: object, fields: tuple[str, str, str, str | None], *, repair: bool
) -> Item:
    """Check one feature (code, name, level, geometry) on its own; its parent comes later."""
    code_field, name_field, parent_field, level_field = fields
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise fail(index, "type", "not a GeoJSON Feature")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise fail(index, "properties", "must be an object")
    code = _text(props.get(code_field))
    if code is None:
        raise fail(index, f"properties.{code_field}", "missing region code")
    name = props.get(name_field)
    if not isinstance(name, str) or not name.strip():
        raise fail(index, f"properties.{name_field}", f"missing name of region {code}")
    if len(name.strip()) > 120:
        raise fail(index, f"properties.{name_field}", "name is longer than 120 characters")
    try:
        raw_level = props.get(level_field) if level_field else None
        if raw_level is None:
            level = level_of_code(code)
        elif raw_level in set(RegionLevel):
            level = RegionLevel(raw_level)
        else:
            choices = ", ".join(RegionLevel)
            raise fail(index, f"properties.{level_field}", f"level must be one of {choices}")
        check_code(code, level)
    except CodeError as exc:
        raise fail(index, f"properties.{code_field}", str(exc)) from exc
    columns, repaired = None, False
    if feature.get("geometry") is not None:
        try:
            geom, repaired = parse_geometry(feature["geometry"], repair=repair)
        except GeometryError as exc:
            raise fail(index, "geometry", f"region {code}: {exc}") from exc
        columns = shape_columns(geom)
    parent = _text(props.get(parent_field))
    return Item(index, code, name.strip(), level, parent, columns, repaired)
