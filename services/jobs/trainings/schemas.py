"""What the skills trainings (技能培训) API takes and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import ClientId, InputDate
from shared.pagination import Page
from shared.places import CommunityCode

EnrolmentState = Literal["enrolled", "waiting", "withdrawn", "completed"]


class TrainingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ClientId = None
    title: str = Field(min_length=1, max_length=100, description="the course, e.g. 育婴员培训")
    skill: str = Field(min_length=1, max_length=50, description="the skill completing it adds to the profile")
    description: str = Field(default="", max_length=2000)
    venue: str = Field(min_length=1, max_length=200)
    schedule: str = Field(default="", max_length=200, description="e.g. 每周二、四 14:00-16:30")
    starts_on: InputDate
    ends_on: InputDate
    sessions: int = Field(ge=1, le=365, strict=True)
    capacity: int = Field(ge=1, le=10_000, strict=True)
    community_code: CommunityCode


class TrainingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    venue: str | None = Field(default=None, min_length=1, max_length=200)
    schedule: str | None = Field(default=None, max_length=200)
    starts_on: InputDate | None = None
    ends_on: InputDate | None = None
    sessions: int | None = Field(default=None, ge=1, le=365, strict=True)
    capacity: int | None = Field(
        default=None, ge=1, le=10_000, strict=True, description="more places go to the first waiting"
    )


class EnrolmentPublic(BaseModel):
    id: uuid.UUID
    training_id: uuid.UUID
    resident_id: uuid.UUID
    community_code: str
    state: EnrolmentState
    position: int | None = Field(description="place on the waiting list, 1 first; null unless waiting")
    attended: int = Field(description="sessions attended")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


EnrolmentPage = Page[EnrolmentPublic]


class TrainingPublic(BaseModel):
    id: uuid.UUID
    title: str
    skill: str
    description: str
    venue: str
    schedule: str
    starts_on: date
    ends_on: date
    sessions: int
    capacity: int
    enrolled: int = Field(description="places taken (enrolled or completed)")
    waiting: int
    community_code: str
    street_code: str
    my_enrolment: EnrolmentPublic | None = Field(description="the calling resident's own, if any")
    created_at: datetime


TrainingPage = Page[TrainingPublic]


class EnrolmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resident_id: uuid.UUID | None = Field(default=None, description="staff enrolling a resident of theirs")


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_on: InputDate
    enrolment_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class AttendanceResult(BaseModel):
    recorded: int = Field(description="attendances newly recorded (one already there counts once)")
