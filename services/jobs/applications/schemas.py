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
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"posting_id": "25a8614d-7665-5ce6-b5e4-40b25de12f06"}]}
    )

    posting_id: uuid.UUID = Field(description="the posting applied to: open, not past its expiry")
    resident_id: uuid.UUID | None = Field(default=None, description="staff applying for a resident of theirs")


class Rejection(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "岗位需要上夜班，与可工作的班次不符"}]}
    )

    reason: str = Field(min_length=1, max_length=200, description="told to the seeker")


class ApplicantBrief(BaseModel):
    """What an application shows of its seeker; employers see no resident id."""

    resident_id: uuid.UUID | None = Field(description="null for employers and integration clients (masked)")
    label: str = Field(description="a stable pseudonym of the applicant for this application, e.g. 求职者 3F2A")
    community_code: str = Field(description="the community the seeker lived in when applying, 12-digit code")
    skills: list[str] = Field(description="the skills on the seeker's profile now")
    labour_capacity: Capacity = Field(description="the seeker's labour capacity (劳动力) now: full, half or weak")
    hours_per_day: int = Field(description="hours a day the seeker can work, as their profile says now")


class ApplicationPublic(BaseModel):
    id: uuid.UUID = Field(description="the application's id")
    posting_id: uuid.UUID = Field(description="the posting applied to")
    posting_title: str = Field(description="the posting's title now, e.g. 包粽子工")
    employer_id: uuid.UUID = Field(description="the employer (用工单位) of the posting")
    applicant: ApplicantBrief = Field(
        description="the seeker who applied; employers and integration clients get no resident id"
    )
    state: ApplicationState = Field(
        description="its step: applied, shortlisted, interviewed (may be skipped), hired; or rejected, or withdrawn"
    )
    reason: str | None = Field(description="why it was rejected, as the seeker is told; null unless rejected")
    created_at: datetime = Field(description="when it was made")
    updated_at: datetime = Field(description="when its state last changed")
    hired_at: datetime | None = Field(description="when the seeker was hired; null unless hired")


ApplicationPage = Page[ApplicationPublic]
