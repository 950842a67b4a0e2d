"""What the seekers API takes and answers: a seeker's profile."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import Capacity, Category, Shift, Skill, day_shift
from shared.pagination import Page
from shared.places import PlaceCode
from shared.vocabularies import LABOUR_CAPACITIES, listed

CAPACITY_DOC = "how much work the seeker can do (劳动能力): " + listed(LABOUR_CAPACITIES)


class SeekerIn(BaseModel):
    """A seeker's whole profile (PUT): what they can do and what they look for."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "skills": ["缝纫", "包粽子"],
                    "desired_categories": ["handicraft", "retail"],
                    "hours_per_day": 6,
                    "shifts": ["day"],
                    "labour_capacity": "half",
                    "preferred_places": ["110105001001002", "110105001"],
                    "active": True,
                }
            ]
        },
    )

    skills: list[Skill] = Field(default_factory=list, max_length=20, description="what they can do, e.g. 缝纫, 电工")
    desired_categories: list[Category] = Field(
        default_factory=list, max_length=12, description="trades (行业) they want; empty: any"
    )
    hours_per_day: int = Field(ge=1, le=24, strict=True, description="hours a day they can work")
    shifts: list[Shift] = Field(
        default_factory=day_shift, min_length=1, max_length=4, description="shifts (班次) they can work; default day"
    )
    labour_capacity: Capacity = Field(description=CAPACITY_DOC)
    preferred_places: list[PlaceCode] = Field(
        default_factory=list, max_length=10, description="grid, community or street codes they would work in"
    )
    active: bool = Field(default=True, strict=True, description="looking for work now")


class SeekerPublic(BaseModel):
    resident_id: uuid.UUID = Field(description="the resident (居民) the profile is of; it keys the profile")
    grid_code: str = Field(description="the grid (网格) they live in, 15-digit grid code, as when last saved")
    community_code: str = Field(description="the community they live in, 12-digit community code (社区代码)")
    street_code: str = Field(description="the street they live in, 9-digit street code (街道代码)")
    skills: list[str] = Field(description="what they can do; completed trainings (技能培训) add theirs")
    desired_categories: list[Category] = Field(description="trades (行业) they want; empty: any")
    hours_per_day: int = Field(description="hours a day they can work")
    shifts: list[Shift] = Field(description="shifts (班次) they can work")
    labour_capacity: Capacity = Field(description=CAPACITY_DOC)
    preferred_places: list[str] = Field(description="grid, community or street codes they would work in")
    active: bool = Field(description="looking for work now; only active seekers are matched to postings")
    created_at: datetime = Field(description="when the profile was first saved (求职登记)")
    updated_at: datetime = Field(description="when it last changed")


SeekerPage = Page[SeekerPublic]
