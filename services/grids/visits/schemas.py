"""Visits (走访), their photos and the coverage report as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.pagination import Page
from shared.places import GroupBy

VisitKind = Literal["routine", "wedding_funeral", "illness", "family_change", "dispute", "accident"]


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="made by the app (offline): sending the same visit again is harmless")
    household_id: uuid.UUID
    kind: VisitKind = Field(description="routine, or one of the five must-visits 五必访")
    visited_at: AwareDatetime
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    notes: str = Field(default="", max_length=2000)
    follow_up: bool = Field(default=False, description="a problem to hand on: becomes an issue order")


class VisitSync(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visits: list[VisitIn] = Field(min_length=1, max_length=200)


class VisitResult(BaseModel):
    id: uuid.UUID
    status: Literal["created", "exists", "rejected"]
    reason: str | None = None


class VisitSyncResult(BaseModel):
    results: list[VisitResult]


class PhotoPublic(BaseModel):
    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class VisitPublic(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str
    community_code: str
    street_code: str
    kind: VisitKind
    visited_at: datetime
    lat: float | None
    lng: float | None
    outside_grid: bool | None = Field(description="true when the GPS point lies outside the grid's boundary")
    notes: str
    follow_up: bool
    created_at: datetime
    photos: list[PhotoPublic] = Field(default_factory=list)


class VisitSummary(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str
    kind: VisitKind
    visited_at: datetime
    outside_grid: bool | None
    follow_up: bool


VisitPage = Page[VisitSummary]


class GridCoverage(BaseModel):
    grid_code: str
    households: int
    visited: int = Field(description="households visited in the last 30 days")
    ratio: float


class CoverageReport(BaseModel):
    since: datetime
    items: list[GridCoverage]


# -- statistics ------------------------------------------------------------------------------


class VisitStatsRow(BaseModel):
    place_code: str
    month: str
    visits: int
    must_visits: int
    follow_ups: int
    households: int
    visitors: int


class VisitStats(BaseModel):
    group_by: GroupBy
    items: list[VisitStatsRow]
