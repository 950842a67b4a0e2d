"""What the applications API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import Capacity
from shared.pagination import Page

ApplicationState = Literal["applied", "shortlisted", "interviewed", "hired", "rejected", "withdrawn"]


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    posting_id: uuid.UUID
    resident_id: uuid.UUID | None = Field(default=None, description="staff applying for a resident of theirs")


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, description="told to the seeker")


class ApplicantBrief(BaseModel):
    """What an application shows of its seeker; employers see no resident id."""

    resident_id: uuid.UUID | None = Field(description="null for employers and integration clients (masked)")
    label: str = Field(description="a stable pseudonym of the applicant for this application, e.g. 求职者 3F2A")
    community_code: str
    skills: list[str]
    labour_capacity: Capacity
    hours_per_day: int


class ApplicationPublic(BaseModel):
    id: uuid.UUID
    posting_id: uuid.UUID
    posting_title: str
    employer_id: uuid.UUID
    applicant: ApplicantBrief
    state: ApplicationState
    reason: str | None = Field(description="why it was rejected")
    created_at: datetime
    updated_at: datetime
    hired_at: datetime | None


ApplicationPage = Page[ApplicationPublic]
