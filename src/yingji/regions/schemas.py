"""Region levels, the GB/T 2260 code rules, and the API's region schemas."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class RegionLevel(StrEnum):
    """A level of the administrative tree, from the province down to a grid (网格)."""

    PROVINCE = "province"  # 省级: 省、自治区、直辖市、特别行政区
    CITY = "city"  # 地级: 地级市、自治州、盟
    COUNTY = "county"  # 县级: 区、县、县级市
    TOWN = "town"  # 乡级: 乡、镇、街道
    VILLAGE = "village"  # 村级: 村、社区
    GRID = "grid"  # 网格, below any node (also below another grid)

    @property
    def order(self) -> int:
        """Return the depth order of the level (province 0 … grid 5)."""
        return _ORDER[self]


_ORDER = {level: index for index, level in enumerate(RegionLevel)}

MAX_PATH = 600  # the length of Region.path
# Characters a code may hold: digits for GB/T 2260, plus letters, '-', '_' and '.' for grids.
_SAFE_CODE = re.compile(r"^[0-9A-Za-z._-]{1,32}$")
# Grid convention: the parent's code, "G", then digits ("420502001G07"; "420502001G07G2" below it).
_CONVENTIONAL_GRID = re.compile(r"^(?P<parent>[0-9A-Za-z._-]+)G(?P<number>\d+)$")
# How many leading digits of an administrative code identify it (its "significant prefix").
_SIGNIFICANT = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}


class CodeError(ValueError):
    """A region code breaks the GB/T 2260 rules; the message says which one."""


def level_of_code(code: str) -> RegionLevel:
    """Return the level an administrative code denotes, or GRID for a conventional grid code."""
    if code.isdigit() and not code.startswith("00"):
        if len(code) == 6:
            if code.endswith("0000"):
                return RegionLevel.PROVINCE
            return RegionLevel.CITY if code.endswith("00") else RegionLevel.COUNTY
        if len(code) == 9:  # 统计用区划代码: county code + 3 digits
            return RegionLevel.TOWN
        if len(code) == 12:  # town code + 3 digits
            return RegionLevel.VILLAGE
    if _CONVENTIONAL_GRID.match(code):
        return RegionLevel.GRID
    raise CodeError(
        f"{code!r} is not a region code: use 6 digits (province XX0000, city XXXX00, county), "
        "9 digits (town), 12 digits (village) or <parent>G<digits> (grid)"
    )


def check_code(code: str, level: RegionLevel) -> None:
    """Raise CodeError unless a code is well-formed for a level."""
    if not _SAFE_CODE.match(code):
        raise CodeError(f"{code!r} must be 1-32 letters, digits, '.', '_' or '-'")
    if level is RegionLevel.GRID:
        # Any explicit code is accepted for a grid, but never one that reads as an admin code.
        if code.isdigit():
            raise CodeError(f"grid code {code!r} must not be all digits (it reads as GB/T 2260)")
        return
    derived = level_of_code(code)
    if derived is not level:
        raise CodeError(f"code {code!r} denotes a {derived}, not a {level}")


def parent_candidates(code: str, level: RegionLevel) -> list[str]:
    """Return the codes that may be a region's parent, most specific first.

    Used when a file carries no parent field. A county hangs from its city XXXX00, but the
    districts of the 直辖市 (110101 北京市东城区: there is no 110100 in most data sets) and the
    省直辖县级行政区 (429004 仙桃市: 429000 is only a statistical placeholder) hang from the
    province, so the province is the fallback: the caller takes the first candidate that exists.
    A town hangs from its first six digits, which name a city when the city has no counties
    (东莞市 441900 > 441900003 东城街道).
    """
    if level is RegionLevel.PROVINCE:
        return []
    if level is RegionLevel.GRID:
        match = _CONVENTIONAL_GRID.match(code)
        return [match.group("parent")] if match else []
    province, city = code[:2] + "0000", code[:4] + "00"
    if level is RegionLevel.CITY:
        return [province]
    if level is RegionLevel.COUNTY:
        return [city, province]
    return [code[:6]] if level is RegionLevel.TOWN else [code[:9]]


def check_parent(
    code: str, level: RegionLevel, parent_code: str, parent_level: RegionLevel
) -> None:
    """Raise CodeError unless a region may hang below the given parent."""
    if level is RegionLevel.PROVINCE:
        raise CodeError(f"province {code!r} cannot have a parent")
    if level is RegionLevel.GRID:
        # A digit-led "<x>G<n>" code reads as conventional, so it must name its real parent.
        match = _CONVENTIONAL_GRID.match(code)
        if match and code[0].isdigit() and match.group("parent") != parent_code:
            raise CodeError(f"grid code {code!r} must start with its parent's code {parent_code}G")
        return
    if parent_level.order >= level.order:
        raise CodeError(f"a {level} cannot hang below a {parent_level} ({parent_code})")
    prefix = parent_code[: _SIGNIFICANT[parent_level]]
    if not code.startswith(prefix):
        raise CodeError(f"code {code!r} must start with its parent's prefix {prefix!r}")


def path_depth(path: str) -> int:
    """Return the depth of a materialised path ("/420000/" is 1)."""
    return path.count("/") - 1


RegionCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
RegionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class Point(BaseModel):
    """A WGS-84 position."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class RegionRead(BaseModel):
    """A region as the API shows it (without its geometry: see the GeoJSON endpoint)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    path: str
    depth: int
    is_demo: bool
    source: str
    centroid: Point | None = None

    @model_validator(mode="before")
    @classmethod
    def _centroid_from_columns(cls, data: Any) -> Any:
        if isinstance(data, dict) or getattr(data, "centroid_lon", None) is None:
            return data
        fields = {name: getattr(data, name) for name in cls.model_fields if name != "centroid"}
        return {**fields, "centroid": Point(lon=data.centroid_lon, lat=data.centroid_lat)}


class RegionDetail(RegionRead):
    """A region with its number of children and its bounding box [min_lon, min_lat, max_lon, …]."""

    children_count: int
    bbox: tuple[float, float, float, float] | None


class RegionCreate(BaseModel):
    """A single new town, village or grid; the code follows the rules of its level."""

    code: RegionCode | None = Field(
        default=None, description="Omit for a grid to get <parent>G<next number>"
    )
    name: RegionName
    level: RegionLevel = RegionLevel.GRID
    parent_code: RegionCode
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON (Multi)Polygon")
    is_demo: bool = False


class RegionUpdate(BaseModel):
    """A change of a region's name or geometry (its code and place in the tree are fixed)."""

    model_config = ConfigDict(extra="forbid")

    name: RegionName | None = None
    geometry: dict[str, Any] | None = None


class ImportReport(BaseModel):
    """What an import did; fatal problems raise instead, and then nothing is written."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = Field(
        default_factory=list, description="Problems worked around, e.g. repaired geometries"
    )


class Feature(BaseModel):
    """One GeoJSON feature of the map output."""

    type: str = "Feature"
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """GeoJSON output for the map."""

    type: str = "FeatureCollection"
    features: list[Feature]


class CoveredRegion(BaseModel):
    """A region a warning's area covers (for targeting; no geometry)."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    level: str
    path: str
