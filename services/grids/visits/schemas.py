"""Visits (走访), their photos and the coverage report as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict

from shared.pagination import Page
from shared.places import GroupBy

VisitKind = Literal["routine", "wedding_funeral", "illness", "family_change", "dispute", "accident"]

_VISIT_EXAMPLE: JsonDict = {
    "id": "0b6f3c2e-8d4a-4f1b-9c7e-2a5d6e8f1a01",
    "household_id": "5e2d7a90-3c1b-4e8f-a6d2-9b0c4f7e3a12",
    "kind": "illness",
    "visited_at": "2024-05-20T10:30:00+08:00",
    "lat": 39.9253,
    "lng": 116.4751,
    "notes": "户主术后在家休养，行动不便，需要社区医生上门随访",
    "follow_up": True,
}
_ROUTINE_EXAMPLE: JsonDict = {
    "id": "0b6f3c2e-8d4a-4f1b-9c7e-2a5d6e8f1a02",
    "household_id": "7c4e1b28-6a3d-4f90-b2e5-1d8a9c0f4b63",
    "kind": "routine",
    "visited_at": "2024-05-20T11:05:00+08:00",
    "lat": 39.9261,
    "lng": 116.4738,
    "notes": "家中一切正常，提醒注意燃气安全",
}


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_VISIT_EXAMPLE]})

    id: uuid.UUID = Field(description="made by the app (offline): sending the same visit again is harmless")
    household_id: uuid.UUID = Field(
        description="the household visited: of the caller's grids (grid worker) or linked to them (party member)"
    )
    kind: VisitKind = Field(description="routine, or one of the five must-visits 五必访")
    visited_at: AwareDatetime = Field(
        description="when the visit took place, ISO 8601 with time zone; at most an hour ahead of the server"
    )
    lat: float | None = Field(
        default=None, ge=-90, le=90, description="latitude (WGS 84) where it was recorded; with lng, or neither"
    )
    lng: float | None = Field(
        default=None, ge=-180, le=180, description="longitude (WGS 84) where it was recorded; with lat, or neither"
    )
    notes: str = Field(default="", max_length=2000, description="what the visitor noted (走访记录)")
    follow_up: bool = Field(default=False, description="a problem to hand on: becomes an issue order")


class VisitSync(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"visits": [_VISIT_EXAMPLE, _ROUTINE_EXAMPLE]}]}
    )

    visits: list[VisitIn] = Field(
        min_length=1, max_length=200, description="the visits made offline, each with the app's own id"
    )


class VisitResult(BaseModel):
    id: uuid.UUID = Field(description="the visit's id, as sent")
    status: Literal["created", "exists", "rejected"] = Field(
        description="created now, exists (recorded before by the caller) or rejected"
    )
    reason: str | None = Field(default=None, description="why the visit was rejected; null when it was not")


class VisitSyncResult(BaseModel):
    results: list[VisitResult] = Field(description="one result per visit sent, in the order sent")


class PhotoPublic(BaseModel):
    id: uuid.UUID = Field(description="the photo's id")
    content_type: str = Field(description="image/jpeg, image/png or image/webp, judged from the photo's content")
    size: int = Field(description="the photo's size in bytes")
    sha256: str = Field(description="SHA-256 of the photo's bytes, hex; sending the same photo again answers this one")
    created_at: datetime = Field(description="when the photo was stored, ISO 8601 with time zone")


class VisitPublic(BaseModel):
    id: uuid.UUID = Field(description="the visit's id, made by the app that recorded it")
    member_id: uuid.UUID = Field(description="the member who recorded the visit (grid worker or party member)")
    household_id: uuid.UUID = Field(description="the household visited (the residents service's id)")
    grid_code: str = Field(description="the household's grid (网格) when the visit was recorded, 15-digit code")
    community_code: str = Field(description="the household's community (社区) then, 12-digit code")
    street_code: str = Field(description="the household's street (街道) then, 9-digit code")
    kind: VisitKind = Field(description="routine, or one of the five must-visits 五必访")
    visited_at: datetime = Field(description="when the visit took place, as the app recorded it")
    lat: float | None = Field(description="latitude (WGS 84) where it was recorded; null without GPS")
    lng: float | None = Field(description="longitude (WGS 84) where it was recorded; null without GPS")
    outside_grid: bool | None = Field(description="true when the GPS point lies outside the grid's boundary")
    notes: str = Field(description="what the visitor noted (走访记录); empty when nothing")
    follow_up: bool = Field(description="a problem handed on: the orders service makes an issue order of it")
    created_at: datetime = Field(description="when the service received the visit, ISO 8601 with time zone")
    photos: list[PhotoPublic] = Field(
        default_factory=list, description="the visit's photos (at most 9), in the order they came"
    )


class VisitSummary(BaseModel):
    id: uuid.UUID = Field(description="the visit's id, made by the app that recorded it")
    member_id: uuid.UUID = Field(description="the member who recorded the visit (grid worker or party member)")
    household_id: uuid.UUID = Field(description="the household visited (the residents service's id)")
    grid_code: str = Field(description="the household's grid (网格) when the visit was recorded, 15-digit code")
    kind: VisitKind = Field(description="routine, or one of the five must-visits 五必访")
    visited_at: datetime = Field(description="when the visit took place, as the app recorded it")
    outside_grid: bool | None = Field(
        description="true when the GPS point lies outside the grid's boundary; null: no GPS or no boundary"
    )
    follow_up: bool = Field(description="a problem handed on: the orders service makes an issue order of it")


VisitPage = Page[VisitSummary]


class GridCoverage(BaseModel):
    grid_code: str = Field(description="15-digit grid code (网格代码)")
    households: int = Field(description="the grid's households (removed ones not counted)")
    visited: int = Field(description="households visited in the last 30 days")
    ratio: float = Field(description="visited / households, 0 to 1, rounded to 4 places; 0 without households")


class CoverageReport(BaseModel):
    since: datetime = Field(description="the start of the 30 days counted (now minus 30 days)")
    items: list[GridCoverage] = Field(description="one row per grid in the caller's scope, by grid code")


# -- statistics ------------------------------------------------------------------------------


class VisitStatsRow(BaseModel):
    place_code: str = Field(description="the grid, community or street code, as group_by says")
    month: str = Field(description="the month, YYYY-MM in China's time (UTC+8)")
    visits: int = Field(description="visits in the place and month")
    must_visits: int = Field(description="of them, visits of the five must-visit kinds (五必访)")
    follow_ups: int = Field(description="of them, visits with a problem handed on")
    households: int = Field(description="distinct households visited")
    visitors: int = Field(description="distinct members who recorded visits")


class VisitStats(BaseModel):
    group_by: GroupBy = Field(description="what each row's place is: a grid, a community or a street")
    items: list[VisitStatsRow] = Field(description="one row per place and month with visits, by place and month")
