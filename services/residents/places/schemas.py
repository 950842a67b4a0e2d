"""What goes in and out for compounds, buildings and households."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from services.residents.registry.schemas import ResidentSummary
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN


class CompoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="the compound's (小区) name, unique in its community")
    community_code: str = Field(
        pattern=COMMUNITY_PATTERN, description="its community (社区), 12-digit code; one the caller is staff of"
    )


class CompoundPublic(BaseModel):
    id: uuid.UUID = Field(description="the compound's id")
    name: str = Field(description="the compound's (小区) name, e.g. 幸福里小区")
    community_code: str = Field(description="its community (社区), 12-digit community code")
    street_code: str = Field(description="its street (街道), 9-digit street code")


class BuildingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "compound_id": "0e7f6d5c-4b3a-4291-8f7e-6d5c4b3a2910",
                    "name": "3号楼",
                    "grid_code": "110105001001001",
                    "floors": 6,
                    "units": 3,
                }
            ]
        },
    )

    compound_id: uuid.UUID = Field(
        description="the compound (小区) it belongs to, of a community the caller is staff of"
    )
    name: str = Field(min_length=1, max_length=50, description="e.g. 3号楼")
    grid_code: str = Field(pattern=GRID_PATTERN, description="the grid the building lies in")
    floors: int | None = Field(default=None, ge=1, le=200, description="how many floors (层数), if known")
    units: int | None = Field(default=None, ge=1, le=50, description="how many units (单元), if known")


class BuildingPublic(BaseModel):
    id: uuid.UUID = Field(description="the building's id")
    compound_id: uuid.UUID = Field(description="the compound (小区) it belongs to")
    name: str = Field(description="the building's (楼栋) name in its compound, e.g. 3号楼")
    floors: int | None = Field(description="how many floors (层数); null when not recorded")
    units: int | None = Field(description="how many units (单元); null when not recorded")
    grid_code: str = Field(description="the grid (网格) it lies in, 15-digit grid code")
    community_code: str = Field(description="its community (社区), 12-digit community code")
    street_code: str = Field(description="its street (街道), 9-digit street code")


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"building_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "unit": "2单元", "room": "501"}]
        },
    )

    building_id: uuid.UUID = Field(description="the building (楼栋) of the flat, one the caller keeps")
    unit: str = Field(min_length=1, max_length=20, description="e.g. 2单元")
    room: str = Field(min_length=1, max_length=20, description="e.g. 501")


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    building_id: uuid.UUID | None = Field(default=None, description="another building the caller keeps")
    unit: str | None = Field(
        default=None, min_length=1, max_length=20, description="another unit (单元); may not be null"
    )
    room: str | None = Field(
        default=None, min_length=1, max_length=20, description="another room number; may not be null"
    )


class HouseholdPlace(BaseModel):
    """Where a household lives: what its list entry and its page share."""

    id: uuid.UUID = Field(description="the household's id")
    building_id: uuid.UUID = Field(description="the building (楼栋) of its flat")
    compound_id: uuid.UUID = Field(description="the compound (小区) of its building")
    unit: str = Field(description="its unit (单元), e.g. 2单元")
    room: str = Field(description="its room number, e.g. 501")
    address: str = Field(description="compound, building, unit and room together, e.g. 幸福里小区3号楼2单元501")
    grid_code: str = Field(description="the grid (网格) of its building, 15-digit grid code")
    community_code: str = Field(description="its community (社区), 12-digit community code")
    street_code: str = Field(description="its street (街道), 9-digit street code")


class HouseholdPublic(HouseholdPlace):
    residents: list[ResidentSummary] = Field(
        default_factory=list,
        description="its residents the caller may see: the head first, then oldest first (ID numbers, phones masked)",
    )


class CompoundHouseholds(BaseModel):
    compound_id: uuid.UUID = Field(description="the compound's id")
    household_ids: list[uuid.UUID] = Field(description="every household of the compound's buildings")


class HouseholdSummary(HouseholdPlace):
    """A household in a list: its place and its head's contact, masked."""

    contact_name: str | None = Field(description="the head's (户主) name, masked: 张*; null when it has no head")
    contact_phone: str | None = Field(
        description="the head's phone, masked: 138****1234; null when no head or no phone"
    )


CompoundPage = Page[CompoundPublic]
BuildingPage = Page[BuildingPublic]
HouseholdPage = Page[HouseholdSummary]
