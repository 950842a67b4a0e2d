"""Activities (一月一主题) and sign-ups as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.grids.life import When
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN

ActivityKind = Literal[
    "volunteer_service",
    "culture_sports",
    "festival_care",
    "haircut",
    "clinic",
    "night_school",
    "after_school",
    "red_culture",
    "other",
]
KIND_DESCRIPTION = (
    "volunteer_service 志愿服务, culture_sports 文体活动, festival_care 节日关怀 (重阳, 春节), haircut 义剪, "
    "clinic 义诊, night_school 农民夜校, after_school 四点半课堂, red_culture 红色文化宣讲, other"
)
TargetGroup = Literal["everyone", "elderly", "children", "youth", "women", "disabled"]
OrganiserKind = Literal["community", "party_org", "volunteer_team", "partner_unit"]
ActivityState = Literal["published", "cancelled"]
SignupRole = Literal["participant", "volunteer"]
SignupState = Literal["confirmed", "waiting", "cancelled"]


def _everyone() -> list[TargetGroup]:
    return ["everyone"]


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="default: the community the calling staff keep"
    )
    grid_code: str | None = Field(default=None, pattern=GRID_PATTERN, description="the grid of the venue, if one")
    theme: str = Field(min_length=1, max_length=100, description="the month's theme (一月一主题)")
    title: str = Field(min_length=1, max_length=100)
    kind: ActivityKind = Field(description=KIND_DESCRIPTION)
    description: str = Field(default="", max_length=2000)
    venue: str = Field(min_length=1, max_length=200, description="where it takes place")
    starts_at: When
    ends_at: When
    capacity: int = Field(ge=1, le=10_000, description="places for participants; more sign-ups wait in line")
    volunteer_capacity: int = Field(default=0, ge=0, le=1_000, description="volunteers wanted (0: none)")
    target_groups: list[TargetGroup] = Field(default_factory=_everyone, min_length=1, max_length=6)
    organiser_kind: OrganiserKind = Field(
        default="community", description="the community, a party organisation, a volunteer team or a partner unit"
    )
    organiser_id: uuid.UUID | None = Field(
        default=None, description="the party organisation, team or partner unit (a roster member that is a unit)"
    )
    points: int = Field(default=5, ge=0, le=100, description="points for each volunteer who served")


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    venue: str | None = Field(default=None, min_length=1, max_length=200)
    starts_at: When | None = None
    ends_at: When | None = None
    capacity: int | None = Field(default=None, ge=1, le=10_000, description="more places let waiting people in")
    volunteer_capacity: int | None = Field(default=None, ge=0, le=1_000)
    target_groups: list[TargetGroup] | None = Field(default=None, min_length=1, max_length=6)
    points: int | None = Field(default=None, ge=0, le=100)


class ActivityPublic(BaseModel):
    id: uuid.UUID
    community_code: str
    street_code: str
    grid_code: str | None
    theme: str
    title: str
    kind: ActivityKind
    description: str
    venue: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    volunteer_capacity: int
    target_groups: list[TargetGroup]
    organiser_kind: OrganiserKind
    organiser_id: uuid.UUID | None
    organiser_name: str
    points: int
    state: ActivityState
    created_at: datetime
    participants: int = Field(description="participants with a place")
    volunteers: int = Field(description="volunteers with a place")
    waiting: int = Field(description="people on the waiting lists")
    checked_in: int = Field(description="people checked in")


ActivityPage = Page[ActivityPublic]


class SignupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: SignupRole = Field(
        default="participant", description="take part (a resident), or serve (party members, volunteers)"
    )
    resident_id: uuid.UUID | None = Field(
        default=None, description="staff and grid workers: sign up a resident of the community on their behalf"
    )


class SignupPublic(BaseModel):
    id: uuid.UUID
    activity_id: uuid.UUID
    role: SignupRole
    state: SignupState
    account_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    name: str | None = Field(description="volunteers only: the name they serve under")
    grid_code: str | None
    queued_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    check_in_method: Literal["staff", "code"] | None
    position: int | None = Field(default=None, description="place on the waiting list (1 is next), while waiting")


SignupPage = Page[SignupPublic]


class ActivityDetail(ActivityPublic):
    my_signup: SignupPublic | None = Field(default=None, description="the caller's own sign-up, if any")


class CheckInCode(BaseModel):
    code: str = Field(description="the code shown at the venue")


class SelfCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\d{6}$", description="the code shown at the venue")
