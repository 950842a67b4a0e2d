"""Activities (一月一主题) and sign-ups as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.grids.life import When
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN
from shared.vocabularies import ACTIVITY_KINDS, TARGET_GROUPS, listed

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
KIND_DESCRIPTION = listed(ACTIVITY_KINDS)
TargetGroup = Literal["everyone", "elderly", "children", "youth", "women", "disabled"]
OrganiserKind = Literal["community", "party_org", "volunteer_team", "partner_unit"]
ActivityState = Literal["published", "cancelled"]
SignupRole = Literal["participant", "volunteer"]
SignupState = Literal["confirmed", "waiting", "cancelled"]
TARGET_DESCRIPTION = "who it is for: " + listed(TARGET_GROUPS)


def _everyone() -> list[TargetGroup]:
    return ["everyone"]


class ActivityCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_code": "110105001001",
                    "grid_code": "110105001001001",
                    "theme": "重阳敬老",
                    "title": "义剪进社区 为老人理发",
                    "kind": "haircut",
                    "description": "银发义剪队为社区老人免费理发, 行动不便的老人可由网格员代报名",
                    "venue": "幸福里社区党群服务中心",
                    "starts_at": "2026-10-25T09:00:00+08:00",
                    "ends_at": "2026-10-25T11:30:00+08:00",
                    "capacity": 30,
                    "volunteer_capacity": 4,
                    "target_groups": ["elderly"],
                    "organiser_kind": "volunteer_team",
                    "organiser_id": "c1d44ce4-9ebc-4280-8e11-cfe4c33dddcf",
                    "points": 5,
                }
            ]
        },
    )

    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="default: the community the calling staff keep"
    )
    grid_code: str | None = Field(default=None, pattern=GRID_PATTERN, description="the grid of the venue, if one")
    theme: str = Field(min_length=1, max_length=100, description="the month's theme (一月一主题)")
    title: str = Field(min_length=1, max_length=100, description="the activity's title, e.g. 重阳敬老义剪")
    kind: ActivityKind = Field(description=KIND_DESCRIPTION)
    description: str = Field(default="", max_length=2000, description="what happens there, for the residents")
    venue: str = Field(min_length=1, max_length=200, description="where it takes place")
    starts_at: When = Field(description="when it starts, ISO 8601 with time zone; sign-ups close then")
    ends_at: When = Field(description="when it ends, ISO 8601 with time zone: after the start, a week at most")
    capacity: int = Field(ge=1, le=10_000, description="places for participants; more sign-ups wait in line")
    volunteer_capacity: int = Field(default=0, ge=0, le=1_000, description="volunteers wanted (0: none)")
    target_groups: list[TargetGroup] = Field(
        default_factory=_everyone, min_length=1, max_length=6, description=TARGET_DESCRIPTION
    )
    organiser_kind: OrganiserKind = Field(
        default="community", description="the community, a party organisation, a volunteer team or a partner unit"
    )
    organiser_id: uuid.UUID | None = Field(
        default=None, description="the party organisation, team or partner unit (a roster member that is a unit)"
    )
    points: int = Field(default=5, ge=0, le=100, description="points for each volunteer who served")


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    theme: str | None = Field(default=None, min_length=1, max_length=100, description="the month's theme (一月一主题)")
    title: str | None = Field(default=None, min_length=1, max_length=100, description="the activity's title")
    description: str | None = Field(default=None, max_length=2000, description="what happens there")
    venue: str | None = Field(default=None, min_length=1, max_length=200, description="where it takes place")
    starts_at: When | None = Field(default=None, description="when it starts, ISO 8601 with time zone")
    ends_at: When | None = Field(
        default=None, description="when it ends, ISO 8601 with time zone: after the start, a week at most"
    )
    capacity: int | None = Field(default=None, ge=1, le=10_000, description="more places let waiting people in")
    volunteer_capacity: int | None = Field(
        default=None, ge=0, le=1_000, description="volunteers wanted (0: none); not fewer than those confirmed"
    )
    target_groups: list[TargetGroup] | None = Field(
        default=None, min_length=1, max_length=6, description=TARGET_DESCRIPTION
    )
    points: int | None = Field(default=None, ge=0, le=100, description="points for each volunteer who served")


class ActivityPublic(BaseModel):
    id: uuid.UUID = Field(description="the activity's id")
    community_code: str = Field(description="the community (社区) that holds it, 12-digit community code")
    street_code: str = Field(description="the street (街道) of that community, 9-digit street code")
    grid_code: str | None = Field(description="the grid (网格) of the venue, 15-digit grid code; null if not given")
    theme: str = Field(description="the month's theme (一月一主题)")
    title: str = Field(description="the activity's title")
    kind: ActivityKind = Field(description=KIND_DESCRIPTION)
    description: str = Field(description="what happens there; may be empty")
    venue: str = Field(description="where it takes place")
    starts_at: datetime = Field(description="when it starts, ISO 8601 with time zone")
    ends_at: datetime = Field(description="when it ends, ISO 8601 with time zone")
    capacity: int = Field(description="places for participants")
    volunteer_capacity: int = Field(description="volunteers wanted (0: none)")
    target_groups: list[TargetGroup] = Field(description=TARGET_DESCRIPTION)
    organiser_kind: OrganiserKind = Field(
        description="community 社区, party_org 党组织, volunteer_team 志愿服务队, partner_unit 共建单位"
    )
    organiser_id: uuid.UUID | None = Field(
        description="the organising party organisation, team or partner unit; null when the community organises it"
    )
    organiser_name: str = Field(description="the organiser's name (the community's own when it organises it)")
    points: int = Field(description="points credited to each volunteer checked in")
    state: ActivityState = Field(description="published, or cancelled (called off by staff)")
    created_at: datetime = Field(description="when it was published, ISO 8601 with time zone")
    participants: int = Field(description="participants with a place")
    volunteers: int = Field(description="volunteers with a place")
    waiting: int = Field(description="people on the waiting lists")
    checked_in: int = Field(description="people checked in")


ActivityPage = Page[ActivityPublic]


class SignupCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "participant"},
                {"role": "participant", "resident_id": "679f9a53-689a-496f-aaf1-5568239ad9e9"},
                {"role": "volunteer"},
            ]
        },
    )

    role: SignupRole = Field(
        default="participant", description="take part (a resident), or serve (party members, volunteers)"
    )
    resident_id: uuid.UUID | None = Field(
        default=None, description="staff and grid workers: sign up a resident of the community on their behalf"
    )


class SignupPublic(BaseModel):
    id: uuid.UUID = Field(description="the sign-up's id")
    activity_id: uuid.UUID = Field(description="the activity signed up for")
    role: SignupRole = Field(description="participant: takes part (a resident); volunteer: serves at it (志愿者)")
    state: SignupState = Field(description="confirmed: has a place; waiting: on the waiting list (候补); cancelled")
    account_id: uuid.UUID | None = Field(
        description="the account of the person signed up; null for a resident signed up by staff (代报名)"
    )
    resident_id: uuid.UUID | None = Field(
        description="the resident taking part, by the registry's id; null for volunteers"
    )
    name: str | None = Field(description="volunteers only: the name they serve under")
    grid_code: str | None = Field(
        description="the grid (网格) the person lives in or serves, 15-digit grid code; null if not known"
    )
    queued_at: datetime = Field(
        description="when they (last) signed up, ISO 8601 with time zone: their place in the queue"
    )
    confirmed_at: datetime | None = Field(description="when they got a place; null if they have not had one")
    cancelled_at: datetime | None = Field(description="when the sign-up was cancelled; null unless cancelled")
    checked_in_at: datetime | None = Field(description="when they were checked in at the venue; null: not yet")
    check_in_method: Literal["staff", "code"] | None = Field(
        description="staff: checked in by staff; code: by themselves with the venue's code; null: not checked in"
    )
    position: int | None = Field(default=None, description="place on the waiting list (1 is next), while waiting")


SignupPage = Page[SignupPublic]


class ActivityDetail(ActivityPublic):
    my_signup: SignupPublic | None = Field(default=None, description="the caller's own sign-up, if any")


class CheckInCode(BaseModel):
    code: str = Field(description="the code shown at the venue")


class SelfCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\d{6}$", description="the code shown at the venue")
