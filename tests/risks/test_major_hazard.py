"""GB 18218-2018 identification and grading, checked against hand-computed examples."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from decimal import Decimal
from importlib import resources

import pytest
from pydantic import ValidationError

from yingji.core.errors import InvalidInput
from yingji.risks.major_hazard import (
    Identification,
    MajorHazardGrade,
    NoteCode,
    SubstanceAmount,
    UnitKind,
    alpha_band,
    cas_check_digit_ok,
    compare,
    critical_quantity,
    explain_change,
    grade_for,
    identify,
    load_tables,
)

STORAGE = UnitKind.STORAGE
A = SubstanceAmount


def _csv_rows() -> list[dict[str, str]]:
    text = resources.files("yingji.risks").joinpath("data", "gb18218_2018.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _codes(result: Identification) -> set[NoteCode]:
    return {note.code for note in result.notes}


# --- The packaged data -------------------------------------------------------------------------


def test_csv_has_85_named_rows_and_24_categories_with_provenance() -> None:
    rows = _csv_rows()
    assert sum(r["table"] == "1" for r in rows) == 85
    assert sum(r["table"] == "2" for r in rows) == 24
    assert all(r["confidence"] and r["source"] for r in rows)
    tables = load_tables()
    assert len(tables.substances) == 85
    assert len(tables.categories) == 24


def test_every_cas_in_the_csv_passes_its_check_digit() -> None:
    cells = [r["CAS号"] for r in _csv_rows() if r["table"] == "1"]
    numbers = [n for cell in cells for n in re.findall(r"\d{2,7}-\d{2}-\d", cell)]
    # Rows 13 (煤气), 45 (硝酸铵肥料) and 74 (烷基铝) have no CAS in the standard itself;
    # rows 49 and 52 list two and three numbers.
    assert sum(1 for cell in cells if not cell) == 3
    assert len(numbers) == 85 - 3 + 1 + 2
    assert [n for n in numbers if not cas_check_digit_ok(n)] == []


@pytest.mark.parametrize(
    ("cas", "ok"),
    [("7664-41-7", True), ("7732-18-5", True), ("7664-41-8", False), ("7664417", False)],
)
def test_cas_check_digit(cas: str, ok: bool) -> None:
    assert cas_check_digit_ok(cas) is ok


# Table 3 by hand (GB 18218-2018 4.3.2 表3): Table 1 序号 -> β. 一氧化碳 has no Table 1 row.
TABLE3 = {1: 2, 3: 10, 4: 2, 6: 20, 7: 2, 9: 20, 10: 5, 11: 3, 12: 4, 17: 3, 20: 5, 25: 10, 30: 20}


def test_table3_beta_sits_on_exactly_the_toxic_gas_rows() -> None:
    with_beta = {s.seq: s.beta for s in load_tables().substances if s.beta is not None}
    assert with_beta == {seq: Decimal(beta) for seq, beta in TABLE3.items()}


# Table 4 β (4.3.2 表4) and the Table 2 Q values quoted in the notes, by hand.
TABLE2 = {
    "J1": (5, "4"), "J2": (50, "1"), "J3": (50, "2"), "J4": (50, "2"), "J5": (500, "1"),
    "W1.1": (1, "2"), "W1.2": (10, "2"), "W1.3": (50, "2"), "W2": (10, "1.5"), "W3": (150, "1"),
    "W4": (50, "1"), "W5.1": (10, "1.5"), "W5.2": (50, "1"), "W5.3": (1000, "1"),
    "W5.4": (5000, "1"), "W6.1": (10, "1.5"), "W6.2": (50, "1"), "W7.1": (10, "1.5"),
    "W7.2": (50, "1"), "W8": (50, "1"), "W9.1": (50, "1"), "W9.2": (200, "1"),
    "W10": (200, "1"), "W11": (200, "1"),
}  # fmt: skip


@pytest.mark.parametrize(("symbol", "expected"), sorted(TABLE2.items()))
def test_table2_quantity_and_table4_beta(symbol: str, expected: tuple[int, str]) -> None:
    result = critical_quantity(hazard_classes=[symbol])
    assert (result.critical_quantity_t, result.beta) == (Decimal(expected[0]), Decimal(expected[1]))
    assert result.basis == f"GB 18218-2018 4.1.2 b) 表2 {symbol}"


def test_params_mark_practice_as_unconfirmed() -> None:
    text = resources.files("yingji.risks").joinpath("data", "gb18218_2018_params.toml")
    params = tomllib.loads(text.read_text("utf-8"))
    assert params["practice"]["confidence"] == "[U]"
    assert {params[t]["confidence"] for t in ("table4", "table5", "table6")} == {"[T]"}
    # 煤气 has no β in the CSV: its β of 2 is configuration, not a fact of the standard.
    assert next(r for r in _csv_rows() if r["table"] == "1" and r["序号"] == "13")["beta"] == ""


# --- Lookups -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "seq"),
    [
        ({"cas": "7664-41-7"}, 1),
        ({"name": "氨"}, 1),
        ({"name": "液氨"}, 1),
        ({"name": " 氨气 "}, 1),
        ({"name": "胂"}, 14),  # row 14's aliases are separated by 、
        ({"name": "TDI"}, 23),
        ({"cas": "8006-14-2"}, 49),  # the second CAS of 甲烷，天然气
        ({"cas": "74-98-6"}, 52),  # 丙烷 inside 液化石油气
        ({"name": "硝化棉", "seq": 39}, 39),
        ({"cas": "9004-70-0", "name": "硝化纤维素（含乙醇≥25%）"}, 39),
        ({"cas": "6484-52-2", "seq": 44}, 44),
    ],
)
def test_table1_lookup(kwargs: dict[str, object], seq: int) -> None:
    assert critical_quantity(**kwargs).seq == seq  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"cas": "9004-70-0"}, "cas", "序号 37, 38, 39, 40, 41, 42"),
        ({"name": "硝化棉"}, "name", "序号 37, 38, 39, 40, 41"),
        ({"cas": "6484-52-2"}, "cas", "序号 43, 44"),
        ({"cas": "7664-41-8"}, "cas", "check digit"),
        ({"cas": "7732-18-5"}, "hazard_classes", "not in GB 18218-2018 Table 1"),
        ({"name": "不存在的物质"}, "hazard_classes", "give its hazard classes"),
        ({"seq": 86}, "seq", "no 序号 86"),
        ({"hazard_classes": ["W12"]}, "hazard_classes", "unknown hazard class W12"),
        ({"seq": 1, "cas": "7782-50-5"}, "cas", "different Table 1 rows"),
        ({"cas": "7664-41-7", "name": "不存在的物质"}, "name", "is not"),
        ({"cas": " ", "hazard_classes": [""]}, "name", "give seq, cas, name or hazard_classes"),
    ],
)
def test_lookup_errors_name_the_field(kwargs: dict[str, object], field: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        critical_quantity(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert fragment in caught.value.message


# --- Critical quantity (4.1.2) -----------------------------------------------------------------


def test_table1_quantity_wins_over_hazard_classes() -> None:
    # 甲醇 is in Table 1 (500 t); a W5.1 class (Table 2: 10 t) only decides its β (表4).
    result = critical_quantity(name="甲醇", hazard_classes=["W5.1"])
    assert result.critical_quantity_t == Decimal(500)
    assert result.basis == "GB 18218-2018 4.1.2 a) 表1 序号65"
    assert (result.beta, result.beta_confirmed) == (Decimal("1.5"), True)


def test_several_classes_take_the_lowest_quantity_and_flag_the_beta() -> None:
    result = critical_quantity(hazard_classes=["W2", "J1"])
    assert (result.critical_quantity_t, result.symbol, result.beta) == (
        Decimal(5),
        "J1",
        Decimal(4),
    )
    assert not result.beta_confirmed
    assert [(n.code, n.confidence) for n in result.notes if n.confidence == "[U]"] == [
        (NoteCode.BETA_PRACTICE, "[U]")
    ]


def test_tie_on_lowest_quantity_takes_the_larger_beta() -> None:
    # J3 and W4 both have Q = 50 t; β 2 and 1: the practice takes 2 and says so.
    result = critical_quantity(hazard_classes=["w4", "J3"])
    assert (result.critical_quantity_t, result.symbol, result.beta) == (
        Decimal(50),
        "J3",
        Decimal(2),
    )
    assert NoteCode.BETA_PRACTICE in {n.code for n in result.notes}


def test_several_classes_with_one_beta_need_no_flag() -> None:
    result = critical_quantity(hazard_classes=["W5.3", "W9.2"])  # β 1 and 1
    assert (result.critical_quantity_t, result.beta, result.beta_confirmed) == (
        Decimal(200),
        Decimal(1),
        True,
    )


def test_coal_gas_beta_is_practice() -> None:
    result = critical_quantity(seq=13)
    assert (result.critical_quantity_t, result.beta, result.beta_confirmed) == (
        Decimal(20),
        Decimal(2),
        False,
    )
    assert [n.confidence for n in result.notes] == ["[U]"]


def test_aerosol_quantity_is_net_weight() -> None:
    assert NoteCode.NET_WEIGHT in {n.code for n in critical_quantity(hazard_classes=["W3"]).notes}


# --- Identification (4.2.1) and grading (4.3.2, 4.3.3) -----------------------------------------


def test_ammonia_at_its_critical_quantity_is_a_major_hazard() -> None:
    result = identify([A(quantity_t=10, name="液氨")], unit_kind=STORAGE, exposed_people=40)
    assert (result.s, result.is_major) == (1.0, True)
    assert "4.2.1 a)" in result.criterion
    # R = α·β·q/Q = 1.2 · 2 · 10/10 = 2.4 -> 四级 (R < 10).
    assert (result.alpha, result.r, result.grade) == (Decimal("1.2"), 2.4, MajorHazardGrade.FOURTH)
    item = result.items[0]
    assert (item.quantity_t, item.critical_quantity_t, item.beta) == tuple(
        map(Decimal, (10, 10, 2))
    )
    assert item.ratio == 1.0
    assert result.notes == ()


def test_ammonia_just_below_is_not_major_and_has_no_grade() -> None:
    result = identify([A(quantity_t="9.99", cas="7664-41-7")], unit_kind=STORAGE, exposed_people=0)
    assert (result.is_major, result.grade) == (False, None)
    assert result.r == pytest.approx(0.5 * 2 * 0.999)


def test_mixture_below_one_is_not_major() -> None:
    # S = 4/10 + 250/500 = 0.9 (formula (1)).
    items = [A(quantity_t=4, name="氨"), A(quantity_t=250, name="甲醇", hazard_classes=["W5.3"])]
    result = identify(items, unit_kind=UnitKind.PRODUCTION, exposed_people=10)
    assert result.s == pytest.approx(0.9)
    assert (result.is_major, result.grade) == (False, None)
    assert "式(1)" in result.criterion


def test_ammonia_and_an_unlisted_flammable_liquid() -> None:
    items = [A(quantity_t=5, name="液氨"), A(quantity_t=5, hazard_classes=["W5.1"], label="T-2")]
    result = identify(items, unit_kind=STORAGE, exposed_people=100)
    # S = 5/10 + 5/10 = 1; R = 2.0 · (2·0.5 + 1.5·0.5) = 3.5 -> 四级.
    assert (result.s, result.is_major, result.r) == (1.0, True, 3.5)
    assert result.grade is MajorHazardGrade.FOURTH
    assert [(n.code, n.item) for n in result.notes] == [(NoteCode.NOT_IN_TABLE1, 1)]


# Every grade boundary, reached exactly. 异氰酸甲酯 (Q 0.75 t, β 20) with α = 1.2 is the case that
# floating point gets wrong: 1.2 · 20 · 1.5625/0.75 is 49.99999999999999 in binary floats.
@pytest.mark.parametrize(
    ("name", "q", "people", "r", "grade"),
    [
        ("碳酰氯", "0.3", 0, 10, MajorHazardGrade.THIRD),  # 0.5 · 20 · 1
        ("氨", "49", 100, "19.6", MajorHazardGrade.THIRD),  # 2.0 · 2 · 4.9
        ("氨", "24.99", 100, "9.996", MajorHazardGrade.FOURTH),
        ("碳酰氯", "0.7485", 10, "49.9", MajorHazardGrade.THIRD),  # 1.0 · 20 · 2.495
        ("异氰酸甲酯", "1.5625", 30, 50, MajorHazardGrade.SECOND),  # 1.2 · 20 · 2.083…
        ("异氰酸甲酯", "1.875", 99, 75, MajorHazardGrade.SECOND),  # 1.5 · 20 · 2.5
        ("异氰酸甲酯", "3.1249", 49, "99.9968", MajorHazardGrade.SECOND),
        ("异氰酸甲酯", "3.125", 49, 100, MajorHazardGrade.FIRST),  # 1.2 · 20 · 4.1666…
        ("异氰酸甲酯", "1.875", 100, 100, MajorHazardGrade.FIRST),  # 2.0 · 20 · 2.5
    ],
)
def test_grade_boundaries(
    name: str, q: str, people: int, r: int | str, grade: MajorHazardGrade
) -> None:
    result = identify([A(quantity_t=q, name=name)], unit_kind=STORAGE, exposed_people=people)
    assert result.is_major
    assert result.r == pytest.approx(float(r))
    assert result.grade is grade


@pytest.mark.parametrize(
    ("r", "grade"),
    [
        (0, MajorHazardGrade.FOURTH),
        (Decimal("9.999"), MajorHazardGrade.FOURTH),
        (10, MajorHazardGrade.THIRD),
        (Decimal("49.999"), MajorHazardGrade.THIRD),
        (50, MajorHazardGrade.SECOND),
        (Decimal("99.999"), MajorHazardGrade.SECOND),
        (100, MajorHazardGrade.FIRST),
        (1000, MajorHazardGrade.FIRST),
    ],
)
def test_grade_for(r: int | Decimal, grade: MajorHazardGrade) -> None:
    assert grade_for(r) is grade


@pytest.mark.parametrize(
    ("people", "alpha"),
    [
        (0, "0.5"),
        (1, "1.0"),
        (29, "1.0"),
        (30, "1.2"),
        (49, "1.2"),
        (50, "1.5"),
        (99, "1.5"),
        (100, "2.0"),  # "100人以上" includes 100
        (100_000, "2.0"),
    ],
)
def test_alpha_bands(people: int, alpha: str) -> None:
    assert alpha_band(people).alpha == Decimal(alpha)


def test_two_tanks_of_one_substance_are_a_single_substance() -> None:
    items = [A(quantity_t=6, name="液氨"), A(quantity_t=6, cas="7664-41-7")]
    result = identify(items, unit_kind=STORAGE, exposed_people=0)
    assert result.is_major
    assert result.s == pytest.approx(1.2)
    assert "4.2.1 a)" in result.criterion
    assert [c.key for c in result.items] == ["表1 序号1", "表1 序号1 #2"]


def test_missing_beta_leaves_r_and_grade_unset_and_says_why() -> None:
    result = identify([A(quantity_t=600, name="甲醇")], unit_kind=STORAGE, exposed_people=5)
    assert (result.is_major, result.r, result.grade) == (True, None, None)
    assert _codes(result) == {NoteCode.BETA_MISSING, NoteCode.R_UNAVAILABLE}


def test_practice_beta_is_flagged_on_the_item() -> None:
    result = identify([A(quantity_t=20, seq=13)], unit_kind=STORAGE, exposed_people=0)
    assert (result.r, result.items[0].beta_confirmed) == (1.0, False)
    assert [(n.code, n.item, n.confidence) for n in result.notes] == [
        (NoteCode.BETA_PRACTICE, 0, "[U]")
    ]


def test_unknown_item_error_names_the_item() -> None:
    items = [A(quantity_t=1, name="氨"), A(quantity_t=1, cas="7732-18-5", label="罐B")]
    with pytest.raises(InvalidInput) as caught:
        identify(items, unit_kind=STORAGE, exposed_people=0)
    assert caught.value.field == "items[1].hazard_classes"
    assert caught.value.message.startswith("item 2 (罐B): 7732-18-5 is not in")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quantity_t": 0, "name": "氨"},
        {"quantity_t": -1, "name": "氨"},
        {"quantity_t": "NaN", "name": "氨"},
        {"quantity_t": "1e999999", "name": "氨"},
        {"quantity_t": "0.0000001", "name": "氨"},
        {"quantity_t": 1},
        {"quantity_t": 1, "name": " ", "hazard_classes": [" "]},
        {"quantity_t": 1, "name": "氨", "density": 1},
    ],
)
def test_bad_amounts_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SubstanceAmount.model_validate(kwargs)


@pytest.mark.parametrize(
    ("items", "people", "field"),
    [([], 0, "items"), ([A(quantity_t=1, name="氨")], -1, "exposed_people")],
)
def test_bad_unit_is_refused(items: list[SubstanceAmount], people: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        identify(items, unit_kind=STORAGE, exposed_people=people)
    assert caught.value.field == field


def test_result_is_frozen_and_survives_json() -> None:
    result = identify([A(quantity_t=20, seq=13)], unit_kind=STORAGE, exposed_people=0)
    with pytest.raises(ValidationError):
        result.s = 0  # type: ignore[misc]
    assert Identification.model_validate(result.model_dump(mode="json")) == result


# --- Explaining a change -----------------------------------------------------------------------


def _unit(methanol_t: int, people: int = 40, *, ammonia: bool = True) -> Identification:
    items = [A(quantity_t=methanol_t, name="甲醇", hazard_classes=["W5.3"], label="T-101")]
    if ammonia:
        items.append(A(quantity_t=5, name="液氨"))
    return identify(items, unit_kind=STORAGE, exposed_people=people)


def test_quantity_change_that_crosses_the_threshold() -> None:
    before, after = _unit(200, ammonia=False), _unit(600, ammonia=False)
    # S 200/500 = 0.4 -> 1.2; R = 1.2 · 1 · S: 0.48 -> 1.44, so 四级 once it is major.
    assert explain_change(before, after) == (
        "GB 18218-2018: T-101: q 200 → 600 t (q/Q 0.4 → 1.2); S 0.4 → 1.2; R 0.48 → 1.44; "
        "not a major hazard → major hazard 四级"
    )
    change = compare(before, after)
    assert change.grade_changed
    assert [(i.key, i.change) for i in change.items] == [("T-101", "changed")]


def test_added_item_and_people_change() -> None:
    before = _unit(300, ammonia=False)
    after = _unit(300, people=120)
    text = explain_change(before, after)
    # Before: S 0.6, R 1.2·0.6 = 0.72. After: S 1.1, R 2.0·(0.6 + 2·0.5) = 3.2.
    assert "added 氨: q 5 t (q/Q 0.5)" in text
    assert "exposed people 40 → 120 (α 1.2 → 2.0)" in text
    assert "S 0.6 → 1.1; R 0.72 → 3.2; not a major hazard → major hazard 四级" in text


def test_removed_item() -> None:
    change = compare(_unit(300), _unit(300, ammonia=False))
    assert [(i.key, i.change, i.quantity_before_t) for i in change.items] == [
        ("表1 序号1", "removed", Decimal(5))
    ]
    assert "removed 氨: q 5 t" in change.summary()


def test_no_change_says_unchanged() -> None:
    change = compare(_unit(600), _unit(600))
    assert change.items == ()
    assert not change.grade_changed
    assert change.summary() == (
        "GB 18218-2018: S 1.7 unchanged; R 2.64 unchanged; major hazard 四级 unchanged"
    )
