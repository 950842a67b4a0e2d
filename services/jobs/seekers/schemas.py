"""What the seekers API takes and answers: a seeker's profile."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import Capacity, Category, Shift, Skill, day_shift
from shared.pagination import Page
from shared.places import PlaceCode

CAPACITY_DOC = "full 全劳动力, half 半劳动力, weak 弱劳动力 (elderly, disabled, carers)"


class SeekerIn(BaseModel):
    """A seeker's whole profile (PUT): what they can do and what they look for."""

    model_config = ConfigDict(extra="forbid")

    skills: list[Skill] = Field(default_factory=list, max_length=20)
    desired_categories: list[Category] = Field(default_factory=list, max_length=12)
    hours_per_day: int = Field(ge=1, le=24, strict=True, description="hours a day they can work")
    shifts: list[Shift] = Field(default_factory=day_shift, min_length=1, max_length=4)
    labour_capacity: Capacity = Field(description=CAPACITY_DOC)
    preferred_places: list[PlaceCode] = Field(
        default_factory=list, max_length=10, description="grid, community or street codes they would work in"
    )
    active: bool = Field(default=True, strict=True, description="looking for work now")


class SeekerPublic(BaseModel):
    resident_id: uuid.UUID
    grid_code: str
    community_code: str
    street_code: str
    skills: list[str]
    desired_categories: list[Category]
    hours_per_day: int
    shifts: list[Shift]
    labour_capacity: Capacity
    preferred_places: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


SeekerPage = Page[SeekerPublic]
