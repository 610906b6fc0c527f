"""Errors of CAP handling: each names the element it is about, so a sender can fix its message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CapError", "CapInvalid"]


@dataclass(frozen=True)
class CapError:
    """One problem with a CAP message.

    ``path`` names the element, e.g. ``alert/info[1]/area[0]/polygon[0]``: indices count from 0
    among siblings of the same name and are given for the elements CAP lets repeat. ``document``
    is used when the bytes are not an XML document at all.
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class CapInvalid(ValueError):
    """A CAP message was refused; ``errors`` says where and why."""

    def __init__(self, errors: Iterable[CapError]) -> None:
        self.errors: tuple[CapError, ...] = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"invalid CAP message: {shown}{more}")
