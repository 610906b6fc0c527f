"""The official checklists: loaded once from risks/data/checklists/*.toml and checked."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType
from typing import Final

from pydantic import ValidationError

from yingji.risks._checklists._models import Checklist, ChecklistItem
from yingji.risks.assessment import Confidence

DATA_DIR: Final = "checklists"


class ChecklistDataError(ValueError):
    """A shipped checklist file is unusable; the message names the file and the problem."""


@lru_cache(maxsize=1)
def load_official() -> tuple[Checklist, ...]:
    """Return the official checklists in file-name order, each validated (cached)."""
    folder = files("yingji.risks") / "data" / DATA_DIR
    entries = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )
    checklists: list[Checklist] = []
    for entry in entries:
        try:
            checklist = Checklist.model_validate(tomllib.loads(entry.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            raise ChecklistDataError(f"{entry.name}: {exc}") from exc
        stem = entry.name.removesuffix(".toml")
        if checklist.id != stem:
            raise ChecklistDataError(f"{entry.name}: id {checklist.id!r} must equal {stem!r}")
        problems = _official_problems(checklist)
        if problems:
            raise ChecklistDataError(f"{entry.name}: " + "; ".join(problems))
        checklists.append(checklist)
    if not checklists:
        raise ChecklistDataError(f"no checklist files in yingji.risks/data/{DATA_DIR}")
    _build_index(checklists)  # fails on an item id used by two standards
    return tuple(checklists)


@lru_cache(maxsize=1)
def official_index() -> Mapping[str, tuple[Checklist, ChecklistItem]]:
    """Return every official item by id, with its checklist (cached)."""
    return _build_index(load_official())


def _build_index(
    checklists: Iterable[Checklist],
) -> Mapping[str, tuple[Checklist, ChecklistItem]]:
    index: dict[str, tuple[Checklist, ChecklistItem]] = {}
    folded: dict[str, str] = {}
    for checklist in checklists:
        for item in checklist.items:
            other = folded.setdefault(item.id.casefold(), item.id)
            if item.id in index or other != item.id:
                raise ChecklistDataError(f"item id {item.id!r} is used by two official items")
            index[item.id] = (checklist, item)
    return MappingProxyType(index)


def official_prefixes() -> frozenset[str]:
    """Return the official item-id prefixes (e.g. "hg"), case-folded, reserved for official use."""
    return frozenset(item_id.split("-", 1)[0].casefold() for item_id in official_index())


def _official_problems(checklist: Checklist) -> list[str]:
    # What a transcribed 判定标准 must carry beyond the shape every checklist has.
    problems: list[str] = []
    if not checklist.official:
        problems.append("official must be true")
    if not checklist.document_number or checklist.confidence is None:
        problems.append("document_number and confidence are required")
    if checklist.complete and checklist.expected_items is None:
        problems.append("a complete checklist states expected_items")
    for item in checklist.items:
        if not item.clause or item.confidence is None:
            problems.append(f"{item.id}: clause and confidence are required")
        if not item.major_by_definition:
            problems.append(f"{item.id}: a 判定标准 item is major by definition")
        if item.cites is not None:
            problems.append(f"{item.id}: an official item cites nothing")
        if item.missing and item.confidence is not Confidence.U:
            problems.append(f"{item.id}: a missing item is unconfirmed (U)")
        if "-" not in item.id:
            problems.append(f"{item.id}: an official id is PREFIX-number")
    return problems
