"""Hazard checklists: the official 重大事故隐患判定标准 as data, plus custom checklists.

The official checklists ship in risks/data/checklists/*.toml, one file per standard, transcribed
word for word from /work/shared/domain/hazard-standards.md (and cn-rules.md §4), each with its
source keys and confidence tag (T, S2, S1, U). Nothing is filled in: an item the sources did not
give is listed with ``missing=True`` and no text, so counts stay right; a text the sources cut off
keeps what they give, with ``truncated=True``. ``items_for`` leaves both out unless asked.

Item ids are the stable keys of hazard-standards.md; never renumber, rename or reuse one:

- 工贸 (应急管理部令第10号, ``gongmao_2023_10``): ``GM-n`` 第三条 管理类; ``YJ`` 冶金 第四条,
  ``YS`` 有色 第五条, ``JC`` 建材 第六条, ``JX`` 机械 第七条, ``QG`` 轻工 第八条, ``FZ`` 纺织
  第九条, ``YC`` 烟草 第十条; ``GD`` 粉尘涉爆 第十一条, ``GA`` 液氨制冷 第十二条, ``GC`` 有限空间
  第十三条. ``n`` is the item number: ``YJ-2`` is 第四条第（二）项.
- 城镇燃气 (建城规〔2023〕4号, ``chengzhen_ranqi_2023_4``): ``RQ-a-n`` is article a, item n; where
  the item number is unknown the last part is a letter (``RQ-6-a``).
- 化工 and 烟花爆竹 (安监总管三〔2017〕121号, ``huagong_2017_121``, ``yanhua_2017_121``): ``HG-n``
  and ``YH-n``, n = 1…20 in the order of the standard (clause "第n项").

Every official item is a criterion of a 判定标准: failing it is a major hazard by definition. Rules
that apply to every item (工贸 第十四条: a failed or ineffective device counts as none) are
``Checklist.provisions`` with ``applies_to_every_item``. A custom checklist (``validate_custom``)
has the same shape; its items are major by definition only by citing an official item.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from yingji.risks._checklists._custom import InvalidChecklist, validate_custom
from yingji.risks._checklists._models import (
    Article,
    Checklist,
    ChecklistItem,
    Provision,
    Source,
    UnknownApplicability,
    UnknownChecklist,
    UnknownItem,
)
from yingji.risks._checklists._official import ChecklistDataError, load_official, official_index
from yingji.risks.assessment import Confidence

__all__ = [
    "Article",
    "Checklist",
    "ChecklistDataError",
    "ChecklistItem",
    "Confidence",
    "InvalidChecklist",
    "Provision",
    "Source",
    "UnknownApplicability",
    "UnknownChecklist",
    "UnknownItem",
    "get_checklist",
    "get_item",
    "is_major_by_definition",
    "items_for",
    "official_checklists",
    "validate_custom",
]


def official_checklists() -> list[Checklist]:
    """Return the official checklists, validated once and cached."""
    return list(load_official())


def get_checklist(checklist_id: str) -> Checklist:
    """Return the official checklist with this id."""
    for checklist in load_official():
        if checklist.id == checklist_id:
            return checklist
    known = [checklist.id for checklist in load_official()]
    raise UnknownChecklist(
        f"no checklist {checklist_id!r}; the official checklists are {known}", field="checklist_id"
    )


def items_for(
    checklist_id: str, *, applicability: Set[str] | None = None, include_incomplete: bool = False
) -> tuple[ChecklistItem, ...]:
    """Return an official checklist's items for a unit with these tags (see Checklist.items_for)."""
    return get_checklist(checklist_id).items_for(
        applicability=applicability, include_incomplete=include_incomplete
    )


def get_item(item_id: str, *, custom: Iterable[Checklist] = ()) -> ChecklistItem:
    """Return the item with this id from the official checklists or the given custom ones."""
    found = official_index().get(item_id)
    if found is not None:
        return found[1]
    for checklist in custom:
        for item in checklist.items:
            if item.id == item_id:
                return item
    raise UnknownItem(f"no checklist item {item_id!r}", field="item_id")


def is_major_by_definition(item_id: str, *, custom: Iterable[Checklist] = ()) -> bool:
    """Return whether failing this item is a major hazard by definition (unknown ids raise)."""
    return get_item(item_id, custom=custom).major_by_definition
