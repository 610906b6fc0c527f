"""Checklist models: a checklist's items, articles and provisions, checked for consistency."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Set
from datetime import date
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yingji.core.errors import InvalidInput, NotFound
from yingji.risks.assessment import Confidence

# Letters, digits, "_", "." and "-"; official item ids look like "GM-1", "RQ-6-a", "HG-20".
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class UnknownChecklist(NotFound, LookupError):
    """No checklist has this id (HTTP 404; also a LookupError)."""


class UnknownItem(NotFound, LookupError):
    """No checklist item has this id (HTTP 404; also a LookupError)."""


class UnknownApplicability(InvalidInput, ValueError):
    """An applicability tag is not one the checklist uses; the message lists them (HTTP 422)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where a transcription came from, keyed in the checklist's ``sources`` table."""

    what: str = Field(min_length=1)
    where: str = Field(min_length=1)


class Provision(_Frozen):
    """A clause of the standard that is not a checklist item (purpose, scope, general rules)."""

    clause: str = Field(min_length=1)
    text: str = Field(min_length=1)
    confidence: Confidence | None = None
    sources: tuple[str, ...] = ()
    applies_to_every_item: bool = False
    note: str = ""


class Article(_Frozen):
    """An article (or a custom checklist's section) that groups items under one head."""

    number: int = Field(ge=1)
    clause: str = Field(min_length=1)
    category: str = ""
    subject: str = ""
    head: str = ""  # verbatim; "" when the sources do not give it word for word
    head_complete: bool = True
    head_confidence: Confidence | None = None
    head_sources: tuple[str, ...] = ()
    expected_items: int | None = Field(default=None, ge=0)
    expected_items_confidence: Confidence | None = None
    complete: bool = True  # every item of the article is listed, with its text or as missing
    note: str = ""


class ChecklistItem(_Frozen):
    """One check: failing it is a hazard, and a major one if ``major_by_definition``."""

    id: str = Field(pattern=ID_PATTERN)
    clause: str = ""
    text: str = ""  # verbatim; "" only when missing
    article: int | None = Field(default=None, ge=1)
    item_no: int | None = Field(default=None, ge=1)  # None when the source does not number it
    applicability: tuple[str, ...] = ()  # empty: every unit the checklist covers
    major_by_definition: bool = False
    confidence: Confidence | None = None
    sources: tuple[str, ...] = ()
    missing: bool = False  # not retrieved: listed so the count is right, never shown as text
    truncated: bool = False  # the sources break off; ``text`` is the part they give
    wording_confirmed: bool = True
    cites: str | None = None  # a custom item's official item id
    note: str = ""

    @property
    def complete(self) -> bool:
        """Return whether the item's full text is present."""
        return not (self.missing or self.truncated)

    def applies_to(self, tags: Set[str]) -> bool:
        """Return whether the item concerns a unit with these applicability tags."""
        return not self.applicability or not tags.isdisjoint(self.applicability)

    @model_validator(mode="after")
    def _text_matches_status(self) -> Self:
        if self.missing and (self.text or self.truncated):
            raise ValueError(f"{self.id}: a missing item has no text and cannot be truncated")
        if not self.missing and not self.text.strip():
            raise ValueError(f"{self.id}: text is required unless the item is missing")
        return self


