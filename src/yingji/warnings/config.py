"""The warning rules as data (data/warnings.toml): 叫应 windows, the ladder, linkage, templates."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from yingji.core.config import get_settings
from yingji.orgs.schemas import DutyType


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One rung: a channel, tried ``delay_seconds`` after the previous rung."""

    channel: str
    delay_seconds: int


@dataclass(frozen=True, slots=True)
class Template:
    """What an author starts from for a hazard type."""

    hazard_type: str
    cap_category: str
    event: str
    event_en: str
    duty_type: DutyType
    description: str
    instruction: str
    description_en: str
    instruction_en: str


@dataclass(frozen=True, slots=True)
class WarningRules:
    """Every number of the warning workflow, from data/warnings.toml."""

    window_minutes: dict[int, int]  # by level 1 (red) … 4 (blue)
    max_escalations: int
    steps: tuple[LadderStep, ...]
    repeat_after_seconds: int
    cycles: int
    public_channels: tuple[str, ...]
    red_supervision_after_minutes: int
    alarm_min_severity: str
    templates: dict[str, Template]

    def window_seconds(self, level: int) -> int:
        """Return the 叫应 window of a level in seconds."""
        return self.window_minutes[level] * 60


def parse_rules(raw: dict[str, Any]) -> WarningRules:
    """Build the rules from the TOML table, refusing an incomplete one."""
    ack, ladder, linkage = raw["acknowledge"], raw["ladder"], raw["linkage"]
    windows = {int(level): int(minutes) for level, minutes in ack["window_minutes"].items()}
    if sorted(windows) != [1, 2, 3, 4] or min(windows.values()) < 1:
        raise ValueError("acknowledge.window_minutes needs levels 1-4, each at least 1 minute")
    steps = tuple(LadderStep(str(s["channel"]), int(s["delay_seconds"])) for s in ladder["steps"])
    if not steps:
        raise ValueError("ladder.steps must name at least one channel")
    templates = {
        key: Template(
            hazard_type=key, cap_category=t["cap_category"], event=t["event"],
            event_en=t["event_en"], duty_type=DutyType(t["duty_type"]),
            description=t["description"], instruction=t["instruction"],
            description_en=t["description_en"],
            instruction_en=t["instruction_en"],
        )
        for key, t in raw["templates"].items()
    }  # fmt: skip
    return WarningRules(
        window_minutes=windows,
        max_escalations=int(ack["max_escalations"]),
        steps=steps,
        repeat_after_seconds=int(ladder["repeat_after_seconds"]),
        cycles=max(1, int(ladder["cycles"])),
        public_channels=tuple(ladder["public_channels"]),
        red_supervision_after_minutes=int(linkage["red_supervision_after_minutes"]),
        alarm_min_severity=str(linkage["alarm_min_severity"]),
        templates=templates,
    )


@cache
def _load(path: Path | None) -> WarningRules:
    if path is None:
        text = resources.files("yingji.warnings").joinpath("data/warnings.toml").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_rules(tomllib.loads(text))


def rules() -> WarningRules:
    """Return the warning rules: the file of ``warnings_rules_file``, else those shipped."""
    return _load(get_settings().warnings_rules_file)
