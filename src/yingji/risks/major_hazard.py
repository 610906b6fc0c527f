"""Major-hazard identification and grading of hazardous chemicals per GB 18218-2018.

Pure functions over the standard's tables (packaged in yingji/risks/data): find a substance's
critical quantity Q (4.1.2), identify a production or storage unit with S = Σ q/Q (4.2.1
formula (1)), grade it with R = α·Σ β·q/Q (4.3.2 formula (2), 4.3.3 表6) and explain what
changed between two identifications. Values on which the standard is silent are configuration,
tagged [U], and every result that uses one carries a note saying so.
"""

from __future__ import annotations

from yingji.risks._major_hazard._change import (
    IdentificationChange,
    ItemChange,
    compare,
    explain_change,
)
from yingji.risks._major_hazard._identify import alpha_band, grade_for, identify
from yingji.risks._major_hazard._models import (
    Contribution,
    CriticalQuantity,
    Identification,
    Note,
    NoteCode,
    SubstanceAmount,
    UnitKind,
)
from yingji.risks._major_hazard._resolve import critical_quantity
from yingji.risks._major_hazard._tables import (
    STANDARD,
    AlphaBand,
    GradeBand,
    HazardCategory,
    MajorHazardGrade,
    NamedSubstance,
    Tables,
    cas_check_digit_ok,
    load_tables,
)

__all__ = [
    "STANDARD",
    "AlphaBand",
    "Contribution",
    "CriticalQuantity",
    "GradeBand",
    "HazardCategory",
    "Identification",
    "IdentificationChange",
    "ItemChange",
    "MajorHazardGrade",
    "NamedSubstance",
    "Note",
    "NoteCode",
    "SubstanceAmount",
    "Tables",
    "UnitKind",
    "alpha_band",
    "cas_check_digit_ok",
    "compare",
    "critical_quantity",
    "explain_change",
    "grade_for",
    "identify",
    "load_tables",
]
