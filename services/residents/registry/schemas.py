"""What goes in and out of the registry: residents, tags, the gateway's lookup and the statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.residents.vocab import Employment, Gender, Relation, ResidenceType
from shared.pagination import Page
from shared.places import GroupBy


class ResidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: uuid.UUID
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=15, max_length=20, description="居民身份证号, GB 11643")
    phone: str | None = Field(default=None, max_length=20, description="mainland mobile: stored encrypted")
    relation: Relation = Field(description="与户主关系")
    residence_type: ResidenceType = Field(description="户籍 / 常住 / 流动 / 易地搬迁安置")
    registered_residence: str | None = Field(default=None, max_length=200, description="户籍地")
    origin_township: str | None = Field(default=None, max_length=100, description="迁出乡镇 of relocated families")
    employment: Employment | None = None
    skills: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=20, description="tag codes from GET /api/v1/tags")
    guardian_id: uuid.UUID | None = Field(default=None, description="required under 14: an adult of the household")


class ResidentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=50)
    phone: str | None = Field(default=None, max_length=20)
    household_id: uuid.UUID | None = Field(default=None, description="moving to another household")
    relation: Relation | None = None
    residence_type: ResidenceType | None = None
    registered_residence: str | None = Field(default=None, max_length=200)
    origin_township: str | None = Field(default=None, max_length=100)
    employment: Employment | None = None
    skills: list[str] | None = Field(default=None, max_length=20)
    tags: list[str] | None = Field(default=None, max_length=20)
    guardian_id: uuid.UUID | None = None


class ResidentSummary(BaseModel):
    id: uuid.UUID
    name: str
    gender: Gender
    birth_date: date
    id_number: str = Field(description="masked: 110105********002X")
    phone: str | None = Field(description="masked: 138****1234")
    household_id: uuid.UUID
    relation: Relation
    residence_type: ResidenceType
    tags: list[str] = Field(description="sensitive tags only for roles that need them")
    grid_code: str
    community_code: str
    street_code: str


class ResidentPublic(ResidentSummary):
    registered_residence: str | None
    origin_township: str | None
    employment: Employment | None
    skills: list[str]
    guardian_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


ResidentPage = Page[ResidentSummary]


class TagPublic(BaseModel):
    code: str
    name: str
    sensitive: bool
    local: bool


class ResidentLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(default=None, max_length=20)
    resident_id: uuid.UUID | None = None


class ResidentPlace(BaseModel):
    """For the gateway: where a resident lives."""

    resident_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str
    name: str = Field(description="for the account a resident's first SMS sign-in creates")


class PlaceResidents(BaseModel):
    place_code: str
    residents: int
    by_residence_type: dict[str, int] = Field(
        description="registered 户籍, permanent 常住, floating 流动, relocated 易地搬迁"
    )
    by_tag: dict[str, int] = Field(description="residents with each tag (a resident may have several)")


class ResidentStats(BaseModel):
    group_by: GroupBy
    items: list[PlaceResidents]
