"""What goes in and out of the registry: residents, tags, the gateway's lookup and the statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.residents.vocab import Employment, Gender, Relation, ResidenceType
from shared.pagination import Page
from shared.places import GroupBy

# The lengths the registry keeps (resident.skills, resident.tags).
Skill = Annotated[str, StringConstraints(min_length=1, max_length=50)]
TagCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class ResidentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "household_id": "5b8e3c1d-2f4a-4e6b-9c7d-0a1b2c3d4e5f",
                    "name": "张秀兰",
                    "id_number": "110105195203150005",
                    "phone": "13800000000",
                    "relation": "head",
                    "residence_type": "registered",
                    "registered_residence": "北京市朝阳区",
                    "employment": "retired",
                    "skills": ["缝纫"],
                    "tags": ["elderly", "empty_nest"],
                }
            ]
        },
    )

    household_id: uuid.UUID = Field(description="the household (户) they live in, one the caller keeps")
    name: str = Field(min_length=1, max_length=50, description="full name as on the ID card")
    id_number: str = Field(
        min_length=15,
        max_length=20,
        description="居民身份证号, GB 11643: stored encrypted, always answered masked unless revealed on purpose",
    )
    phone: str | None = Field(
        default=None,
        max_length=20,
        description="mainland mobile: stored encrypted, always answered masked unless revealed on purpose",
    )
    relation: Relation = Field(description="与户主关系")
    residence_type: ResidenceType = Field(description="户籍 / 常住 / 流动 / 易地搬迁安置")
    registered_residence: str | None = Field(default=None, max_length=200, description="户籍地")
    origin_township: str | None = Field(default=None, max_length=100, description="迁出乡镇 of relocated families")
    employment: Employment | None = Field(default=None, description="就业状态; null when not known")
    skills: list[Skill] = Field(
        default_factory=list,
        max_length=20,
        description="what they can do, in plain words (电工, 护理), for the job board",
    )
    tags: list[TagCode] = Field(default_factory=list, max_length=20, description="tag codes from GET /api/v1/tags")
    guardian_id: uuid.UUID | None = Field(default=None, description="required under 14: an adult of the household")


class ResidentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=50, description="full name; may not be null")
    phone: str | None = Field(
        default=None,
        max_length=20,
        description="a new mainland mobile, stored encrypted and answered masked; null or empty removes it",
    )
    household_id: uuid.UUID | None = Field(default=None, description="moving to another household")
    relation: Relation | None = Field(default=None, description="与户主关系; may not be null")
    residence_type: ResidenceType | None = Field(default=None, description="居住类型; may not be null")
    registered_residence: str | None = Field(default=None, max_length=200, description="户籍地; null clears it")
    origin_township: str | None = Field(
        default=None, max_length=100, description="迁出乡镇; required while residence_type is relocated"
    )
    employment: Employment | None = Field(default=None, description="就业状态; null clears it")
    skills: list[Skill] | None = Field(default=None, max_length=20, description="the whole new list; null empties it")
    tags: list[TagCode] | None = Field(
        default=None, max_length=20, description="the whole new list of tag codes; null empties it"
    )
    guardian_id: uuid.UUID | None = Field(
        default=None, description="the guardian (监护人) of a resident under 14: an adult of the household"
    )


class ResidentSummary(BaseModel):
    id: uuid.UUID = Field(description="the resident's id")
    name: str = Field(description="the resident's full name")
    gender: Gender = Field(description="from the ID number")
    birth_date: date = Field(description="from the ID number")
    id_number: str = Field(
        description="身份证号, masked: 110105********002X; clear only by POST /api/v1/residents/{id}/reveal"
    )
    phone: str | None = Field(
        description="mobile, masked: 138****1234, clear only by POST /api/v1/residents/{id}/reveal; null when none"
    )
    household_id: uuid.UUID = Field(description="the household (户) they live in")
    relation: Relation = Field(description="与户主关系: relation to the household's head")
    residence_type: ResidenceType = Field(description="居住类型: 户籍 / 常住 / 流动 / 易地搬迁安置")
    tags: list[str] = Field(description="sensitive tags only for roles that need them")
    grid_code: str = Field(description="the grid (网格) of their household, 15-digit grid code")
    community_code: str = Field(description="their community (社区), 12-digit community code")
    street_code: str = Field(description="their street (街道), 9-digit street code")


class ResidentPublic(ResidentSummary):
    registered_residence: str | None = Field(description="户籍地: where their hukou is; null when not recorded")
    origin_township: str | None = Field(description="迁出乡镇 of a relocated family; null otherwise")
    employment: Employment | None = Field(description="就业状态; null when not recorded")
    skills: list[str] = Field(description="what they can do, in plain words (电工, 护理)")
    guardian_id: uuid.UUID | None = Field(description="the guardian (监护人) of a resident under 14; null otherwise")
    created_at: datetime = Field(description="when they were registered, ISO 8601 with time zone")
    updated_at: datetime = Field(description="when their record last changed, ISO 8601 with time zone")


ResidentPage = Page[ResidentSummary]


class TagPublic(BaseModel):
    code: str = Field(description="the tag's code, as in a resident's tags")
    name: str = Field(description="its Chinese name, e.g. 高龄老人")
    sensitive: bool = Field(description="health, minors or hardship: seen only by community staff and grid workers")
    local: bool = Field(description="a community's own tag (the X of 9+X), not one of the nine standard ones")


class ResidentLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(default=None, max_length=20, description="the full mobile number (or resident_id)")
    resident_id: uuid.UUID | None = Field(default=None, description="the resident's id (or phone)")


class ResidentPlace(BaseModel):
    """For the gateway: where a resident lives."""

    resident_id: uuid.UUID = Field(description="the resident's id")
    household_id: uuid.UUID = Field(description="their household (户)")
    grid_code: str = Field(description="the grid (网格) of their household, 15-digit grid code")
    name: str = Field(description="for the account a resident's first SMS sign-in creates")


class PlaceResidents(BaseModel):
    place_code: str = Field(description="the grid, community or street, as grouped")
    residents: int = Field(description="residents registered there")
    by_residence_type: dict[str, int] = Field(
        description="registered 户籍, permanent 常住, floating 流动, relocated 易地搬迁"
    )
    by_tag: dict[str, int] = Field(description="residents with each tag (a resident may have several)")


class ResidentStats(BaseModel):
    group_by: GroupBy = Field(description="what the rows are per: grid, community or street")
    items: list[PlaceResidents] = Field(description="one row per place, by code")
