"""Identify and grade one unit (GB 18218-2018 4.2.1 formula (1), 4.3.2 formula (2), 4.3.3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from yingji.core.errors import InvalidInput
from yingji.risks._major_hazard._models import (
    Contribution,
    Identification,
    Note,
    NoteCode,
    SubstanceAmount,
    UnitKind,
)
from yingji.risks._major_hazard._resolve import resolve
from yingji.risks._major_hazard._tables import (
    STANDARD,
    AlphaBand,
    MajorHazardGrade,
    load_tables,
)


def alpha_band(exposed_people: int) -> AlphaBand:
    """Return the Table 5 row for the permanent residents within 500 m of the unit."""
    if exposed_people < 0:
        raise InvalidInput("exposed_people cannot be negative", field="exposed_people")
    bands = load_tables().alpha_bands
    # Bands run from the top down and tile 0..∞ (checked at load), so the first fit is it.
    return next(band for band in bands if exposed_people >= band.min_people)


def grade_for(r: Decimal | Fraction | float) -> MajorHazardGrade:
    """Return the grade of a grading index R (GB 18218-2018 4.3.3 表6; lower bounds inclusive)."""
    exact = Fraction(r)
    if exact < 0:
        raise InvalidInput("R cannot be negative", field="r")
    bands = load_tables().grade_bands
    return next(band.grade for band in bands if exact >= Fraction(band.min_r))


def _subject(index: int, item: SubstanceAmount) -> str:
    return f"item {index + 1}" + (f" ({item.label})" if item.label else "")


def identify(
    items: Sequence[SubstanceAmount], *, unit_kind: UnitKind, exposed_people: int
) -> Identification:
    """Decide whether one unit is a major hazard and grade it (GB 18218-2018 4.2.1, 4.3)."""
    if not items:
        raise InvalidInput("a unit needs at least one hazardous chemical", field="items")
    band = alpha_band(exposed_people)
    tables = load_tables()
    contributions: list[Contribution] = []
    notes: list[Note] = []
    identities: set[tuple[object, ...]] = set()
    keys: Counter[str] = Counter()
    # Exact rationals: S = 1 and R = 10/50/100 must land on the right side of each boundary.
    s_total = Fraction(0)
    weighted: Fraction | None = Fraction(0)
    for index, item in enumerate(items):
        cq = resolve(
            tables,
            seq=item.seq,
            cas=item.cas,
            name=item.name,
            symbols=item.hazard_classes,
            subject=_subject(index, item),
            prefix=f"items[{index}].",
        )
        notes.extend(note.model_copy(update={"item": index}) for note in cq.notes)
        ratio = Fraction(item.quantity_t) / Fraction(cq.critical_quantity_t)
        s_total += ratio
        if weighted is not None and cq.beta is not None:
            weighted += Fraction(cq.beta) * ratio
        else:
            weighted = None
        if cq.seq is not None:
            identities.add(("表1", cq.seq))
        else:
            identities.add(("表2", item.cas, item.name, item.hazard_classes, item.label, index))
        listed = f"表1 序号{cq.seq}" if cq.seq else None
        base_key = item.label or listed or item.cas or item.name or "+".join(item.hazard_classes)
        keys[base_key] += 1
        display = item.label or cq.name or item.name or item.cas or "/".join(item.hazard_classes)
        contributions.append(
            Contribution(
                index=index,
                key=base_key if keys[base_key] == 1 else f"{base_key} #{keys[base_key]}",
                display=display,
                seq=cq.seq,
                name=cq.name,
                cas=item.cas,
                hazard_classes=item.hazard_classes,
                quantity_t=item.quantity_t,
                critical_quantity_t=cq.critical_quantity_t,
                q_basis=cq.basis,
                ratio=float(ratio),
                beta=cq.beta,
                beta_basis=cq.beta_basis,
                beta_confirmed=cq.beta_confirmed,
            )
        )
    is_major = s_total >= 1
    if len(identities) == 1:
        criterion = f"{STANDARD} 4.2.1 a) 单一品种: q ≥ Q"
    else:
        criterion = f"{STANDARD} 4.2.1 b) 式(1): S = Σ q/Q ≥ 1"
    r: Fraction | None = None
    if weighted is not None:
        r = Fraction(band.alpha) * weighted  # 4.3.2 formula (2): R = α·Σ β·q/Q
    else:
        notes.append(
            Note(
                code=NoteCode.R_UNAVAILABLE,
                confidence="[T]",
                message="R (4.3.2 formula (2)) needs β for every item"
                + ("; the grade cannot be set" if is_major else ""),
            )
        )
    return Identification(
        unit_kind=unit_kind,
        items=tuple(contributions),
        s=float(s_total),
        is_major=is_major,
        criterion=criterion,
        exposed_people=exposed_people,
        alpha=band.alpha,
        alpha_basis=f"{STANDARD} 4.3.2 表5 {band.label}",
        r=None if r is None else float(r),
        grade=grade_for(r) if is_major and r is not None else None,
        notes=tuple(notes),
    )
