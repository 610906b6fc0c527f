"""Method tables (factor scales and band sets) loaded from TOML and validated."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any, Final, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from yingji.risks._assessment._levels import Confidence, RiskLevel

MethodName = Literal["LEC", "LS", "MES"]
METHOD_NAMES: Final[tuple[MethodName, ...]] = ("LEC", "LS", "MES")
DATA_FILE: Final = "assessment_methods.toml"


class AssessmentConfigError(ValueError):
    """The method tables or an override file cannot be used; the message names the file."""


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_T = TypeVar("_T", bound=_Table)


class FactorValue(_Table):
    """One allowed value of a factor and what it means."""

    value: float = Field(gt=0, allow_inf_nan=False)
    label: str = Field(min_length=1)


class FactorTable(_Table):
    """The allowed values of one factor (e.g. LEC's C), with source and confidence."""

    label: str = Field(min_length=1)
    source: str = Field(min_length=1)
    confidence: Confidence
    note: str = ""
    values: tuple[FactorValue, ...] = Field(min_length=1)

    @property
    def allowed(self) -> tuple[float, ...]:
        """Return the allowed values in table order."""
        return tuple(v.value for v in self.values)

    @model_validator(mode="after")
    def _values_are_distinct(self) -> Self:
        if len(set(self.allowed)) != len(self.values):
            raise ValueError(f"{self.label}: factor values must be distinct")
        return self


class Band(_Table):
    """One published row of a band set; it matches scores above its lower bound."""

    level: RiskLevel
    label: str = Field(min_length=1)
    published: str = Field(min_length=1)
    lower: float | None = Field(default=None, allow_inf_nan=False)
    lower_inclusive: bool = True

    def matches(self, score: float) -> bool:
        """Return whether the score reaches this band's lower bound (no bound: always)."""
        if self.lower is None:
            return True
        return score >= self.lower if self.lower_inclusive else score > self.lower


class BandSet(_Table):
    """Score bands of a method, highest first, ending in a catch-all row."""

    label: str = Field(min_length=1)
    source: str = Field(min_length=1)
    confidence: Confidence
    note: str = ""
    bands: tuple[Band, ...] = Field(min_length=1)

    def classify(self, score: float) -> Band:
        """Return the first (highest) band whose lower bound the score reaches."""
        return next(band for band in self.bands if band.matches(score))

    @model_validator(mode="after")
    def _bands_tile_the_scores(self) -> Self:
        # Ordered lower bounds with one final catch-all leave neither gaps nor overlaps.
        *bounded, last = self.bands
        if last.lower is not None:
            raise ValueError(f"{self.label}: the last band must have no lower bound")
        bounds = [band.lower for band in bounded if band.lower is not None]
        if len(bounds) != len(bounded):
            raise ValueError(f"{self.label}: only the last band may omit its lower bound")
        if any(a <= b for a, b in pairwise(bounds)):
            raise ValueError(f"{self.label}: lower bounds must strictly decrease")
        if any(a.level < b.level for a, b in pairwise(self.bands)):
            raise ValueError(f"{self.label}: a lower score cannot give a higher risk level")
        return self


class Method(_Table):
    """One assessment method: its factors (in formula order) and its band sets."""

    name: str = Field(min_length=1)
    formula: str = Field(min_length=1)
    clause: str = Field(min_length=1)
    default_band_set: str
    factors: dict[str, FactorTable] = Field(min_length=1)
    band_sets: dict[str, BandSet] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_band_set_exists(self) -> Self:
        if self.default_band_set not in self.band_sets:
            raise ValueError(
                f"{self.name}: default_band_set {self.default_band_set!r} is not one of "
                f"{sorted(self.band_sets)}"
            )
        return self


class MethodCatalog(_Table):
    """All method tables in use: the shipped defaults plus any override."""

    schema_version: Literal[1]
    methods: dict[MethodName, Method]

    @model_validator(mode="after")
    def _every_method_present(self) -> Self:
        missing = [name for name in METHOD_NAMES if name not in self.methods]
        if missing:
            raise ValueError(f"methods missing from the tables: {missing}")
        return self


class MethodOverride(_Table):
    """A deployment's changes to one method: new or replacing band sets and factor tables."""

    default_band_set: str | None = None
    band_sets: dict[str, BandSet] = Field(default_factory=dict)
    factors: dict[str, FactorTable] = Field(default_factory=dict)


class CatalogOverride(_Table):
    """The content of an override file."""

    schema_version: Literal[1] = 1
    methods: dict[MethodName, MethodOverride] = Field(min_length=1)


@lru_cache(maxsize=8)
def load_methods(override: Path | None = None) -> MethodCatalog:
    """Return the method tables, with an override file's band sets and factor tables applied.

    Cached per path; call ``load_methods.cache_clear()`` after editing an override file.
    """
    resource = files("yingji.risks") / "data" / DATA_FILE
    catalog = _parse(MethodCatalog, resource.read_text(encoding="utf-8"), origin=DATA_FILE)
    if override is None:
        return catalog
    try:
        text = Path(override).read_text(encoding="utf-8")
    except OSError as exc:
        raise AssessmentConfigError(f"cannot read risk method override {override}: {exc}") from exc
    return apply_override(catalog, _parse(CatalogOverride, text, origin=str(override)))


def apply_override(catalog: MethodCatalog, override: CatalogOverride) -> MethodCatalog:
    """Return the catalog with band sets and factor tables replaced or added by name."""
    methods = dict(catalog.methods)
    for name, patch in override.methods.items():
        base = methods[name]
        unknown = sorted(set(patch.factors) - set(base.factors))
        if unknown:
            # The formula is fixed; an override may only restate existing factors (e.g. LEC's C).
            raise AssessmentConfigError(
                f"{name}: override names unknown factors {unknown}; "
                f"the factors are {list(base.factors)}"
            )
        merged: dict[str, Any] = {
            **dict(base),
            "default_band_set": patch.default_band_set or base.default_band_set,
            "factors": {**base.factors, **patch.factors},
            "band_sets": {**base.band_sets, **patch.band_sets},
        }
        try:
            methods[name] = Method.model_validate(merged)
        except ValidationError as exc:
            raise AssessmentConfigError(f"{name}: override is not usable: {exc}") from exc
    return MethodCatalog(schema_version=catalog.schema_version, methods=methods)


def _parse(model: type[_T], text: str, *, origin: str) -> _T:
    try:
        return model.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise AssessmentConfigError(f"{origin}: {exc}") from exc
