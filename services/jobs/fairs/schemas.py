"""What the job fairs (招聘会) API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.postings.schemas import PostingSummary
from services.jobs.schemas import ClientId, EmployerKind, InputDateTime
from shared.pagination import Page
from shared.places import CommunityCode, StreetCode


class FairCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ClientId = None
    title: str = Field(min_length=1, max_length=100)
    venue: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    starts_at: InputDateTime
    ends_at: InputDateTime
    community_code: CommunityCode | None = Field(default=None, description="the community holding it")
    street_code: StreetCode | None = Field(default=None, description="a fair of the whole street (street admins)")


class FairPublic(BaseModel):
    id: uuid.UUID
    title: str
    venue: str
    description: str
    starts_at: datetime
    ends_at: datetime
    community_code: str | None
    street_code: str
    employers: int = Field(description="participating employers")
    signups: int = Field(description="residents signed up")
    signed_up: bool = Field(description="whether the caller has signed up")
    created_at: datetime


FairPage = Page[FairPublic]


class FairEmployerEntry(BaseModel):
    employer_id: uuid.UUID
    name: str
    kind: EmployerKind
    postings: list[PostingSummary] = Field(description="its open postings")


class FairDetail(FairPublic):
    """A fair's page: everything on offer, employer by employer."""

    offers: list[FairEmployerEntry]


class FairSignupPublic(BaseModel):
    fair_id: uuid.UUID
    resident_id: uuid.UUID
    created_at: datetime