class Checklist(_Frozen):
    """A hazard checklist: an official 判定标准 transcribed from its sources, or a custom one."""

    schema_version: Literal[1] = 1
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    official: bool = False
    issuer: str = Field(min_length=1)
    document_number: str = ""
    adopted: date | None = None
    published: date | None = None
    effective: date | None = None
    confidence: Confidence | None = None  # of the metadata (number, dates)
    metadata_sources: tuple[str, ...] = ()
    scope: str = ""
    preamble: str = ""
    repeals: str = ""
    url: str = ""
    expected_items: int | None = Field(default=None, ge=1)
    complete: bool = True  # every item is listed (texts may still be missing)
    applicability_tags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: dict[str, Source] = Field(default_factory=dict)
    provisions: tuple[Provision, ...] = ()
    articles: tuple[Article, ...] = ()
    items: tuple[ChecklistItem, ...] = Field(min_length=1)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Return the item ids in checklist order."""
        return tuple(item.id for item in self.items)

    @property
    def missing_items(self) -> tuple[ChecklistItem, ...]:
        """Return the items whose text the sources did not give."""
        return tuple(item for item in self.items if item.missing)

    @property
    def fully_transcribed(self) -> bool:
        """Return whether every item is listed and every text is complete."""
        return self.complete and all(item.complete for item in self.items)

    def item(self, item_id: str) -> ChecklistItem:
        """Return the item with this id."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise UnknownItem(f"checklist {self.id} has no item {item_id!r}", field="item_id")

    def article(self, number: int) -> Article:
        """Return the article with this number."""
        for article in self.articles:
            if article.number == number:
                return article
        raise LookupError(f"checklist {self.id} has no article {number}")

    def items_for(
        self, *, applicability: Set[str] | None = None, include_incomplete: bool = False
    ) -> tuple[ChecklistItem, ...]:
        """Return the items for a unit with these tags (None: all), complete texts only by default.

        An item without tags concerns every unit the checklist covers. Missing or cut-off items are
        left out unless ``include_incomplete``: their text cannot be checked against.
        """
        if applicability is not None:
            unknown = sorted(set(applicability) - set(self.applicability_tags))
            if unknown:
                raise UnknownApplicability(
                    f"checklist {self.id} has no applicability {unknown}; "
                    f"it uses {list(self.applicability_tags)}",
                    field="applicability",
                )
        return tuple(
            item
            for item in self.items
            if (include_incomplete or item.complete)
            and (applicability is None or item.applies_to(applicability))
        )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _no_duplicates("item id", (item.id.casefold() for item in self.items))
        _no_duplicates("article number", (str(article.number) for article in self.articles))
        _no_duplicates("applicability tag", self.applicability_tags)
        tags = set(self.applicability_tags)
        numbers = {article.number for article in self.articles}
        for item in self.items:
            if item.article is not None and item.article not in numbers:
                raise ValueError(f"{item.id}: article {item.article} is not in articles")
            if not tags.issuperset(item.applicability):
                raise ValueError(
                    f"{item.id}: applicability {sorted(set(item.applicability) - tags)} "
                    f"is not in applicability_tags"
                )
        self._sources_known()
        self._counts_match()
        return self

    def _sources_known(self) -> None:
        cited = [
            *self.metadata_sources,
            *(key for p in self.provisions for key in p.sources),
            *(key for a in self.articles for key in a.head_sources),
            *(key for item in self.items for key in item.sources),
        ]
        unknown = sorted(set(cited) - set(self.sources))
        if unknown:
            raise ValueError(f"source keys {unknown} are not in the sources table")

    def _counts_match(self) -> None:
        per_article = Counter(item.article for item in self.items)
        for article in self.articles:
            _count_fits(
                f"{article.clause}",
                per_article[article.number],
                article.expected_items,
                complete=article.complete,
            )
            if self.complete and not article.complete:
                raise ValueError(f"{article.clause} is incomplete, so the checklist is too")
        _count_fits("the checklist", len(self.items), self.expected_items, complete=self.complete)


def _no_duplicates(what: str, values: Iterable[str]) -> None:
    repeated = sorted(key for key, n in Counter(values).items() if n > 1)
    if repeated:
        raise ValueError(f"duplicate {what}s: {repeated}")


def _count_fits(where: str, found: int, expected: int | None, *, complete: bool) -> None:
    if complete and expected is None:
        return  # nothing published to compare with (a custom checklist's section)
    if expected is not None and (found > expected or (complete and found != expected)):
        raise ValueError(f"{where} lists {found} items but the standard has {expected}")
