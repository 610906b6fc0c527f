"""The four risk levels and the confidence tags of the method tables."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple


class RiskLevel(StrEnum):
    """Four risk levels, most severe first; comparisons rank by severity, so ``max()`` is the worst.

    安委办〔2016〕11号: 重大、较大、一般、低风险, marked 红、橙、黄、蓝 (cn-rules §3.2 [S2]).
    """

    MAJOR = "major"
    CONSIDERABLE = "considerable"
    GENERAL = "general"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Return 4 for 重大 down to 1 for 低: higher means more severe."""
        return _LEVELS[self].rank

    @property
    def zh(self) -> str:
        """Return the short Chinese label, e.g. 重大."""
        return _LEVELS[self].zh

    @property
    def zh_full(self) -> str:
        """Return the full Chinese name, e.g. 重大风险."""
        return f"{_LEVELS[self].zh}风险"

    @property
    def colour(self) -> str:
        """Return the colour name in English (red, orange, yellow, blue)."""
        return _LEVELS[self].colour

    @property
    def colour_zh(self) -> str:
        """Return the colour in Chinese (红, 橙, 黄, 蓝)."""
        return _LEVELS[self].colour_zh

    # StrEnum would otherwise compare alphabetically ("low" < "major" by accident only).
    def __lt__(self, other: str) -> bool:
        return self.rank < _rank_of(other)

    def __le__(self, other: str) -> bool:
        return self.rank <= _rank_of(other)

    def __gt__(self, other: str) -> bool:
        return self.rank > _rank_of(other)

    def __ge__(self, other: str) -> bool:
        return self.rank >= _rank_of(other)


class _LevelInfo(NamedTuple):
    rank: int
    zh: str
    colour: str
    colour_zh: str


# cn-rules §3.2 [S2]: "从高到低…分别用红、橙、黄、蓝四种颜色标示".
_LEVELS: Final[dict[RiskLevel, _LevelInfo]] = {
    RiskLevel.MAJOR: _LevelInfo(4, "重大", "red", "红"),
    RiskLevel.CONSIDERABLE: _LevelInfo(3, "较大", "orange", "橙"),
    RiskLevel.GENERAL: _LevelInfo(2, "一般", "yellow", "黄"),
    RiskLevel.LOW: _LevelInfo(1, "低", "blue", "蓝"),
}


def _rank_of(other: str) -> int:
    # A plain string is refused rather than compared alphabetically.
    if not isinstance(other, RiskLevel):
        raise TypeError(f"cannot order a RiskLevel against {type(other).__name__}")
    return other.rank


class Confidence(StrEnum):
    """How well a table is sourced, as tagged in cn-rules."""

    T = "T"  # read in the legal text itself
    S2 = "S2"  # two independent secondary sources agree
    S1 = "S1"  # a single secondary source
    U = "U"  # unconfirmed: configuration only

    @property
    def confirmed(self) -> bool:
        """Return whether a result built on this table may be called confirmed."""
        return self is not Confidence.U
