"""Find a substance's critical quantity Q and β (GB 18218-2018 4.1.2, 4.3.2 tables 3 and 4)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from yingji.core.errors import InvalidInput
from yingji.risks._major_hazard._models import CriticalQuantity, Note, NoteCode
from yingji.risks._major_hazard._tables import (
    STANDARD,
    HazardCategory,
    NamedSubstance,
    Tables,
    cas_check_digit_ok,
    load_tables,
    normalise,
    normalise_symbols,
)


def critical_quantity(
    *,
    seq: int | None = None,
    cas: str | None = None,
    name: str | None = None,
    hazard_classes: Sequence[str] = (),
) -> CriticalQuantity:
    """Return Q and β for a substance named by 序号, CAS or name, or described by its classes."""
    cas = normalise(cas) or None if cas is not None else None
    name = normalise(name) or None if name is not None else None
    symbols = normalise_symbols(hazard_classes)
    if seq is None and cas is None and name is None and not symbols:
        raise InvalidInput("give seq, cas, name or hazard_classes", field="name")
    return resolve(
        load_tables(),
        seq=seq,
        cas=cas,
        name=name,
        symbols=symbols,
        subject="substance",
        prefix="",
    )


def resolve(
    tables: Tables,
    *,
    seq: int | None,
    cas: str | None,
    name: str | None,
    symbols: tuple[str, ...],
    subject: str,
    prefix: str,
) -> CriticalQuantity:
    """Apply 4.1.2: Table 1 when listed, else the lowest Table 2 Q among the hazard classes."""
    unknown = [s for s in symbols if s not in tables.categories]
    if unknown:
        raise InvalidInput(
            f"{subject}: unknown hazard class {', '.join(unknown)}; "
            f"GB 18218-2018 Table 2 has {', '.join(tables.categories)}",
            field=f"{prefix}hazard_classes",
        )
    categories = [tables.categories[s] for s in symbols]
    row = _find_row(tables, seq=seq, cas=cas, name=name, subject=subject, prefix=prefix)
    if row is not None:
        return _from_table1(tables, row, categories)
    if not categories:
        raise InvalidInput(
            f"{subject}: {cas or name} is not in GB 18218-2018 Table 1; give its hazard classes "
            "(Table 2 symbols) so that Q can come from Table 2 (4.1.2 b)",
            field=f"{prefix}hazard_classes",
        )
    return _from_table2(tables, categories)


def _find_row(
    tables: Tables,
    *,
    seq: int | None,
    cas: str | None,
    name: str | None,
    subject: str,
    prefix: str,
) -> NamedSubstance | None:
    # Every identifier given must point at the same single Table 1 row, or at none.
    lookups: list[tuple[str, str, tuple[NamedSubstance, ...]]] = []
    if seq is not None:
        row = tables.substance(seq)
        if row is None:
            raise InvalidInput(
                f"{subject}: GB 18218-2018 Table 1 has no 序号 {seq} (1–{len(tables.substances)})",
                field=f"{prefix}seq",
            )
        lookups.append(("seq", f"序号 {seq}", (row,)))
    if cas is not None:
        if not cas_check_digit_ok(cas):
            raise InvalidInput(
                f"{subject}: {cas!r} is not a valid CAS number (format or check digit)",
                field=f"{prefix}cas",
            )
        lookups.append(("cas", f"CAS {cas}", tables.by_cas(cas)))
    if name is not None:
        lookups.append(("name", f"name {name!r}", tables.by_name(name)))
    found = [lookup for lookup in lookups if lookup[2]]
    if not found:
        return None
    missing = [lookup for lookup in lookups if not lookup[2]]
    if missing:
        raise InvalidInput(
            f"{subject}: {found[0][1]} is in GB 18218-2018 Table 1 "
            f"(序号 {_seqs(found[0][2])}) but {missing[0][1]} is not",
            field=f"{prefix}{missing[0][0]}",
        )
    common = set.intersection(*({r.seq for r in rows} for _, _, rows in found))
    described = " and ".join(what for _, what, _ in found)
    if not common:
        raise InvalidInput(
            f"{subject}: {described} point at different Table 1 rows",
            field=f"{prefix}{found[-1][0]}",
        )
    if len(common) > 1:
        raise InvalidInput(
            f"{subject}: {described} matches GB 18218-2018 Table 1 序号 {_seqs(common)}; "
            "give seq (序号) or the full name",
            field=f"{prefix}{found[-1][0]}",
        )
    return tables.substance(common.pop())


def _seqs(rows: tuple[NamedSubstance, ...] | set[int]) -> str:
    numbers = sorted(r if isinstance(r, int) else r.seq for r in rows)
    return ", ".join(str(n) for n in numbers)


def _pick_class(
    tables: Tables, categories: list[HazardCategory]
) -> tuple[HazardCategory, Note | None]:
    """Pick the class that sets the lowest Q; flag the β choice when it matters [U]."""
    lowest = min(c.critical_quantity_t for c in categories)
    # Tie on the lowest Q: the largest β (config practice.several_classes.tie_break).
    chosen = max(
        (c for c in categories if c.critical_quantity_t == lowest),
        key=lambda c: c.beta or 0,
    )
    if len({c.beta for c in categories}) == 1:
        return chosen, None  # every class gives the same β: no choice was made
    symbols = "/".join(c.symbol for c in categories)
    note = Note(
        code=NoteCode.BETA_PRACTICE,
        confidence="[U]",
        message=f"β={chosen.beta} from {chosen.symbol} of {symbols}: "
        + tables.several_classes.note,
    )
    return chosen, note


def _from_table1(
    tables: Tables, row: NamedSubstance, categories: list[HazardCategory]
) -> CriticalQuantity:
    symbol: str | None = None
    beta: Decimal | None
    notes: tuple[Note, ...] = ()
    if row.beta is not None:  # a listed toxic gas: 4.3.2 表3
        beta, beta_basis = row.beta, f"{STANDARD} 4.3.2 表3"
    elif (practice := tables.practice_beta.get(row.seq)) is not None:
        beta, beta_basis = practice.beta, f"{STANDARD} 4.3.2 {practice.basis} [U]"
        notes = (Note(code=NoteCode.BETA_PRACTICE, confidence="[U]", message=practice.note),)
    elif categories:  # not in 表3: 表4 by the substance's hazard class
        chosen, choice = _pick_class(tables, categories)
        symbol, beta = chosen.symbol, chosen.beta
        beta_basis = f"{STANDARD} 4.3.2 表4 {chosen.symbol}"
        notes = () if choice is None else (choice,)
    else:
        beta, beta_basis = None, None
        notes = (
            Note(
                code=NoteCode.BETA_MISSING,
                confidence="[T]",
                message=f"{row.name} is not in Table 3; β needs its hazard class (Table 4)",
            ),
        )
    return CriticalQuantity(
        critical_quantity_t=row.critical_quantity_t,
        basis=f"{STANDARD} 4.1.2 a) 表1 序号{row.seq}",
        seq=row.seq,
        name=row.name,
        symbol=symbol,
        beta=beta,
        beta_basis=beta_basis,
        beta_confirmed=beta is not None and all(n.confidence == "[T]" for n in notes),
        notes=notes,
    )


def _from_table2(tables: Tables, categories: list[HazardCategory]) -> CriticalQuantity:
    chosen, choice = _pick_class(tables, categories)
    symbols = "/".join(c.symbol for c in categories)
    notes = [
        Note(
            code=NoteCode.NOT_IN_TABLE1,
            confidence="[T]",
            message=f"not in Table 1: Q from Table 2 by hazard class {symbols}"
            + (" (lowest Q of several classes)" if len(categories) > 1 else ""),
        )
    ]
    if choice is not None:
        notes.append(choice)
    if chosen.quantity_note:  # W3 aerosols: 150 t net weight
        notes.append(
            Note(
                code=NoteCode.NET_WEIGHT,
                confidence="[T]",
                message=f"{chosen.symbol} Q is {chosen.quantity_note}: give q as net weight",
            )
        )
    return CriticalQuantity(
        critical_quantity_t=chosen.critical_quantity_t,
        basis=f"{STANDARD} 4.1.2 b) 表2 {chosen.symbol}",
        seq=None,
        name=None,
        symbol=chosen.symbol,
        beta=chosen.beta,
        beta_basis=f"{STANDARD} 4.3.2 表4 {chosen.symbol}",
        beta_confirmed=choice is None,
        notes=tuple(notes),
    )
