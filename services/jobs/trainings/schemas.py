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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "育婴员培训",
                    "skill": "育婴",
                    "description": "婴幼儿喂养、护理和早教，结业后推荐家政岗位",
                    "venue": "江南社区党群服务中心二楼活动室",
                    "schedule": "每周二、四 14:00-16:30",
                    "starts_on": "2027-03-02",
                    "ends_on": "2027-03-25",
                    "sessions": 8,
                    "capacity": 30,
                    "community_code": "110105001001",
                }
            ]
        },
    )

    id: ClientId = None
    title: str = Field(min_length=1, max_length=100, description="the course, e.g. 育婴员培训")
    skill: str = Field(min_length=1, max_length=50, description="the skill completing it adds to the profile")
    description: str = Field(default="", max_length=2000, description="what it teaches and for whom; plain text")
    venue: str = Field(min_length=1, max_length=200, description="where it is held, e.g. 幸福里社区活动室")
    schedule: str = Field(default="", max_length=200, description="e.g. 每周二、四 14:00-16:30")
    starts_on: InputDate = Field(description="its first day, YYYY-MM-DD")
    ends_on: InputDate = Field(description="its last day, YYYY-MM-DD, on or after starts_on")
    sessions: int = Field(ge=1, le=365, strict=True, description="how many sessions (课次) it has")
    capacity: int = Field(ge=1, le=10_000, strict=True, description="places; more enrolments wait in turn")
    community_code: CommunityCode = Field(description="the community running it, 12 digits; one the caller keeps")


class TrainingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100, description="the course; not null")
    description: str | None = Field(
        default=None, max_length=2000, description="what it teaches and for whom; null empties it"
    )
    venue: str | None = Field(default=None, min_length=1, max_length=200, description="where it is held; not null")
    schedule: str | None = Field(default=None, max_length=200, description="when its sessions are; null empties it")
    starts_on: InputDate | None = Field(default=None, description="its first day, YYYY-MM-DD; not null")
    ends_on: InputDate | None = Field(
        default=None, description="its last day, YYYY-MM-DD, not before starts_on; not null"
    )
    sessions: int | None = Field(default=None, ge=1, le=365, strict=True, description="how many sessions; not null")
    capacity: int | None = Field(
        default=None, ge=1, le=10_000, strict=True, description="more places go to the first waiting"
    )


class EnrolmentPublic(BaseModel):
    id: uuid.UUID = Field(description="the enrolment's id")
    training_id: uuid.UUID = Field(description="the training (技能培训) enrolled on")
    resident_id: uuid.UUID = Field(description="the resident (居民) enrolled")
    community_code: str = Field(description="the community the resident lived in when enrolling, 12 digits")
    state: EnrolmentState = Field(
        description="enrolled (holds a place), waiting (for one), withdrawn, or completed (the skill is theirs)"
    )
    position: int | None = Field(description="place on the waiting list, 1 first; null unless waiting")
    attended: int = Field(description="sessions attended")
    created_at: datetime = Field(description="when they enrolled")
    updated_at: datetime = Field(description="when its state last changed")
    completed_at: datetime | None = Field(description="when staff marked it completed; null unless completed")


EnrolmentPage = Page[EnrolmentPublic]


class TrainingPublic(BaseModel):
    id: uuid.UUID = Field(description="the training's id")
    title: str = Field(description="the course, e.g. 育婴员培训")
    skill: str = Field(description="the skill completing it adds to the seeker profile, e.g. 育婴")
    description: str = Field(description="what it teaches and for whom; may be empty")
    venue: str = Field(description="where it is held")
    schedule: str = Field(description="when its sessions are, e.g. 每周二、四 14:00-16:30; may be empty")
    starts_on: date = Field(description="its first day")
    ends_on: date = Field(description="its last day")
    sessions: int = Field(description="how many sessions (课次) it has")
    capacity: int = Field(description="places on it; enrolments beyond them wait")
    enrolled: int = Field(description="places taken (enrolled or completed)")
    waiting: int = Field(description="residents on the waiting list")
    community_code: str = Field(description="the community running it, 12-digit community code (社区代码)")
    street_code: str = Field(description="the street of that community, 9-digit street code (街道代码)")
    my_enrolment: EnrolmentPublic | None = Field(description="the calling resident's own, if any")
    created_at: datetime = Field(description="when it was announced")


TrainingPage = Page[TrainingPublic]


class EnrolmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resident_id: uuid.UUID | None = Field(default=None, description="staff enrolling a resident of theirs")


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_on: InputDate = Field(description="the day of the session, YYYY-MM-DD, within the training's days")
    enrolment_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=500, description="the enrolments present, each holding a place (enrolled or completed)"
    )


class AttendanceResult(BaseModel):
    recorded: int = Field(description="attendances newly recorded (one already there counts once)")
