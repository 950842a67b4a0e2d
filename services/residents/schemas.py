from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.residents.vocab import Employment, Gender, Relation, ResidenceType
from shared.pagination import Page

RevealField = Literal["phone", "id_number"]


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


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[RevealField] = Field(min_length=1, max_length=2)
    purpose: str = Field(min_length=4, max_length=200, description="why the clear value is needed (audited)")


class Revealed(BaseModel):
    phone: str | None = None
    id_number: str | None = None


class RevealRecord(BaseModel):
    id: int
    at: datetime
    account_id: str
    role: str
    resident_id: uuid.UUID
    fields: list[str]
    purpose: str
    request_id: str | None


RevealPage = Page[RevealRecord]


class TagPublic(BaseModel):
    code: str
    name: str
    sensitive: bool
    local: bool


class CompoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    community_code: str = Field(pattern=r"^\d{12}$")


class CompoundPublic(BaseModel):
    id: uuid.UUID
    name: str
    community_code: str
    street_code: str


class BuildingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    compound_id: uuid.UUID
    name: str = Field(min_length=1, max_length=50, description="e.g. 3号楼")
    grid_code: str = Field(pattern=r"^\d{15}$", description="the grid the building lies in")
    floors: int | None = Field(default=None, ge=1, le=200)
    units: int | None = Field(default=None, ge=1, le=50)


class BuildingPublic(BaseModel):
    id: uuid.UUID
    compound_id: uuid.UUID
    name: str
    floors: int | None
    units: int | None
    grid_code: str
    community_code: str
    street_code: str


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    building_id: uuid.UUID
    unit: str = Field(min_length=1, max_length=20, description="e.g. 2单元")
    room: str = Field(min_length=1, max_length=20, description="e.g. 501")


class HouseholdPublic(BaseModel):
    id: uuid.UUID
    building_id: uuid.UUID
    compound_id: uuid.UUID = Field(description="the compound (小区) of the household's building")
    unit: str
    room: str
    address: str
    grid_code: str
    community_code: str
    street_code: str
    residents: list[ResidentSummary] = Field(default_factory=list)


class ResidentLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(default=None, max_length=20)
    resident_id: uuid.UUID | None = None


class ResidentPlace(BaseModel):
    """For the gateway: where a resident lives."""

    resident_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str


class ImportError_(BaseModel):
    row: int
    column: str
    reason: str


class ImportReport(BaseModel):
    dry_run: bool
    rows: int
    created: int = Field(description="residents written (0 on a dry run or when any row is bad)")
    errors: list[ImportError_]
