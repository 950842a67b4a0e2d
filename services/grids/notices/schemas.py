"""Notices (公告) as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.grids.life import When
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN

NoticeLevel = Literal["community", "grid", "compound"]
NoticeCategory = Literal["policy", "outage", "job_fair", "anti_fraud", "safety", "other"]
CATEGORY_DESCRIPTION = "policy 政策解读, outage 停水停电, job_fair 招聘会, anti_fraud 反诈提醒, safety 安全提示, other"


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community_code: str | None = Field(
        default=None,
        pattern=COMMUNITY_PATTERN,
        description="default: the grid's or compound's, or the caller's community",
    )
    grid_code: str | None = Field(default=None, pattern=GRID_PATTERN, description="to one grid of the community")
    compound_id: uuid.UUID | None = Field(
        default=None, description="to one compound (小区), the residents service's id"
    )
    category: NoticeCategory = Field(description=CATEGORY_DESCRIPTION)
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=5000)
    pinned: bool = Field(default=False, description="shown above the others")
    urgent: bool = Field(default=False, description="also goes into the residents' notification inbox")
    expires_at: When | None = Field(default=None, description="no longer shown after this")


class NoticeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100)
    body: str | None = Field(default=None, min_length=1, max_length=5000)
    pinned: bool | None = None
    expires_at: When | None = Field(default=None, description="null: no expiry")


class NoticePublic(BaseModel):
    id: uuid.UUID
    community_code: str
    street_code: str
    level: NoticeLevel
    grid_code: str | None
    compound_id: uuid.UUID | None
    compound_name: str | None
    category: NoticeCategory
    title: str
    body: str
    pinned: bool
    urgent: bool
    expires_at: datetime | None
    published_at: datetime
    publisher_name: str | None
    withdrawn_at: datetime | None
    read_at: datetime | None = Field(description="when the caller read it; null while unread")


NoticePage = Page[NoticePublic]


class NoticeDetail(NoticePublic):
    reads: int | None = Field(default=None, description="for staff: how many accounts have read it")
