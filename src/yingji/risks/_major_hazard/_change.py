"""Compare two identifications of a unit so that the audit trail can say why a grade moved."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from yingji.risks._major_hazard._models import Contribution, Identification
from yingji.risks._major_hazard._tables import MajorHazardGrade


class ItemChange(BaseModel):
    """How one item of the unit changed between two identifications."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    display: str
    change: Literal["added", "removed", "changed"]
    quantity_before_t: Decimal | None
    quantity_after_t: Decimal | None
    critical_before_t: Decimal | None
    critical_after_t: Decimal | None
    ratio_before: float | None
    ratio_after: float | None
    beta_before: Decimal | None
    beta_after: Decimal | None


class IdentificationChange(BaseModel):
    """What differs between two identifications of the same unit, and the summary line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: tuple[ItemChange, ...]
    s_before: float
    s_after: float
    major_before: bool
    major_after: bool
    r_before: float | None
    r_after: float | None
    grade_before: MajorHazardGrade | None
    grade_after: MajorHazardGrade | None
    exposed_people_before: int
    exposed_people_after: int
    alpha_before: Decimal
    alpha_after: Decimal

    @property
    def grade_changed(self) -> bool:
        """Say whether the major-hazard status or grade differs."""
        return (self.major_before, self.grade_before) != (self.major_after, self.grade_after)

    def summary(self) -> str:
        """Return one line for the audit trail: items, S, R, α and grade, before → after."""
        parts = [_describe(item) for item in self.items]
        if self.exposed_people_before != self.exposed_people_after:
            parts.append(
                f"exposed people {self.exposed_people_before} → {self.exposed_people_after} "
                f"(α {self.alpha_before} → {self.alpha_after})"
            )
        parts.append(_pair("S", self.s_before, self.s_after))
        parts.append(_pair("R", self.r_before, self.r_after))
        parts.append(
            f"{_status(self.major_before, self.grade_before)} → "
            f"{_status(self.major_after, self.grade_after)}"
            if self.grade_changed
            else f"{_status(self.major_after, self.grade_after)} unchanged"
        )
        return "GB 18218-2018: " + "; ".join(parts)


def _num(value: float | Decimal | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _pair(label: str, before: float | None, after: float | None) -> str:
    if _num(before) == _num(after):
        return f"{label} {_num(after)} unchanged"
    return f"{label} {_num(before)} → {_num(after)}"


def _status(major: bool, grade: MajorHazardGrade | None) -> str:
    if not major:
        return "not a major hazard"
    return f"major hazard {grade.value}" if grade else "major hazard (grade unknown)"


def _describe(item: ItemChange) -> str:
    if item.change == "added":
        quantity, ratio = _num(item.quantity_after_t), _num(item.ratio_after)
        return f"added {item.display}: q {quantity} t (q/Q {ratio})"
    if item.change == "removed":
        return f"removed {item.display}: q {_num(item.quantity_before_t)} t"
    text = f"{item.display}: q {_num(item.quantity_before_t)} → {_num(item.quantity_after_t)} t"
    if item.critical_before_t != item.critical_after_t:
        text += f", Q {_num(item.critical_before_t)} → {_num(item.critical_after_t)} t"
    if item.beta_before != item.beta_after:
        text += f", β {_num(item.beta_before)} → {_num(item.beta_after)}"
    return text + f" (q/Q {_num(item.ratio_before)} → {_num(item.ratio_after)})"


def _item_change(
    key: str, before: Contribution | None, after: Contribution | None
) -> ItemChange | None:
    if before is not None and after is not None:
        same = (before.quantity_t, before.critical_quantity_t, before.beta) == (
            after.quantity_t,
            after.critical_quantity_t,
            after.beta,
        )
        if same:
            return None
    either = after if after is not None else before
    if either is None:  # cannot happen: the key came from one side; keeps the types honest
        return None
    return ItemChange(
        key=key,
        display=either.display,
        change="added" if before is None else "removed" if after is None else "changed",
        quantity_before_t=before.quantity_t if before else None,
        quantity_after_t=after.quantity_t if after else None,
        critical_before_t=before.critical_quantity_t if before else None,
        critical_after_t=after.critical_quantity_t if after else None,
        ratio_before=before.ratio if before else None,
        ratio_after=after.ratio if after else None,
        beta_before=before.beta if before else None,
        beta_after=after.beta if after else None,
    )


def compare(before: Identification, after: Identification) -> IdentificationChange:
    """Return what changed between two identifications of one unit, item by item."""
    old = {c.key: c for c in before.items}
    new = {c.key: c for c in after.items}
    keys = list(dict.fromkeys([*old, *new]))  # before's order, then items added after
    changes = [_item_change(key, old.get(key), new.get(key)) for key in keys]
    return IdentificationChange(
        items=tuple(c for c in changes if c is not None),
        s_before=before.s,
        s_after=after.s,
        major_before=before.is_major,
        major_after=after.is_major,
        r_before=before.r,
        r_after=after.r,
        grade_before=before.grade,
        grade_after=after.grade,
        exposed_people_before=before.exposed_people,
        exposed_people_after=after.exposed_people,
        alpha_before=before.alpha,
        alpha_after=after.alpha,
    )


def explain_change(before: Identification, after: Identification) -> str:
    """Say, in one line for the audit trail, why a unit's identification or grade changed."""
    return compare(before, after).summary()
