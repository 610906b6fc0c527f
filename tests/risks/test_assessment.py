"""Pure tests of the LEC, LS and MES risk assessment (cn-rules §3.2–§3.5)."""

from __future__ import annotations

import math
import re
import tomllib
from decimal import Decimal
from importlib.resources import files
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from yingji.core.errors import InvalidInput
from yingji.risks.assessment import (
    AssessmentConfigError,
    BandSet,
    Confidence,
    InvalidAssessment,
    InvalidFactor,
    MethodCatalog,
    RiskLevel,
    assess,
    assess_lec,
    assess_ls,
    assess_mes,
    classify,
    load_methods,
)

MAJOR, CONSIDERABLE, GENERAL, LOW = (
    RiskLevel.MAJOR,
    RiskLevel.CONSIDERABLE,
    RiskLevel.GENERAL,
    RiskLevel.LOW,
)


def _raw_data() -> dict[str, Any]:
    text = (files("yingji.risks") / "data" / "assessment_methods.toml").read_text("utf-8")
    return tomllib.loads(text)


# --- RiskLevel ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "zh", "colour", "colour_zh"),
    [
        (MAJOR, "重大", "red", "红"),
        (CONSIDERABLE, "较大", "orange", "橙"),
        (GENERAL, "一般", "yellow", "黄"),
        (LOW, "低", "blue", "蓝"),
    ],
)
def test_risk_level_labels(level: RiskLevel, zh: str, colour: str, colour_zh: str) -> None:
    assert (level.zh, level.zh_full, level.colour, level.colour_zh) == (
        zh,
        f"{zh}风险",
        colour,
        colour_zh,
    )


def test_risk_levels_order_by_severity_not_alphabet() -> None:
    assert sorted([LOW, MAJOR, GENERAL, CONSIDERABLE]) == [LOW, GENERAL, CONSIDERABLE, MAJOR]
    assert max(LOW, MAJOR, GENERAL) is MAJOR
    assert min(CONSIDERABLE, GENERAL) is GENERAL
    assert MAJOR > LOW and LOW < GENERAL and GENERAL >= GENERAL and LOW <= CONSIDERABLE
    assert MAJOR == "major"  # still a str for JSON and the database


def test_risk_level_refuses_ordering_against_plain_strings() -> None:
    with pytest.raises(TypeError):
        _ = MAJOR < "zzz"


# --- LEC ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level", "label"),
    [
        (0.05, LOW, "稍有危险，可以接受"),
        (19.99, LOW, "稍有危险，可以接受"),
        (20, LOW, "一般危险，需要注意"),
        (69.99, LOW, "一般危险，需要注意"),
        (70, GENERAL, "显著危险，需要整改"),
        (159.99, GENERAL, "显著危险，需要整改"),
        (160, CONSIDERABLE, "高度危险，需立即整改"),
        (320, CONSIDERABLE, "高度危险，需立即整改"),
        (320.0001, MAJOR, "极其危险，不能继续作业"),
        (10000, MAJOR, "极其危险，不能继续作业"),
    ],
)
def test_lec_boundaries(score: float, level: RiskLevel, label: str) -> None:
    band = classify("LEC", score)
    assert (band.level, band.label) == (level, label)


@pytest.mark.parametrize(
    ("l_", "e", "c", "score", "level"),
    [
        (10, 10, 100, 10000, MAJOR),
        (3, 6, 40, 720, MAJOR),
        (3, 6, 15, 270, CONSIDERABLE),
        (10, 1, 7, 70, GENERAL),  # lands exactly on the 70 boundary
        (1, 6, 15, 90, GENERAL),
        (10, 2, 1, 20, LOW),
        (0.1, 6, 100, 60, LOW),  # 0.1 × 6 is 0.6000000000000001 in floats
        (0.1, 0.5, 1, 0.05, LOW),
    ],
)
def test_lec_scores_and_grades(
    l_: float, e: float, c: float, score: float, level: RiskLevel
) -> None:
    result = assess_lec(likelihood=l_, exposure=e, consequence=c)
    assert result.score == score
    assert result.level is level
    assert result.factors == {"L": l_, "E": e, "C": c}
    assert result.band_set == "xiaomilidoc"
    assert result.confirmed is True
    assert result == assess("LEC", {"L": l_, "E": e, "C": c})


