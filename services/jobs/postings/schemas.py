"""What the postings API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import Category, ClientId, InputDateTime, Shift, Skill, day_shift
from shared.pagination import Page
from shared.places import GridCode

WageUnit = Literal["month", "day", "hour", "piece"]
PostingState = Literal["draft", "open", "closed"]
Fen = Annotated[int, Field(ge=0, le=100_000_000, strict=True, description="in fen (分)")]


class PostingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ClientId = None
    employer_id: uuid.UUID | None = Field(default=None, description="required for staff; an employer posts its own")
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=4000)
    category: Category
    wage_min: Fen
    wage_max: Fen
    wage_unit: WageUnit = Field(description="per month 月薪, day 日薪, hour 时薪, or piece 计件")
    hours_per_day: int = Field(ge=1, le=24, strict=True)
    shifts: list[Shift] = Field(default_factory=day_shift, min_length=1, max_length=4)
    headcount: int = Field(
        ge=1, le=10_000, strict=True, description="people wanted; the posting closes when they are hired"
    )
    skills: list[Skill] = Field(default_factory=list, max_length=20, description="skills wanted")
    suits_weak_labour: bool = Field(default=False, strict=True, description="suits weak or half labour (弱/半劳动力)")
    grid_code: GridCode | None = Field(default=None, description="a grid of the employer's community")
    address: str | None = Field(default=None, max_length=200)
    expires_at: InputDateTime | None = Field(default=None, description="no applications after this")


class PostingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=4000)
    category: Category | None = None
    wage_min: Fen | None = None
    wage_max: Fen | None = None
    wage_unit: WageUnit | None = None
    hours_per_day: int | None = Field(default=None, ge=1, le=24, strict=True)
    shifts: list[Shift] | None = Field(default=None, min_length=1, max_length=4)
    headcount: int | None = Field(default=None, ge=1, le=10_000, strict=True)
    skills: list[Skill] | None = Field(default=None, max_length=20)
    suits_weak_labour: bool | None = Field(default=None, strict=True)
    grid_code: GridCode | None = None
    address: str | None = Field(default=None, max_length=200)
    expires_at: InputDateTime | None = None


class PostingSummary(BaseModel):
    id: uuid.UUID
    employer_id: uuid.UUID
    employer_name: str
    title: str
    category: Category
    wage_min: int
    wage_max: int
    wage_unit: WageUnit
    hours_per_day: int
    shifts: list[Shift]
    headcount: int
    hired: int
    skills: list[str]
    suits_weak_labour: bool
    community_code: str
    street_code: str
    grid_code: str | None
    state: PostingState
    expires_at: datetime | None
    opened_at: datetime | None
    created_at: datetime


class PostingPublic(PostingSummary):
    description: str
    address: str | None
    closed_reason: Literal["filled", "closed", "expired"] | None = Field(
        description="filled by hires, closed by hand, or past its expiry"
    )
    closed_at: datetime | None
    updated_at: datetime


PostingPage = Page[PostingSummary]
