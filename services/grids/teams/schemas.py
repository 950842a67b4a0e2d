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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_code": "110105001001",
                    "name": "红马甲志愿服务队",
                    "description": "幸福里社区党员志愿者为主, 为独居老人代办、陪伴、上门探访",
                    "services": ["代办", "陪伴", "上门探访"],
                    "leader_member_id": "4cd4f985-2bf0-4d81-9459-41ec5f0ce0c5",
                    "menu_item_ids": ["22be834b-2604-49d1-ac98-6b7d2dbf18e3"],
                }
            ]
        },
    )

    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="default: the community the calling staff keep"
    )
    name: str = Field(min_length=1, max_length=100, description="e.g. 红马甲志愿服务队")
    description: str = Field(default="", max_length=2000, description="what the team is and does, free text")
    services: list[Service] = Field(
        default_factory=list, max_length=20, description="what it offers: 义剪, 上门探访, 课业辅导 ..."
    )
    leader_member_id: uuid.UUID | None = Field(default=None, description="the leader, a member of the roster")
    menu_item_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=20, description="items of the community's menu the team takes on"
    )


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="the team's new name, unique in its community"
    )
    description: str | None = Field(default=None, max_length=2000, description="what the team is and does")
    services: list[Service] | None = Field(
        default=None, max_length=20, description="what it offers, the whole list after the change"
    )
    leader_member_id: uuid.UUID | None = Field(
        default=None, description="the new leader, a member of the roster (joins the team); null: no leader"
    )
    menu_item_ids: list[uuid.UUID] | None = Field(default=None, max_length=20, description="the whole set after")


class MenuLink(BaseModel):
    menu_item_id: uuid.UUID = Field(
        description="the item of the community's service menu (服务清单), by the orders service's id"
    )
    name: str = Field(description="the menu item's name when it was linked, e.g. 义剪")


class TeamPublic(BaseModel):
    id: uuid.UUID = Field(description="the volunteer team's id")
    community_code: str = Field(description="the community (社区) of the team, 12-digit community code")
    street_code: str = Field(description="the street (街道) of that community, 9-digit street code")
    name: str = Field(description="the team's name, e.g. 红马甲志愿服务队")
    description: str = Field(description="what the team is and does; may be empty")
    services: list[str] = Field(description="what it offers, e.g. 义剪, 上门探访")
    leader_member_id: uuid.UUID | None = Field(description="the leader (队长), a member of the roster; null: none")
    leader_name: str | None = Field(description="the leader's name on the roster; null when there is no leader")
    menu_items: list[MenuLink] = Field(description="the menu items it takes on, by name (dispatch offers the team)")
    members: int = Field(description="how many members the team has")
    created_at: datetime = Field(description="when the team was set up, ISO 8601 with time zone")


TeamPage = Page[TeamPublic]


class TeamMemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID | None = Field(default=None, description="someone of the roster (party member, volunteer)")
    resident_id: uuid.UUID | None = Field(default=None, description="or a resident of the community")


class TeamMemberPublic(BaseModel):
    id: uuid.UUID = Field(description="the team membership's id (to take the person out of the team)")
    team_id: uuid.UUID = Field(description="the volunteer team")
    member_id: uuid.UUID | None = Field(description="someone of the roster (花名册), by id; null for a resident")
    resident_id: uuid.UUID | None = Field(description="a resident, by the registry's id; null for a roster member")
    name: str | None = Field(description="for members of the roster; residents are named by the registry")
    joined_at: datetime = Field(description="when they joined the team, ISO 8601 with time zone")


TeamMemberPage = Page[TeamMemberPublic]


class TeamMonth(BaseModel):
    month: str = Field(description="e.g. 2026-11")
    activities: int = Field(description="activities the team organised that started this month")
    volunteers_served: int = Field(description="volunteers checked in at them")
    hours: float = Field(description="volunteer hours: each check-in counts the activity's length")
    points: int = Field(description="points those volunteers earned")


class TeamReport(BaseModel):
    team_id: uuid.UUID = Field(description="the volunteer team")
    year: int = Field(description="the calendar year reported, months in China time (UTC+8)")
    months: list[TeamMonth] = Field(description="the twelve months of the year, January first")