@pytest.mark.parametrize(
    ("factors", "field", "allowed"),
    [
        ({"L": 4, "E": 6, "C": 15}, "factors.L", "10, 6, 3, 1, 0.5, 0.2, 0.1"),
        ({"L": 3, "E": 7, "C": 15}, "factors.E", "10, 6, 3, 2, 1, 0.5"),
        ({"L": 3, "E": 6, "C": 50}, "factors.C", "100, 40, 15, 7, 3, 1"),
        ({"L": 3, "E": 6, "C": 0}, "factors.C", "100, 40, 15, 7, 3, 1"),
        ({"L": -3, "E": 6, "C": 15}, "factors.L", "10, 6, 3, 1, 0.5, 0.2, 0.1"),
        ({"L": math.nan, "E": 6, "C": 15}, "factors.L", "10, 6, 3, 1, 0.5, 0.2, 0.1"),
        ({"L": True, "E": 6, "C": 15}, "factors.L", "10, 6, 3, 1, 0.5, 0.2, 0.1"),
        ({"L": "10", "E": 6, "C": 15}, "factors.L", "10, 6, 3, 1, 0.5, 0.2, 0.1"),
        ({"L": 3, "E": 6}, "factors.C", "100, 40, 15, 7, 3, 1"),
    ],
)
def test_lec_rejects_values_outside_the_tables(
    factors: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(InvalidFactor) as caught:
        assess("LEC", factors)
    assert caught.value.field == field
    assert field.removeprefix("factors.") in caught.value.message
    assert allowed in caught.value.message
    # Usable both as a 422 domain error and as a plain ValueError.
    assert isinstance(caught.value, InvalidInput) and isinstance(caught.value, ValueError)


def test_unknown_factor_is_named() -> None:
    with pytest.raises(InvalidFactor, match="'X'") as caught:
        assess("LEC", {"L": 3, "E": 6, "C": 15, "X": 1})
    assert caught.value.field == "factors.X"


def test_unknown_method_and_band_set_are_refused() -> None:
    with pytest.raises(InvalidAssessment) as method:
        assess("FMEA", {"L": 1})  # type: ignore[arg-type]
    assert method.value.field == "method"
    with pytest.raises(InvalidAssessment, match="zgmkw, widely_cited") as bands:
        assess_ls(likelihood=1, severity=1, bands="hubei")
    assert bands.value.field == "bands"


# --- LS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("l_", "s", "score", "zgmkw", "widely_cited"),
    [
        (1, 3, 3, LOW, LOW),
        (2, 2, 4, GENERAL, LOW),
        (2, 4, 8, GENERAL, LOW),
        (3, 3, 9, CONSIDERABLE, GENERAL),
        (4, 4, 16, CONSIDERABLE, CONSIDERABLE),
        (4, 5, 20, MAJOR, MAJOR),
    ],
)
def test_ls_band_sets(
    l_: int, s: int, score: int, zgmkw: RiskLevel, widely_cited: RiskLevel
) -> None:
    default = assess_ls(likelihood=l_, severity=s)
    alternative = assess_ls(likelihood=l_, severity=s, bands="widely_cited")
    assert (default.score, alternative.score) == (score, score)
    assert (default.level, default.band_set, default.confirmed) == (zgmkw, "zgmkw", True)
    assert (alternative.level, alternative.band_set, alternative.confirmed) == (
        widely_cited,
        "widely_cited",
        False,
    )
    assert "zgmkw.com/doc-30900.html 附表1 (cn-rules §3.4)" in default.sources


@pytest.mark.parametrize("value", [0, 6, 2.5, -1])
def test_ls_factors_are_integers_one_to_five(value: float) -> None:
    with pytest.raises(InvalidFactor, match="1, 2, 3, 4, 5"):
        assess("LS", {"L": value, "S": 3})


