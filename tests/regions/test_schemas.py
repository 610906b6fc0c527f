"""The GB/T 2260 code rules (pure, no database)."""

from __future__ import annotations

import pytest

from yingji.regions.schemas import (
    CodeError,
    RegionLevel,
    RegionRead,
    check_code,
    check_parent,
    level_of_code,
    parent_candidates,
)

L = RegionLevel


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("420000", L.PROVINCE),
        ("110000", L.PROVINCE),
        ("420500", L.CITY),
        ("429000", L.CITY),  # 省直辖县级行政区划: a statistical placeholder, still city-shaped
        ("420502", L.COUNTY),
        ("429004", L.COUNTY),
        ("420502001", L.TOWN),
        ("420502001002", L.VILLAGE),
        ("420502001G7", L.GRID),
        ("420502001G7G12", L.GRID),
    ],
)
def test_level_of_code(code: str, level: RegionLevel) -> None:
    assert level_of_code(code) is level


@pytest.mark.parametrize(
    "code", ["", "4205", "42050", "4205021", "002300", "42a500", "420502G", "G1"]
)
def test_level_of_code_refuses_what_is_no_code(code: str) -> None:
    with pytest.raises(CodeError):
        level_of_code(code)


def test_level_order_runs_from_province_to_grid() -> None:
    assert [level.order for level in RegionLevel] == [0, 1, 2, 3, 4, 5]
    assert L.PROVINCE.order < L.COUNTY.order < L.GRID.order


@pytest.mark.parametrize(
    ("code", "level", "ok"),
    [
        ("420502", L.COUNTY, True),
        ("420500", L.COUNTY, False),  # a city code
        ("420502001", L.VILLAGE, False),
        ("YC-wjg-07", L.GRID, True),  # an explicit grid code
        ("420502", L.GRID, False),  # all digits reads as an administrative code
        ("has space", L.GRID, False),
        ("x" * 33, L.GRID, False),
    ],
)
def test_check_code(code: str, level: RegionLevel, ok: bool) -> None:
    if ok:
        check_code(code, level)
    else:
        with pytest.raises(CodeError):
            check_code(code, level)


@pytest.mark.parametrize(
    ("code", "level", "candidates"),
    [
        ("420000", L.PROVINCE, []),
        ("420500", L.CITY, ["420000"]),
        ("420502", L.COUNTY, ["420500", "420000"]),
        # 仙桃市 and the 直辖市 districts fall back to the province when XXXX00 does not exist.
        ("429004", L.COUNTY, ["429000", "420000"]),
        ("110101", L.COUNTY, ["110100", "110000"]),
        ("420502001", L.TOWN, ["420502"]),
        ("441900003", L.TOWN, ["441900"]),  # 东莞市 has towns but no counties
        ("420502001002", L.VILLAGE, ["420502001"]),
        ("420502001G7", L.GRID, ["420502001"]),
        ("420502001G7G2", L.GRID, ["420502001G7"]),
        ("YC-7", L.GRID, []),
    ],
)
def test_parent_candidates(code: str, level: RegionLevel, candidates: list[str]) -> None:
    assert parent_candidates(code, level) == candidates


@pytest.mark.parametrize(
    ("code", "level", "parent", "parent_level", "ok"),
    [
        ("420502", L.COUNTY, "420500", L.CITY, True),
        ("429004", L.COUNTY, "420000", L.PROVINCE, True),
        ("420502", L.COUNTY, "420100", L.CITY, False),  # wrong prefix
        ("420502", L.COUNTY, "430000", L.PROVINCE, False),
        ("420500", L.CITY, "420502", L.COUNTY, False),  # a city below a county
        ("420000", L.PROVINCE, "420000", L.PROVINCE, False),
        ("420502001", L.TOWN, "420502", L.COUNTY, True),
        ("420502001", L.TOWN, "420503", L.COUNTY, False),
        ("420502001002", L.VILLAGE, "420502001", L.TOWN, True),
        ("420502001G1", L.GRID, "420502001", L.TOWN, True),
        ("420502001G1", L.GRID, "420502002", L.TOWN, False),  # names another parent
        ("YC-7", L.GRID, "420502", L.COUNTY, True),
        ("420502G1G2", L.GRID, "420502G1", L.GRID, True),  # a grid below a grid
    ],
)
def test_check_parent(
    code: str, level: RegionLevel, parent: str, parent_level: RegionLevel, ok: bool
) -> None:
    if ok:
        check_parent(code, level, parent, parent_level)
    else:
        with pytest.raises(CodeError):
            check_parent(code, level, parent, parent_level)


def test_region_read_builds_the_centroid_from_columns() -> None:
    class Row:
        code, name, level, parent_code, path, depth = "420502", "西陵区", "county", "420500", "/", 3
        is_demo, source, centroid_lon, centroid_lat = True, "t", 111.3, 30.7

    read = RegionRead.model_validate(Row())
    assert read.centroid is not None
    assert (read.centroid.lon, read.centroid.lat) == (111.3, 30.7)
    assert read.level is L.COUNTY
