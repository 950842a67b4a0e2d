"""Volunteer teams (志愿服务队) as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN

Service = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="default: the community the calling staff keep"
    )
    name: str = Field(min_length=1, max_length=100, description="e.g. 红马甲志愿服务队")
    description: str = Field(default="", max_length=2000)
    services: list[Service] = Field(
        default_factory=list, max_length=20, description="what it offers: 义剪, 上门探访, 课业辅导 ..."
    )
    leader_member_id: uuid.UUID | None = Field(default=None, description="the leader, a member of the roster")
    menu_item_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=20, description="items of the community's menu the team takes on"
    )


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    services: list[Service] | None = Field(default=None, max_length=20)
    leader_member_id: uuid.UUID | None = None
    menu_item_ids: list[uuid.UUID] | None = Field(default=None, max_length=20, description="the whole set after")


class MenuLink(BaseModel):
    menu_item_id: uuid.UUID
    name: str


class TeamPublic(BaseModel):
    id: uuid.UUID
    community_code: str
    street_code: str
    name: str
    description: str
    services: list[str]
    leader_member_id: uuid.UUID | None
    leader_name: str | None
    menu_items: list[MenuLink]
    members: int = Field(description="how many members the team has")
    created_at: datetime


TeamPage = Page[TeamPublic]


class TeamMemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID | None = Field(default=None, description="someone of the roster (party member, volunteer)")
    resident_id: uuid.UUID | None = Field(default=None, description="or a resident of the community")


class TeamMemberPublic(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    member_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    name: str | None = Field(description="for members of the roster; residents are named by the registry")
    joined_at: datetime


TeamMemberPage = Page[TeamMemberPublic]


class TeamMonth(BaseModel):
    month: str = Field(description="e.g. 2026-11")
    activities: int = Field(description="activities the team organised that started this month")
    volunteers_served: int = Field(description="volunteers checked in at them")
    hours: float = Field(description="volunteer hours: each check-in counts the activity's length")
    points: int = Field(description="points those volunteers earned")


class TeamReport(BaseModel):
    team_id: uuid.UUID
    year: int
    months: list[TeamMonth]