# --- MES ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "e", "s", "score", "level", "grade"),
    [
        (5, 10, 10, 500, MAJOR, "一级"),
        (3, 6, 10, 180, CONSIDERABLE, "二级"),  # in the published 150–180 gap; ">180" excludes it
        (3, 6, 8, 144, CONSIDERABLE, "二级"),
        (5, 2, 8, 80, GENERAL, "三级"),
        (3, 2, 8, 48, LOW, "四级"),
        (3, 6, 1, 18, LOW, "五级"),
        (1, 0.5, 1, 0.5, LOW, "五级"),
    ],
)
def test_mes_works_but_is_unconfirmed(
    m: int, e: float, s: int, score: float, level: RiskLevel, grade: str
) -> None:
    result = assess_mes(measures=m, exposure=e, severity=s)
    assert (result.score, result.level, result.band_label) == (score, level, grade)
    assert result.confirmed is False
    assert any("[U]" in source for source in result.sources)


def test_mes_measures_are_five_three_one() -> None:
    with pytest.raises(InvalidFactor, match="must be one of 5, 3, 1"):
        assess_mes(measures=2, exposure=6, severity=10)


# --- Overrides ---------------------------------------------------------------------------------

HUBEI_LS = """
schema_version = 1
[methods.LS]
default_band_set = "hubei"
[methods.LS.band_sets.hubei]
label = "test province bands"
source = "test fixture"
confidence = "S1"
bands = [
  { level = "major", lower = 16, published = "16–25", label = "重大风险" },
  { level = "considerable", lower = 10, published = "10–15", label = "较大风险" },
  { level = "general", lower = 5, published = "5–9", label = "一般风险" },
  { level = "low", published = "1–4", label = "低风险" },
]
"""

ZGMKW_REPLACED = """
[methods.LS.band_sets.zgmkw]
label = "replaced"
source = "province X"
confidence = "U"
bands = [
  { level = "major", lower = 10, published = "10–25", label = "重大" },
  { level = "low", published = "1–9", label = "低" },
]
"""

