"""Notices (公告) as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.grids.life import When
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN
from shared.vocabularies import NOTICE_CATEGORIES, listed

NoticeLevel = Literal["community", "grid", "compound"]
NoticeCategory = Literal["policy", "outage", "job_fair", "anti_fraud", "safety", "other"]
CATEGORY_DESCRIPTION = listed(NOTICE_CATEGORIES)


class NoticeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_code": "110105001001",
                    "category": "anti_fraud",
                    "title": "警惕冒充社保工作人员的诈骗电话",
                    "body": "近期有人冒充社保工作人员来电，以“社保卡异常”为由索要验证码。请居民不要透露验证码，"
                    "遇到可疑电话请拨打110或到社区服务站咨询。",
                    "pinned": True,
                },
                {
                    "grid_code": "110105001001002",
                    "category": "outage",
                    "title": "江南小区3号楼停水通知",
                    "body": "因供水管道检修，本周六9:00至15:00江南小区3号楼停水，请提前储水。",
                    "urgent": True,
                },
            ]
        },
    )

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
    title: str = Field(min_length=1, max_length=100, description="the notice's title (标题)")
    body: str = Field(min_length=1, max_length=5000, description="the notice's text (正文)")
    pinned: bool = Field(default=False, description="shown above the others")
    urgent: bool = Field(default=False, description="also goes into the residents' notification inbox")
    expires_at: When | None = Field(default=None, description="no longer shown after this")


class NoticeUpdate(BaseModel):
    """The fields to change; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(
        default=None, min_length=1, max_length=100, description="the new title (标题); null is refused"
    )
    body: str | None = Field(default=None, min_length=1, max_length=5000, description="the new text; null is refused")
    pinned: bool | None = Field(default=None, description="true pins it above the others, false unpins it")
    expires_at: When | None = Field(default=None, description="null: no expiry")


class NoticePublic(BaseModel):
    id: uuid.UUID = Field(description="the notice's id")
    community_code: str = Field(description="the community (社区) it is published in, 12-digit code")
    street_code: str = Field(description="the community's street (街道), 9-digit code")
    level: NoticeLevel = Field(description="who it is for: the whole community, one grid or one compound (小区)")
    grid_code: str | None = Field(description="the grid it is for, 15-digit code; null unless level is grid")
    compound_id: uuid.UUID | None = Field(
        description="the compound (小区) it is for, the residents service's id; null unless level is compound"
    )
    compound_name: str | None = Field(
        description="the compound's name when it was published; null unless level is compound"
    )
    category: NoticeCategory = Field(description=CATEGORY_DESCRIPTION)
    title: str = Field(description="the notice's title (标题)")
    body: str = Field(description="the notice's text (正文)")
    pinned: bool = Field(description="pinned (置顶): listed above the others")
    urgent: bool = Field(description="also went into the residents' notification inbox")
    expires_at: datetime | None = Field(description="no longer shown after this; null: no expiry")
    published_at: datetime = Field(description="when it was published, ISO 8601 with time zone")
    publisher_name: str | None = Field(
        description="the publisher's display name, from their token; null when it had none"
    )
    withdrawn_at: datetime | None = Field(
        description="when it was taken down (only its staff still see it); null while it is up"
    )
    read_at: datetime | None = Field(description="when the caller read it; null while unread")


NoticePage = Page[NoticePublic]


class NoticeDetail(NoticePublic):
    reads: int | None = Field(default=None, description="for staff: how many accounts have read it")
