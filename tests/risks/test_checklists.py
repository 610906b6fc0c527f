"""Pure tests of the hazard checklists (hazard-standards.md (a)–(d), cn-rules.md §4)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError

from yingji.core.errors import InvalidInput, NotFound
from yingji.risks.checklists import (
    Checklist,
    Confidence,
    InvalidChecklist,
    UnknownApplicability,
    UnknownChecklist,
    UnknownItem,
    get_checklist,
    get_item,
    is_major_by_definition,
    items_for,
    official_checklists,
    validate_custom,
)

GONGMAO, HUAGONG, RANQI, YANHUA = (
    "gongmao_2023_10",
    "huagong_2017_121",
    "chengzhen_ranqi_2023_4",
    "yanhua_2017_121",
)


def _seq(prefix: str, numbers: range) -> list[str]:
    return [f"{prefix}-{n}" for n in numbers]


# The ids are stable keys: a change here breaks stored inspection results and custom citations.
ID_SNAPSHOT = {
    RANQI: [
        *_seq("RQ-4", range(1, 6)),
        *_seq("RQ-5", range(1, 5)),
        "RQ-6-a",
        "RQ-6-b",
        "RQ-7-a",
        *_seq("RQ-9", range(1, 5)),
    ],
    GONGMAO: [
        *_seq("GM", range(1, 4)),
        *_seq("YJ", range(1, 9)),
        *_seq("YS", range(1, 14)),
        *_seq("JC", range(1, 9)),
        *_seq("JX", range(1, 8)),
        *_seq("QG", range(1, 8)),
        *_seq("FZ", range(1, 3)),
        *_seq("YC", range(1, 3)),
        *_seq("GD", range(1, 11)),
        *_seq("GA", range(1, 3)),
        *_seq("GC", range(1, 3)),
    ],
    HUAGONG: _seq("HG", range(1, 21)),
    YANHUA: _seq("YH", range(1, 21)),
}


# --- the official checklists -------------------------------------------------------------------


def test_item_ids_match_the_snapshot() -> None:
    assert {c.id: list(c.item_ids) for c in official_checklists()} == ID_SNAPSHOT


def test_item_ids_are_unique_across_all_standards() -> None:
    ids = [item.id.casefold() for c in official_checklists() for item in c.items]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


@pytest.mark.parametrize(
    ("checklist_id", "total", "missing", "truncated", "complete"),
    [
        (GONGMAO, 64, 23, 2, True),  # 管理 3 + 行业 47 + 专项 14; 23 items not retrieved
        (HUAGONG, 20, 0, 0, True),
        (YANHUA, 20, 0, 0, True),  # 20 items, not the 10 cn-rules §4.1 gave
        (RANQI, 16, 0, 1, False),  # the total of 建城规〔2023〕4号 is unknown
    ],
)
def test_counts_per_standard(
    checklist_id: str, total: int, missing: int, truncated: int, complete: bool
) -> None:
    checklist = get_checklist(checklist_id)
    assert len(checklist.items) == total
    assert len(checklist.missing_items) == missing
    assert sum(item.truncated for item in checklist.items) == truncated
    assert checklist.complete is complete
    assert checklist.expected_items == (total if complete else None)
    assert checklist.fully_transcribed is (complete and missing == truncated == 0)


def test_gongmao_counts_per_article_category_and_industry() -> None:
    checklist = get_checklist(GONGMAO)
    per_article = Counter(item.article for item in checklist.items)
    assert dict(per_article) == {
        3: 3,
        4: 8,
        5: 13,
        6: 8,
        7: 7,
        8: 7,
        9: 2,
        10: 2,
        11: 10,
        12: 2,
        13: 2,
    }
    assert {a.number: a.expected_items for a in checklist.articles} == dict(per_article)
    category = {a.number: a.category for a in checklist.articles}
    assert Counter(category[item.article] for item in checklist.items if item.article) == {
        "管理类": 3,
        "行业类": 47,
        "专项类": 14,
    }
    per_tag = Counter(tag for item in checklist.items for tag in item.applicability)
    assert per_tag == {
        "冶金": 8, "有色": 13, "建材": 8, "机械": 7, "轻工": 7, "纺织": 2, "烟草": 2,
        "粉尘涉爆": 10, "液氨制冷": 2, "有限空间": 2,
    }  # fmt: skip
    # 第三条 applies to every 工贸 enterprise.
    assert [item.id for item in checklist.items if not item.applicability] == [
        "GM-1",
        "GM-2",
        "GM-3",
    ]


def test_ranqi_articles_record_what_was_not_retrieved() -> None:
    checklist = get_checklist(RANQI)
    per_article = Counter(item.article for item in checklist.items)
    assert dict(per_article) == {4: 5, 5: 4, 6: 2, 7: 1, 9: 4}
    articles = {a.number: a for a in checklist.articles}
    assert {n: (a.expected_items, a.complete) for n, a in articles.items()} == {
        4: (5, True),
        5: (None, False),
        6: (None, False),
        7: (None, False),
        8: (None, False),
        9: (4, True),
    }
    assert (articles[8].head, articles[8].head_complete) == ("", False)
    assert [get_item(i).item_no for i in ("RQ-6-a", "RQ-6-b", "RQ-7-a")] == [None, None, None]
    # 第九条: the hazard is the operator's failure to give written notice, not the user's defect.
    assert articles[9].head == (
        "燃气经营者在对燃气用户进行安全检查时，发现有下列情形之一，不按规定采取书面告知用户整改等"
        "措施的，判定为重大隐患："
    )


@pytest.mark.parametrize(
    ("item_id", "clause", "text"),
    [
        ("GM-1", "第三条第（一）项",
         "（一）未对承包单位、承租单位的安全生产工作统一协调、管理，或者未定期进行安全检查的；"),
        ("JC-7", "第六条第（七）项", "（七）电熔制品电炉的水冷设备失效的；"),
        ("GA-2", "第十二条第（二）项",
         "快速冻结装置未设置在单独作业间内，或者快速冻结装置作业间内作业人员超过9人"),
        ("GC-1", "第十三条第（一）项",
         "未对有限空间进行辨识、建立安全管理台账，并且未设置明显的安全警示标志"),
        ("RQ-9-1", "第九条第（一）项",
         "（一）燃气相对密度大于等于0.75的燃气管道、调压装置和燃具等设置在地下室、半地下室、"
         "地下箱体及其他密闭地下空间内；"),
        ("RQ-6-a", "第六条",
         "在中压及以上地下燃气管线保护范围内，建有占压管线的建筑物、构筑物或者其他设施；"),
        ("HG-7", "第7项",
         "液化烃、液氨、液氯等易燃易爆、有毒有害液化气体的充装未使用万向管道充装系统。"),
        ("HG-19", "第19项",
         "新开发的危险化学品生产工艺未经小试、中试、工业化试验直接进行工业化生产；国内首次使用的"
         "化工工艺未经过省级人民政府有关部门组织的安全可靠性论证；新建装置未制定试生产方案投料"
         "开车；精细化工企业未按规范性文件要求开展反应安全风险评估。"),
        ("YH-20", "第20项", "零售点与居民居住场所设置在同一建筑物内或者在零售场所使用明火。"),
    ],
)  # fmt: skip
def test_item_texts_are_verbatim(item_id: str, clause: str, text: str) -> None:
    item = get_item(item_id)
    assert (item.clause, item.text) == (clause, text)
    assert item.complete and not item.missing


def test_cut_off_items_keep_the_fragment_and_are_flagged() -> None:
    yj5 = get_item("YJ-5")
    assert yj5.truncated and not yj5.wording_confirmed
    assert yj5.text.endswith("超过设计文件规定的最高工作压力，或者炉顶……")
    # YJ-4 was cut off in YJB1; a second repost gives its tail, so it is now complete (S1).
    yj4 = get_item("YJ-4")
    assert yj4.complete and yj4.wording_confirmed and yj4.confidence is Confidence.S1
    assert yj4.text.endswith("电极自动断电和升起装置联锁的；")
    assert get_item("JX-3").text == "（三）生产……"
    assert get_item("RQ-5-4").text == "（四）燃气厂站内……"


def test_missing_items_have_no_text_and_are_unconfirmed() -> None:
    missing = [item for c in official_checklists() for item in c.items if item.missing]
    assert [i.id for i in missing] == [
        *_seq("YJ", range(6, 9)), *_seq("YS", range(1, 8)), *_seq("JX", range(4, 8)),
        *_seq("QG", range(1, 8)), *_seq("FZ", range(1, 3)),
    ]  # fmt: skip
    assert all(i.text == "" and i.confidence is Confidence.U and i.clause for i in missing)
    assert get_item("YS-7").clause == "第五条第（七）项"
    # Retrieved later from one repost each: shipped, but as single-source text.
    for found in ("YS-8", "YS-13", "YC-1", "YC-2"):
        assert get_item(found).confidence is Confidence.S1 and get_item(found).text


def test_no_unconfirmed_text_is_shipped_as_official() -> None:
    items = [item for c in official_checklists() for item in c.items]
    assert all((item.confidence is Confidence.U) == item.missing for item in items)
    # The 专项类 items come from cn-rules, not yet checked against the 公报 wording.
    gongmao = get_checklist(GONGMAO)
    unchecked = [item.id for item in gongmao.items if not item.wording_confirmed]
    assert unchecked == ["YJ-5", "JX-3", *_seq("GD", range(1, 11)), "GA-1", "GA-2", "GC-1", "GC-2"]


def test_every_official_item_is_major_by_definition_with_clause_and_sources() -> None:
    for checklist in official_checklists():
        assert checklist.official and checklist.document_number
        for item in checklist.items:
            assert item.major_by_definition and item.clause and item.cites is None
            assert set(item.sources) <= set(checklist.sources)
            assert is_major_by_definition(item.id)


def test_metadata() -> None:
    gongmao = get_checklist(GONGMAO)
    assert (gongmao.document_number, str(gongmao.effective)) == ("应急管理部令第10号", "2023-05-15")
    assert "安监总管四〔2017〕129号" in gongmao.repeals
    rule = next(p for p in gongmao.provisions if p.applies_to_every_item)
    assert rule.clause == "第十四条" and "失效或者无效均判定为重大事故隐患" in rule.text
    ranqi = get_checklist(RANQI)
    assert (ranqi.document_number, str(ranqi.effective)) == ("建城规〔2023〕4号", "2023-09-21")
    assert get_checklist(HUAGONG).document_number == get_checklist(YANHUA).document_number
    assert get_checklist(HUAGONG).effective is None  # not in the notes; not made up


def test_official_checklists_is_cached_but_returns_a_fresh_list() -> None:
    first = official_checklists()
    first.clear()
    second = official_checklists()
    assert len(second) == 4 and second[0] is official_checklists()[0]


# --- lookups ------------------------------------------------------------------------------------


def test_items_for_filters_by_applicability_and_completeness() -> None:
    assert [i.id for i in items_for(GONGMAO, applicability={"冶金"})] == [
        "GM-1", "GM-2", "GM-3", "YJ-1", "YJ-2", "YJ-3", "YJ-4",
    ]  # fmt: skip
    with_gaps = items_for(GONGMAO, applicability={"冶金"}, include_incomplete=True)
    assert [i.id for i in with_gaps][3:] == _seq("YJ", range(1, 9))
    assert [i.id for i in items_for(GONGMAO, applicability=set())] == ["GM-1", "GM-2", "GM-3"]
    assert len(items_for(GONGMAO)) == 39
    assert len(items_for(GONGMAO, include_incomplete=True)) == 64
    assert [i.id for i in items_for(RANQI, applicability={"气瓶"})] == [
        *_seq("RQ-4", range(1, 6)), "RQ-7-a", *_seq("RQ-9", range(1, 5)),
    ]  # fmt: skip
    assert len(items_for(HUAGONG, applicability=set())) == 20


def test_items_for_refuses_an_unknown_tag() -> None:
    with pytest.raises(UnknownApplicability, match="冶炼") as caught:
        items_for(GONGMAO, applicability={"冶炼"})
    assert isinstance(caught.value, InvalidInput) and caught.value.field == "applicability"


def test_unknown_ids_are_not_found() -> None:
    with pytest.raises(UnknownChecklist, match="gongmao_2017") as caught:
        get_checklist("gongmao_2017")
    assert isinstance(caught.value, NotFound)
    with pytest.raises(UnknownItem, match="HG-21"):
        is_major_by_definition("HG-21")
    with pytest.raises(UnknownItem):
        is_major_by_definition("hg-1")  # ids are exact


# --- custom checklists --------------------------------------------------------------------------


def _custom(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "yichang_hg_2025",
        "title": "宜昌市危险化学品企业重点检查表",
        "issuer": "宜昌市应急管理局",
        "applicability_tags": ["罐区"],
        "items": [
            {"id": "YC-HG-001", "text": "罐区紧急切断阀远程关闭功能失效。", "cites": "HG-5",
             "applicability": ["罐区"]},
            {"id": "YC-HG-002", "clause": "本表第2项", "text": "巡检记录不全。"},
        ],
    }  # fmt: skip
    data.update(changes)
    return data


def _item(**fields: Any) -> dict[str, Any]:
    return {"id": "X-1", "text": "自定义检查项。", **fields}


def test_custom_checklist_inherits_major_status_by_citation() -> None:
    checklist = validate_custom(_custom())
    cited, own = checklist.items
    assert not checklist.official
    assert (cited.major_by_definition, own.major_by_definition) == (True, False)
    assert is_major_by_definition("YC-HG-001", custom=[checklist])
    assert not is_major_by_definition("YC-HG-002", custom=[checklist])
    assert [i.id for i in checklist.items_for(applicability=set())] == ["YC-HG-002"]


def test_custom_item_may_restate_the_inherited_status() -> None:
    data = _custom(items=[_item(cites="GC-1", major_by_definition=True)])
    assert validate_custom(data).items[0].major_by_definition


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id": "huagong_2017_121"}, "id", "'huagong_2017_121' is the official checklist"),
        ({"id": "HuaGong_2017_121"}, "id", "official checklist huagong_2017_121"),
        (
            {"items": [_item(id="HG-5")]},
            "items[0].id",
            "'HG-5' collides with the official item HG-5",
        ),
        (
            {"items": [_item(id="gm-1")]},
            "items[0].id",
            "'gm-1' collides with the official item GM-1",
        ),
        (
            {"items": [_item(id="RQ-5-5")]},
            "items[0].id",
            "'RQ-5-5' has the shape of an official RQ-",
        ),
        ({"items": [_item(id="hg-21")]}, "items[0].id", "shape of an official hg- item id"),
        (
            {"items": [_item(cites="HG-21")]},
            "items[0].cites",
            "cites 'HG-21', which is not an official",
        ),
        ({"items": [_item(cites="hg-5")]}, "items[0].cites", "did you mean 'HG-5'"),
        (
            {"items": [_item(major_by_definition=True)]},
            "items[0].major_by_definition",
            "without citing",
        ),
        (
            {"items": [_item(cites="HG-5", major_by_definition=False)]},
            "items[0].major_by_definition",
            "cites HG-5, so major_by_definition is True",
        ),
        ({"items": [{"id": "X-1", "missing": True}]}, "items[0].missing", "never missing"),
        ({"items": [_item(truncated=True)]}, "items[0].truncated", "never missing or truncated"),
        ({"official": True}, "official", "cannot be official"),
        ({"items": [_item(colour="red")]}, "items[0].colour", "Extra inputs"),
        ({"items": [_item(id="x 1")]}, "items[0].id", "pattern"),
        ({"items": []}, "items", "at least 1"),
        ({"items": [_item(), _item(id="x-1")]}, "checklist", "duplicate item ids"),
        ({"items": [_item(applicability=["储罐"])]}, "checklist", "not in applicability_tags"),
        ({"items": [_item(text="  ")]}, "items[0]", "text is required"),
    ],
)
def test_custom_checklist_refusals_name_the_field(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidChecklist, match=message) as caught:
        validate_custom(_custom(**changes))
    assert caught.value.field == field
    assert isinstance(caught.value, InvalidInput) and caught.value.status_code == 422


def test_custom_checklist_must_be_an_object() -> None:
    with pytest.raises(InvalidChecklist, match="must be an object"):
        validate_custom(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_checklist_model_refuses_counts_that_do_not_match_the_standard() -> None:
    data = get_checklist(HUAGONG).model_dump()
    data["items"] = data["items"][:19]
    with pytest.raises(ValidationError, match="lists 19 items but the standard has 20"):
        Checklist.model_validate(data)
    gongmao = get_checklist(GONGMAO).model_dump()
    gongmao["items"] = [i for i in gongmao["items"] if i["id"] != "YS-13"]
    with pytest.raises(ValidationError, match="第五条 lists 12 items but the standard has 13"):
        Checklist.model_validate(gongmao)
