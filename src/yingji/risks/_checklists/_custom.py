"""Custom checklists written by a bureau or an enterprise, checked against the official ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from pydantic import ValidationError

from yingji.core.errors import InvalidInput
from yingji.risks._checklists._models import Checklist, ChecklistItem
from yingji.risks._checklists._official import load_official, official_index, official_prefixes

_OFFICIAL_SHAPE: Final = re.compile(r"\d+(-(\d+|[a-z]))?")


class InvalidChecklist(InvalidInput, ValueError):
    """A custom checklist is refused; ``field`` is the path of the offending value (HTTP 422)."""


def validate_custom(data: Mapping[str, Any]) -> Checklist:
    """Return a custom checklist validated against the official ones, items' major status resolved.

    Ids may not collide (ignoring case) with an official checklist or item id, nor have the shape
    of one (an official prefix and numbers, e.g. "HG-21", "RQ-5-5"). An item is major by
    definition only by citing an official item (``cites``), from which it inherits the status;
    stating a different status is refused.
    """
    if not isinstance(data, Mapping):
        raise InvalidChecklist("a checklist must be an object", field="checklist")
    if data.get("official"):
        raise InvalidChecklist(
            "a custom checklist cannot be official: official checklists ship with yingji",
            field="official",
        )
    try:
        checklist = Checklist.model_validate({**data, "official": False})
    except ValidationError as exc:
        raise _invalid(exc) from exc
    _check_checklist_id(checklist.id)
    items = tuple(_resolve(index, item) for index, item in enumerate(checklist.items))
    return checklist.model_copy(update={"items": items})


def _check_checklist_id(checklist_id: str) -> None:
    for official in load_official():
        if official.id.casefold() == checklist_id.casefold():
            raise InvalidChecklist(
                f"checklist id {checklist_id!r} is the official checklist {official.id}",
                field="id",
            )


def _resolve(index: int, item: ChecklistItem) -> ChecklistItem:
    where = f"items[{index}]"
    if item.missing or item.truncated:
        raise InvalidChecklist(
            f"item {item.id!r}: a custom item is written in full, never missing or truncated",
            field=f"{where}.missing" if item.missing else f"{where}.truncated",
        )
    _check_item_id(item.id, field=f"{where}.id")
    if item.cites is None:
        if item.major_by_definition:
            raise InvalidChecklist(
                f"item {item.id!r} cannot be major by definition without citing an official "
                "判定标准 item (cites)",
                field=f"{where}.major_by_definition",
            )
        return item
    cited = official_index().get(item.cites)
    if cited is None:
        raise InvalidChecklist(
            f"item {item.id!r} cites {item.cites!r}, which is not an official item"
            + _did_you_mean(item.cites),
            field=f"{where}.cites",
        )
    inherited = cited[1].major_by_definition
    if "major_by_definition" in item.model_fields_set and item.major_by_definition != inherited:
        raise InvalidChecklist(
            f"item {item.id!r} cites {item.cites}, so major_by_definition is {inherited}",
            field=f"{where}.major_by_definition",
        )
    return item.model_copy(update={"major_by_definition": inherited})


def _check_item_id(item_id: str, *, field: str) -> None:
    folded = item_id.casefold()
    for official_id in official_index():
        if official_id.casefold() == folded:
            raise InvalidChecklist(
                f"item id {item_id!r} collides with the official item {official_id}", field=field
            )
    # Ids shaped like an official one (PREFIX-n, PREFIX-a-n) stay reserved, so that items still to
    # be transcribed (e.g. RQ-5-5) can never collide; "YC-HG-001" is free to use.
    head, _, rest = folded.partition("-")
    if head in official_prefixes() and _OFFICIAL_SHAPE.fullmatch(rest):
        raise InvalidChecklist(
            f"item id {item_id!r} has the shape of an official {item_id.split('-', 1)[0]}- item "
            "id, which is reserved",
            field=field,
        )


def _did_you_mean(item_id: str) -> str:
    for official_id in official_index():
        if official_id.casefold() == item_id.casefold():
            return f"; did you mean {official_id!r}?"
    return ""


def _invalid(exc: ValidationError) -> InvalidChecklist:
    first = exc.errors()[0]
    path = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
    ).lstrip(".")
    return InvalidChecklist(f"{path or 'checklist'}: {first['msg']}", field=path or "checklist")
