"""Graded risk assessment (安全风险分级): LEC, LS and MES scores mapped to four colour levels.

The factor scales and score bands are data (risks/data/assessment_methods.toml, cn-rules
§3.2–§3.5), each with its source and confidence tag. Tables tagged [U] ship as labelled
configuration: a result that used any of them says ``confirmed=False``. A deployment can replace
band sets (e.g. its province's LS bands) or factor tables (e.g. LEC's C) with an override file:
``assess(..., catalog=load_methods(path))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from yingji.core.errors import InvalidInput
from yingji.risks._assessment._levels import Confidence, RiskLevel
from yingji.risks._assessment._tables import (
    METHOD_NAMES,
    AssessmentConfigError,
    Band,
    BandSet,
    CatalogOverride,
    FactorTable,
    FactorValue,
    Method,
    MethodCatalog,
    MethodName,
    MethodOverride,
    apply_override,
    load_methods,
)

__all__ = [
    "METHOD_NAMES",
    "Assessment",
    "AssessmentConfigError",
    "Band",
    "BandSet",
    "CatalogOverride",
    "Confidence",
    "FactorTable",
    "FactorValue",
    "InvalidAssessment",
    "InvalidFactor",
    "Method",
    "MethodCatalog",
    "MethodName",
    "MethodOverride",
    "RiskLevel",
    "apply_override",
    "assess",
    "assess_lec",
    "assess_ls",
    "assess_mes",
    "classify",
    "load_methods",
]


class InvalidAssessment(InvalidInput, ValueError):
    """The method or band set asked for does not exist (HTTP 422; also a ValueError)."""


class InvalidFactor(InvalidAssessment):
    """A factor is missing, unknown or not one of its allowed values; the message lists them."""


class Assessment(BaseModel):
    """The outcome of one risk assessment, with the tables' provenance."""

    model_config = ConfigDict(frozen=True)

    method: MethodName
    factors: dict[str, float]
    score: float
    level: RiskLevel
    band_set: str
    band_label: str
    confirmed: bool
    sources: tuple[str, ...]


def assess(
    method: MethodName,
    factors: Mapping[str, float | int],
    *,
    bands: str | None = None,
    catalog: MethodCatalog | None = None,
) -> Assessment:
    """Score the factors with the method and grade the score with a band set (default: its own)."""
    tables = _method(load_methods() if catalog is None else catalog, method)
    band_name, band_set = _band_set(tables, method, bands)
    values = _checked_factors(tables, method, factors)
    score = _product(values.values())
    band = band_set.classify(score)
    used: list[FactorTable | BandSet] = [*tables.factors.values(), band_set]
    return Assessment(
        method=method,
        factors=values,
        score=score,
        level=band.level,
        band_set=band_name,
        band_label=band.label,
        confirmed=all(table.confidence.confirmed for table in used),
        sources=tuple(dict.fromkeys(table.source for table in used)),
    )


def assess_lec(
    *,
    likelihood: float,
    exposure: float,
    consequence: float,
    bands: str | None = None,
    catalog: MethodCatalog | None = None,
) -> Assessment:
    """Assess D = L × E × C (作业条件危险性分析法, cn-rules §3.3)."""
    factors = {"L": likelihood, "E": exposure, "C": consequence}
    return assess("LEC", factors, bands=bands, catalog=catalog)


def assess_ls(
    *,
    likelihood: int,
    severity: int,
    bands: str | None = None,
    catalog: MethodCatalog | None = None,
) -> Assessment:
    """Assess R = L × S on the 1..5 risk matrix (cn-rules §3.4)."""
    return assess("LS", {"L": likelihood, "S": severity}, bands=bands, catalog=catalog)


def assess_mes(
    *,
    measures: float,
    exposure: float,
    severity: float,
    bands: str | None = None,
    catalog: MethodCatalog | None = None,
) -> Assessment:
    """Assess R = M × E × S (cn-rules §3.5); the shipped S scale and bands are unconfirmed."""
    factors = {"M": measures, "E": exposure, "S": severity}
    return assess("MES", factors, bands=bands, catalog=catalog)


def classify(
    method: MethodName,
    score: float,
    *,
    bands: str | None = None,
    catalog: MethodCatalog | None = None,
) -> Band:
    """Return the band a raw score falls in (for scores computed elsewhere)."""
    tables = _method(load_methods() if catalog is None else catalog, method)
    return _band_set(tables, method, bands)[1].classify(score)


def _method(catalog: MethodCatalog, method: str) -> Method:
    for name, tables in catalog.methods.items():
        if name == method:
            return tables
    raise InvalidAssessment(
        f"unknown risk assessment method {method!r}; use one of {', '.join(METHOD_NAMES)}",
        field="method",
        allowed=list(METHOD_NAMES),
    )


def _band_set(tables: Method, method: str, bands: str | None) -> tuple[str, BandSet]:
    name = tables.default_band_set if bands is None else bands
    if name not in tables.band_sets:
        raise InvalidAssessment(
            f"{method} has no band set {name!r}; use one of {', '.join(tables.band_sets)}",
            field="bands",
            allowed=list(tables.band_sets),
        )
    return name, tables.band_sets[name]


def _checked_factors(tables: Method, method: str, factors: Mapping[str, Any]) -> dict[str, float]:
    unknown = [name for name in factors if name not in tables.factors]
    if unknown:
        raise InvalidFactor(
            f"{method} has no factor {unknown[0]!r}; its factors are {', '.join(tables.factors)}",
            field=f"factors.{unknown[0]}",
            allowed=list(tables.factors),
        )
    checked: dict[str, float] = {}
    for name, table in tables.factors.items():
        allowed = ", ".join(f"{value:g}" for value in table.allowed)
        if name not in factors:
            raise InvalidFactor(
                f"{method} factor {name} ({table.label}) is missing; allowed values: {allowed}",
                field=f"factors.{name}",
                allowed=list(table.allowed),
            )
        value = factors[name]
        # bool is an int subclass: True must not pass for 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            matched = False
        else:
            matched = value in table.allowed
        if not matched:
            raise InvalidFactor(
                f"{method} factor {name} ({table.label}) must be one of {allowed}; got {value!r}",
                field=f"factors.{name}",
                allowed=list(table.allowed),
            )
        checked[name] = float(value)
    return checked


def _product(values: Iterable[float]) -> float:
    # Decimal keeps products of table values exact (0.1 × 6 × 100 is 60, not 60.00000000000001),
    # so scores that sit on a band boundary are graded as published.
    result = Decimal(1)
    for value in values:
        result *= Decimal(repr(value))
    return float(result)
