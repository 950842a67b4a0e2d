"""What the postings API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.jobs.schemas import Category, ClientId, InputDateTime, Shift, Skill, day_shift
from shared.pagination import Page
from shared.places import GridCode

WageUnit = Literal["month", "day", "hour", "piece"]
PostingState = Literal["draft", "open", "closed"]
Fen = Annotated[int, Field(ge=0, le=100_000_000, strict=True, description="in fen (分)")]


class PostingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "employer_id": "0888a8a2-386b-5053-9884-6618a8373991",
                    "title": "粽子包装工",
                    "description": "粽子装袋、封口、装箱，日结，适合弱劳动力、半劳动力就近就业",
                    "category": "handicraft",
                    "wage_min": 9000,
                    "wage_max": 12000,
                    "wage_unit": "day",
                    "hours_per_day": 6,
                    "shifts": ["day", "flexible"],
                    "headcount": 5,
                    "skills": ["包装"],
                    "suits_weak_labour": True,
                    "grid_code": "110105001001002",
                    "address": "晴岚家园13号楼底商",
                }
            ]
        },
    )

    id: ClientId = None
    employer_id: uuid.UUID | None = Field(default=None, description="required for staff; an employer posts its own")
    title: str = Field(min_length=1, max_length=100, description="the job's title, e.g. 包粽子工")
    description: str = Field(default="", max_length=4000, description="what the job is: duties, conditions; plain text")
    category: Category = Field(description="the trade (行业) of the job")
    wage_min: Fen
    wage_max: Fen
    wage_unit: WageUnit = Field(description="per month 月薪, day 日薪, hour 时薪, or piece 计件")
    hours_per_day: int = Field(ge=1, le=24, strict=True, description="working hours a day")
    shifts: list[Shift] = Field(
        default_factory=day_shift, min_length=1, max_length=4, description="the shifts (班次) it works; default day"
    )
    headcount: int = Field(
        ge=1, le=10_000, strict=True, description="people wanted; the posting closes when they are hired"
    )
    skills: list[Skill] = Field(default_factory=list, max_length=20, description="skills wanted")
    suits_weak_labour: bool = Field(default=False, strict=True, description="suits weak or half labour (弱/半劳动力)")
    grid_code: GridCode | None = Field(default=None, description="a grid of the employer's community")
    address: str | None = Field(default=None, max_length=200, description="where the work is done; null: not given")
    expires_at: InputDateTime | None = Field(default=None, description="no applications after this")


class PostingUpdate(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100, description="the job's title; not null")
    description: str | None = Field(
        default=None, max_length=4000, description='what the job is; not null ("" empties it)'
    )
    category: Category | None = Field(default=None, description="the trade (行业) of the job; not null")
    wage_min: Fen | None = Field(default=None, description="lowest wage in fen (分) per wage_unit; not null")
    wage_max: Fen | None = Field(default=None, description="highest wage in fen (分) per wage_unit; not null")
    wage_unit: WageUnit | None = Field(
        default=None, description="per month 月薪, day 日薪, hour 时薪, or piece 计件; not null"
    )
    hours_per_day: int | None = Field(
        default=None, ge=1, le=24, strict=True, description="working hours a day; not null"
    )
    shifts: list[Shift] | None = Field(
        default=None, min_length=1, max_length=4, description="the shifts (班次) it works, replacing them all; not null"
    )
    headcount: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        strict=True,
        description="people wanted, at least those hired; down to them closes it (filled); not null",
    )
    skills: list[Skill] | None = Field(
        default=None, max_length=20, description="skills wanted, replacing them all; not null"
    )
    suits_weak_labour: bool | None = Field(
        default=None, strict=True, description="suits weak or half labour (弱/半劳动力); not null"
    )
    grid_code: GridCode | None = Field(default=None, description="a grid of the employer's community; null clears it")
    address: str | None = Field(default=None, max_length=200, description="where the work is done; null clears it")
    expires_at: InputDateTime | None = Field(
        default=None, description="no applications after this, ISO 8601 with time zone; null: no expiry"
    )


class PostingSummary(BaseModel):
    id: uuid.UUID = Field(description="the posting's id")
    employer_id: uuid.UUID = Field(description="the employer (用工单位) offering the job")
    employer_name: str = Field(description="the employer's name, e.g. 粽叶扶贫车间")
    title: str = Field(description="the job's title, e.g. 包粽子工")
    category: Category = Field(description="the trade (行业) of the job")
    wage_min: int = Field(description="lowest wage in fen (分) per wage_unit: 300000 a month is 3,000 yuan (元)")
    wage_max: int = Field(description="highest wage in fen (分) per wage_unit")
    wage_unit: WageUnit = Field(description="what the wage is per: month 月薪, day 日薪, hour 时薪, or piece 计件")
    hours_per_day: int = Field(description="working hours a day")
    shifts: list[Shift] = Field(description="the shifts (班次) it works")
    headcount: int = Field(description="people wanted; the posting closes (filled) when as many are hired")
    hired: int = Field(description="applicants hired so far")
    skills: list[str] = Field(description="skills wanted; empty when it asks for none")
    suits_weak_labour: bool = Field(description="whether it suits weak or half labour (弱/半劳动力)")
    community_code: str = Field(description="the employer's community, 12-digit community code (社区代码)")
    street_code: str = Field(description="the employer's street, 9-digit street code (街道代码)")
    grid_code: str | None = Field(description="the grid (网格) of the workplace, 15-digit grid code; null: not given")
    state: PostingState = Field(
        description="draft (not yet published), open (taking applications) or closed; open past expires_at is closed"
    )
    expires_at: datetime | None = Field(description="no applications after this; null: no expiry")
    opened_at: datetime | None = Field(description="when staff last published it (审核发布); null: never published")
    created_at: datetime = Field(description="when the draft was written")


class PostingPublic(PostingSummary):
    description: str = Field(description="what the job is: duties, conditions; may be empty")
    address: str | None = Field(description="where the work is done; null: not given")
    closed_reason: Literal["filled", "closed", "expired"] | None = Field(
        description="filled by hires, closed by hand, or past its expiry"
    )
    closed_at: datetime | None = Field(
        description="when it was filled or closed by hand; null while draft or open, and when only expired"
    )
    updated_at: datetime = Field(description="when it last changed")


PostingPage = Page[PostingSummary]
