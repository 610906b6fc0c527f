"""Pure, table-driven tests of the credit-code, industry, phone and e-mail checks."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from yingji.orgs import validators
from yingji.orgs.schemas import OrganisationCreate, PersonCreate
from yingji.orgs.validators import (
    CREDIT_CODE_CHARS,
    FormatError,
    credit_code_check_char,
    industry_name,
    normalise_credit_code,
    normalise_email,
    normalise_industry_code,
    normalise_phone,
    search_industries,
)

STANDARD_EXAMPLE = "91350100M000100Y43"  # GB 32100-2015's own worked example
# Published codes of real companies (business-registry listings, annual reports).
REAL_CODES = [
    STANDARD_EXAMPLE,
    "914403001922038216",  # 华为技术有限公司
    "91440300192317458F",  # 比亚迪股份有限公司
    "91520000214434146R",  # 中航重机股份有限公司
]


def test_weights_are_powers_of_three_mod_31() -> None:
    assert validators.CREDIT_CODE_WEIGHTS == (
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    )  # fmt: skip


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass(code: str) -> None:
    assert normalise_credit_code(code) == code


def test_credit_code_is_stripped_and_upper_cased() -> None:
    assert normalise_credit_code("  91350100m000100y43\n") == STANDARD_EXAMPLE


def test_check_char_of_the_standard_example() -> None:
    assert credit_code_check_char(STANDARD_EXAMPLE[:17]) == "3"


def test_check_value_31_maps_to_zero() -> None:
    # Find a body whose weighted sum is 0 mod 31: the check value is then 31, written '0'.
    body = "9142050000000000"
    for ch in CREDIT_CODE_CHARS:
        candidate = body + ch
        total = sum(
            CREDIT_CODE_CHARS.index(c) * w
            for c, w in zip(candidate, validators.CREDIT_CODE_WEIGHTS, strict=True)
        )
        if total % 31 == 0:
            assert credit_code_check_char(candidate) == "0"
            assert normalise_credit_code(candidate + "0") == candidate + "0"
            return
    pytest.fail("no body with a zero sum found")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y44", "check character should be 3, not 4"),
        ("914403001922038217", "check character should be 6, not 7"),
        ("91350100M000100Y4", "must have 18 characters, not 17"),
        ("91350100M000100Y433", "must have 18 characters, not 19"),
        ("", "must have 18 characters, not 0"),
        ("91350100M0001O0Y43", "'O' at position 14 is not allowed"),
        ("91350100I000100Y43", "'I' at position 9 is not allowed"),
        ("9135010SM000100Y43", "'S' at position 8 is not allowed"),
        ("B1350100M000100Y43", "registration authority 'B' (position 1)"),
        ("94350100M000100Y43", "category '4' (position 2) is not valid for registration"),
        ("Y2350100M000100Y43", "authority Y (其他): expected one of 1"),
        ("91ABCDEFM000100Y4" + "X", "positions 3-8 must be the 6-digit"),
    ],
)
def test_bad_credit_codes_say_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(FormatError, match=re.escape(message)):
        normalise_credit_code(code)


def test_every_single_character_substitution_is_caught() -> None:
    """Mod-31 with distinct weights catches every one-character mistake in positions 1-17."""
    for position in range(17):
        for ch in CREDIT_CODE_CHARS:
            if ch == STANDARD_EXAMPLE[position]:
                continue
            mutated = STANDARD_EXAMPLE[:position] + ch + STANDARD_EXAMPLE[position + 1 :]
            with pytest.raises(FormatError):
                normalise_credit_code(mutated)


def test_adjacent_transpositions_are_caught() -> None:
    for position in range(16):
        a, b = STANDARD_EXAMPLE[position], STANDARD_EXAMPLE[position + 1]
        if a == b:
            continue
        swapped = STANDARD_EXAMPLE[:position] + b + a + STANDARD_EXAMPLE[position + 2 :]
        with pytest.raises(FormatError):
            normalise_credit_code(swapped)


def test_catalogue_has_20_sections_and_97_divisions() -> None:
    entries = validators.industries()
    sections = [e for e in entries if e.level == "section"]
    divisions = [e for e in entries if e.level == "division"]
    assert [s.code for s in sections] == list("ABCDEFGHIJKLMNOPQRST")
    assert sorted(d.code[1:] for d in divisions) == [f"{n:02d}" for n in range(1, 98)]
    assert all(d.code[0] == d.section for d in divisions)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("C2614", "C2614"),
        ("c26", "C26"),
        ("B06", "B06"),
        ("G5411", "G5411"),
        ("C261", "C261"),
        ("2614", "C2614"),
        ("06", "B06"),
        ("5411", "G5411"),
        ("C", "C"),
        (" c-2614 ", "C2614"),
        ("T97", "T97"),
        ("A01", "A01"),
    ],
)
def test_industry_codes_normalise(raw: str, normal: str) -> None:
    assert normalise_industry_code(raw) == normal


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("C06", "division 06 belongs to section B, not C"),
        ("G2614", "division 26 belongs to section C, not G"),
        ("C98", "unknown industry division '98'"),
        ("00", "unknown industry division '00'"),
        ("U", "unknown industry section 'U'"),
        ("C1", "must be a section letter"),
        ("C261456", "must be a section letter"),
        ("CC26", "must be a section letter"),
        ("", "must be a section letter"),
    ],
)
def test_bad_industry_codes_are_rejected(raw: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        normalise_industry_code(raw)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("C", "制造业"),
        ("C2614", "化学原料和化学制品制造业"),
        ("2614", "化学原料和化学制品制造业"),
        ("B06", "煤炭开采和洗选业"),
        ("N79", "土地管理业"),
        ("D45", "燃气生产和供应业"),
        ("T", "国际组织"),
    ],
)
def test_industry_name(code: str, name: str) -> None:
    assert industry_name(code) == name


def test_search_industries_by_code_and_name() -> None:
    assert [i.code for i in search_industries("26")][:1] == ["C26"]
    assert "D45" in [i.code for i in search_industries("燃气")]
    assert [i.code for i in search_industries("c")][:2] == ["C", "C13"]
    assert len(search_industries(None, limit=500)) == 117
    assert search_industries("不存在的行业") == []


@pytest.mark.parametrize(
    ("raw", "e164", "mobile"),
    [
        ("138 1234 5678", "+8613812345678", True),
        ("+86 138-1234-5678", "+8613812345678", True),
        ("13812345678", "+8613812345678", True),
        ("0717-6222333", "+867176222333", False),  # 宜昌 landline
        ("0717 6222333", "+867176222333", False),
        ("010-12345678", "+861012345678", False),
    ],
)
def test_phone_numbers_normalise_to_e164(raw: str, e164: str, mobile: bool) -> None:
    assert normalise_phone(raw) == e164
    if mobile:
        assert normalise_phone(raw, field="mobile", mobile=True) == e164


@pytest.mark.parametrize(
    ("raw", "mobile", "message"),
    [
        ("12345", False, "mobile: '12345' is not a valid phone number"),
        ("abc", False, "is not a phone number"),
        ("+1 650 253 0000", False, "not a mainland China"),
        ("0717-6222333", True, "mobile: '0717-6222333' is not a mobile number"),
        ("", False, "is not a phone number"),
    ],
)
def test_bad_phone_numbers_name_the_field(raw: str, mobile: bool, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        normalise_phone(raw, field="mobile", mobile=mobile)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("Zhang.San@Example.COM", "Zhang.San@example.com"),
        ("a@b.cn", "a@b.cn"),
        ("no-at-sign", None),
        ("a@b", None),
        ("a b@c.cn", None),
        ("a\x00@c.cn", None),
    ],
)
def test_email(raw: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(FormatError):
            normalise_email(raw)
    else:
        assert normalise_email(raw) == ok


def _errors(exc: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}


def test_schema_names_the_bad_field() -> None:
    with pytest.raises(ValidationError) as info:
        OrganisationCreate(
            kind="enterprise", name="X", region_code="420502", credit_code="91350100M000100Y44"
        )
    assert _errors(info.value) == {"credit_code": "check character should be 3, not 4"}
    with pytest.raises(ValidationError) as info:
        PersonCreate(name="张三", region_code="420502", mobile="0717-6222333")
    assert list(_errors(info.value)) == ["mobile"]


def test_schema_normalises_and_rejects_control_characters() -> None:
    org = OrganisationCreate(
        kind="enterprise", name="  宜昌化工  ", region_code="420502",
        credit_code=" 91350100m000100y43 ", industry_code="2614", phone="0717-6222333",
    )  # fmt: skip
    assert (org.name, org.credit_code, org.industry_code, org.phone) == (
        "宜昌化工", STANDARD_EXAMPLE, "C2614", "+867176222333",
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        OrganisationCreate(kind="bureau", name="a\x00b", region_code="420502")
    assert list(_errors(info.value)) == ["name"]
    with pytest.raises(ValidationError) as info:
        OrganisationCreate(kind="bureau", name="局", region_code="42'0502")
    assert list(_errors(info.value)) == ["region_code"]
    with pytest.raises(ValidationError) as info:
        OrganisationCreate(kind="bureau", name="局", region_code="420502", lon=200.0, lat=30.0)
    assert list(_errors(info.value)) == ["lon"]
