"""What the warnings context accepts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yingji.warnings.states import TargetStatus, WarningStatus

Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class TargetKind(StrEnum):
    """Why a person is on a warning's list."""

    RESPONSIBLE = "responsible"  # 包保责任人 of a covered region and the hazard's duty
    SUPERIOR = "superior"  # called because a responsible person did not answer
    PUBLIC = "public"  # a subscribed member of the public (told, not asked to answer)


class Polygon(BaseModel):
    """A polygon drawn on the map: [lon, lat] pairs, closed or not (it is closed for you)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["polygon"] = "polygon"
    coordinates: list[tuple[float, float]] = Field(min_length=3, max_length=2000)

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for lon, lat in value:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"[{lon}, {lat}] is not a longitude, latitude pair")
        if value[0] != value[-1]:
            value = [*value, value[0]]
        if len(value) < 4:
            raise ValueError("a polygon needs at least three distinct points")
        return value


class Circle(BaseModel):
    """A circle drawn on the map: centre [lon, lat] and radius in kilometres (as CAP)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["circle"] = "circle"
    center: tuple[float, float]
    radius_km: float = Field(gt=0, le=500)

    @field_validator("center")
    @classmethod
    def _on_earth(cls, value: tuple[float, float]) -> tuple[float, float]:
        lon, lat = value
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"[{lon}, {lat}] is not a longitude, latitude pair")
        return value


Shape = Annotated[Polygon | Circle, Field(discriminator="type")]


class WarningDraft(BaseModel):
    """A new warning (or the fields of a draft being edited); every 第64条 field is required."""

    model_config = ConfigDict(extra="forbid")

    hazard_type: str = Field(min_length=1, max_length=30)
    level: int = Field(ge=1, le=4, description="1 红 (一级, highest) … 4 蓝 (四级)")
    onset: datetime
    expires: datetime | None = None
    area_desc: Text200
    region_codes: list[str] = Field(default_factory=list, max_length=500)
    shapes: list[Shape] = Field(default_factory=list, max_length=20)
    event: str | None = Field(default=None, max_length=100)
    event_en: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=4000)
    instruction: str | None = Field(default=None, max_length=4000)
    description_en: str | None = Field(default=None, max_length=4000)
    instruction_en: str | None = Field(default=None, max_length=4000)
    sender_name: str | None = Field(default=None, max_length=200)
    sender_name_en: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _area_and_times(self) -> WarningDraft:
        if not self.region_codes and not self.shapes:
            raise ValueError("region_codes or shapes: a warning needs an area (可能影响的范围)")
        if self.onset.tzinfo is None or (self.expires and self.expires.tzinfo is None):
            raise ValueError("onset and expires need a time zone, e.g. 2026-12-02T08:00:00+08:00")
        if self.expires is not None and self.expires <= self.onset:
            raise ValueError("expires must be after onset")
        return self


class WarningUpdate(BaseModel):
    """A change to an issued warning (第70条 调整): level, area, times or texts; re-issued."""

    model_config = ConfigDict(extra="forbid")

    level: int | None = Field(default=None, ge=1, le=4)
    expires: datetime | None = None
    area_desc: str | None = Field(default=None, min_length=1, max_length=200)
    region_codes: list[str] | None = Field(default=None, max_length=500)
    shapes: list[Shape] | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, min_length=1, max_length=4000)
    instruction: str | None = Field(default=None, min_length=1, max_length=4000)
    # A changed Chinese text without its English drops the old English (it no longer matches).
    description_en: str | None = Field(default=None, min_length=1, max_length=4000)
    instruction_en: str | None = Field(default=None, min_length=1, max_length=4000)
    note: str | None = Field(default=None, max_length=1000)


class Decision(BaseModel):
    """A reason given with a rejection, a lift or a cancellation."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=1000)


class WarningRead(BaseModel):
    """A warning as shown to those who may read it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    identifier: str
    hazard_type: str
    duty_type: str
    event: str
    event_en: str | None
    level: int
    status: WarningStatus
    onset: datetime
    expires: datetime | None
    area_desc: str
    area_region_codes: list[str]
    area_shapes: list[dict[str, Any]]
    description: str
    instruction: str
    description_en: str | None
    instruction_en: str | None
    sender_name: str
    sender_name_en: str | None
    region_code: str
    source: str
    external_sender: str | None
    version: int
    issued_at: datetime | None
    updated_issue_at: datetime | None
    ended_at: datetime | None
    response_started_at: datetime | None
    supervision_flagged_at: datetime | None
    created_at: datetime


class TargetRead(BaseModel):
    """A person on a warning's list and where their 叫应 stands."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: TargetKind
    region_code: str
    title: str | None
    status: TargetStatus
    deadline_at: datetime
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    ack_channel: str | None
    escalated_from_id: uuid.UUID | None


class EvacuationInput(BaseModel):
    """People evacuated and where they were sheltered (转移人数、安置地点)."""

    model_config = ConfigDict(extra="forbid")
    evacuated: int = Field(ge=0, le=10_000_000)
    shelter: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=1000)
    region_code: str | None = Field(default=None, max_length=32)
