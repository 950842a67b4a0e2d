"""What the job fairs (招聘会) API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.employers.schemas import EMPLOYER_KIND_DOC
from services.jobs.postings.schemas import PostingSummary
from services.jobs.schemas import ClientId, EmployerKind, InputDateTime
from shared.pagination import Page
from shared.places import CommunityCode, StreetCode


class FairCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "江南社区春风行动招聘会",
                    "venue": "江南社区文化广场",
                    "description": "社区工厂、扶贫车间、酒店和超市现场招聘，请带好简历",
                    "starts_at": "2027-03-13T09:00:00+08:00",
                    "ends_at": "2027-03-13T12:00:00+08:00",
                    "community_code": "110105001001",
                }
            ]
        },
    )

    id: ClientId = None
    title: str = Field(min_length=1, max_length=100, description="the fair's name, e.g. 春风行动招聘会")
    venue: str = Field(min_length=1, max_length=200, description="where it is held, e.g. 幸福里社区文化广场")
    description: str = Field(default="", max_length=2000, description="what residents should know; plain text")
    starts_at: InputDateTime = Field(description="when it opens, ISO 8601 with time zone")
    ends_at: InputDateTime = Field(description="when it closes, after starts_at; no signups after it")
    community_code: CommunityCode | None = Field(default=None, description="the community holding it")
    street_code: StreetCode | None = Field(default=None, description="a fair of the whole street (street admins)")


class FairPublic(BaseModel):
    id: uuid.UUID = Field(description="the fair's id")
    title: str = Field(description="the fair's name, e.g. 春风行动招聘会")
    venue: str = Field(description="where it is held")
    description: str = Field(description="what residents should know; may be empty")
    starts_at: datetime = Field(description="when it opens")
    ends_at: datetime = Field(description="when it closes; no signups after it")
    community_code: str | None = Field(description="the community holding it, 12 digits; null: a fair of the street")
    street_code: str = Field(description="the street it is in, 9-digit street code (街道代码)")
    employers: int = Field(description="participating employers")
    signups: int = Field(description="residents signed up")
    signed_up: bool = Field(description="whether the caller has signed up")
    created_at: datetime = Field(description="when it was announced")


FairPage = Page[FairPublic]


class FairEmployerEntry(BaseModel):
    employer_id: uuid.UUID = Field(description="the employer (用工单位) taking part")
    name: str = Field(description="the employer's name")
    kind: EmployerKind = Field(description=EMPLOYER_KIND_DOC)
    postings: list[PostingSummary] = Field(description="its open postings")


class FairDetail(FairPublic):
    """A fair's page: everything on offer, employer by employer."""

    offers: list[FairEmployerEntry] = Field(description="every employer taking part, by name")


class FairSignupPublic(BaseModel):
    fair_id: uuid.UUID = Field(description="the fair signed up for")
    resident_id: uuid.UUID = Field(description="the resident (居民) signed up: the caller")
    created_at: datetime = Field(description="when they signed up")