MONEY_C = """
[methods.LEC.factors.C]
label = "后果（经济损失）"
source = "test fixture"
confidence = "S1"
values = [{ value = 100, label = "≥2000万" }, { value = 50, label = "test-only" }]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_file_adds_a_province_band_set_and_makes_it_the_default(tmp_path: Path) -> None:
    catalog = load_methods(_write(tmp_path, HUBEI_LS))
    result = assess_ls(likelihood=4, severity=4, catalog=catalog)
    assert (result.level, result.band_set, result.confirmed) == (MAJOR, "hubei", True)
    assert "test fixture" in result.sources
    # The shipped sets stay available by name; other methods are untouched.
    assert assess_ls(likelihood=4, severity=4, bands="zgmkw", catalog=catalog).level is CONSIDERABLE
    assert catalog.methods["LEC"] == load_methods().methods["LEC"]
    assert load_methods().methods["LS"].default_band_set == "zgmkw"


def test_override_file_replaces_a_band_set_by_name(tmp_path: Path) -> None:
    catalog = load_methods(_write(tmp_path, ZGMKW_REPLACED))
    result = assess_ls(likelihood=2, severity=5, catalog=catalog)
    assert (result.level, result.band_set, result.confirmed) == (MAJOR, "zgmkw", False)


def test_override_file_replaces_the_lec_consequence_table(tmp_path: Path) -> None:
    catalog = load_methods(_write(tmp_path, MONEY_C))
    assert assess_lec(likelihood=1, exposure=1, consequence=50, catalog=catalog).score == 50
    with pytest.raises(InvalidFactor, match="100, 50"):
        assess_lec(likelihood=1, exposure=1, consequence=40, catalog=catalog)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[methods.LS.factors.X]\nlabel='x'\nsource='s'\nconfidence='S1'\n"
         "values=[{value=1, label='a'}]", "unknown factors"),
        ("[methods.LS]\ndefault_band_set = 'nowhere'", "nowhere"),
        ("[methods.LS.band_sets.gappy]\nlabel='g'\nsource='s'\nconfidence='S1'\n"
         "bands=[{level='major', lower=20, published='20–25', label='a'},"
         " {level='low', lower=1, published='1–3', label='b'}]", "no lower bound"),
        ("[methods.LS.band_sets.upside]\nlabel='u'\nsource='s'\nconfidence='S1'\n"
         "bands=[{level='low', lower=20, published='20–25', label='a'},"
         " {level='major', published='1–19', label='b'}]", "higher risk level"),
        ("[methods.LS.band_sets.nosource]\nlabel='n'\nconfidence='S1'\n"
         "bands=[{level='low', published='all', label='a'}]", "source"),
        ("[methods.LS.band_sets.tag]\nlabel='n'\nsource='s'\nconfidence='S3'\n"
         "bands=[{level='low', published='all', label='a'}]", "confidence"),
        ("[methods.FMEA]\ndefault_band_set = 'x'", "FMEA"),
        ("this is = not toml =", "override.toml"),
    ],
)  # fmt: skip
def test_bad_override_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AssessmentConfigError, match=message):
        load_methods(_write(tmp_path, text))


def test_missing_override_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssessmentConfigError, match="cannot read"):
        load_methods(tmp_path / "absent.toml")


def test_band_sets_must_decrease(tmp_path: Path) -> None:
    bands = [
        {"level": "major", "lower": 5, "published": "5+", "label": "a"},
        {"level": "general", "lower": 9, "published": "9+", "label": "b"},
        {"level": "low", "published": "rest", "label": "c"},
    ]
    with pytest.raises(ValidationError, match="strictly decrease"):
        BandSet.model_validate({"label": "x", "source": "s", "confidence": "S1", "bands": bands})


# --- The data file -----------------------------------------------------------------------------


def test_every_table_in_the_data_file_has_source_and_confidence() -> None:
    raw = _raw_data()
    assert set(raw["methods"]) == {"LEC", "LS", "MES"}
    tags = {tag.value for tag in Confidence}
    for method in raw["methods"].values():
        assert method["clause"].startswith("cn-rules §3.")
        for table in [*method["factors"].values(), *method["band_sets"].values()]:
            assert table["source"].strip(), table["label"]
            assert table["confidence"] in tags, table["label"]


def test_unconfirmed_tables_are_exactly_those_cn_rules_marks_u() -> None:
    raw = _raw_data()["methods"]
    unconfirmed = {
        (name, kind, key)
        for name, method in raw.items()
        for kind in ("factors", "band_sets")
        for key, table in method[kind].items()
        if table["confidence"] == "U"
    }
    assert unconfirmed == {
        ("LS", "band_sets", "widely_cited"),
        ("MES", "factors", "S"),
        ("MES", "band_sets", "often_quoted"),
    }
    assert "UNCONFIRMED" in raw["MES"]["factors"]["S"]["note"]
    assert "UNCONFIRMED" in raw["MES"]["band_sets"]["often_quoted"]["note"]


def _published_range(text: str) -> tuple[float, float, bool, bool]:
    """Parse '>320', '<20', '≤18' or '160–320' into (low, high, low_incl, high_incl)."""
    if match := re.fullmatch(r"(>|<|≤)(\d+(?:\.\d+)?)", text):
        op, number = match.group(1), float(match.group(2))
        if op == ">":
            return number, math.inf, False, False
        return -math.inf, number, False, op == "≤"
    low, high = (float(part) for part in text.split("–"))
    return low, high, True, True


def _within(score: float, published: str) -> bool:
    low, high, low_incl, high_incl = _published_range(published)
    above = score >= low if low_incl else score > low
    below = score <= high if high_incl else score < high
    return above and below


def _reachable_scores(catalog: MethodCatalog, method: str) -> set[float]:
    tables = catalog.methods[method].factors.values()  # type: ignore[index]
    scores = set()
    for combo in product(*(table.allowed for table in tables)):
        scores.add(float(math.prod(Decimal(repr(value)) for value in combo)))
    return scores


@pytest.mark.parametrize(
    ("method", "band_set", "gaps"),
    [
        ("LEC", "xiaomilidoc", set()),
        ("LS", "zgmkw", set()),
        ("LS", "widely_cited", set()),
        ("MES", "often_quoted", {180.0}),
    ],
)
def test_encoded_bands_agree_with_the_published_ranges(
    method: str, band_set: str, gaps: set[float]
) -> None:
    catalog = load_methods()
    bands = catalog.methods[method].band_sets[band_set]  # type: ignore[index]
    unpublished = set()
    for score in _reachable_scores(catalog, method):
        chosen = bands.classify(score)
        if any(_within(score, band.published) for band in bands.bands):
            assert _within(score, chosen.published), (score, chosen.published)
        else:
            unpublished.add(score)
    # Only documented gaps may be reached; their grading is the lower-bound rule in the note.
    assert unpublished == gaps
    for score in gaps:
        assert f"{score:g}" in bands.note
