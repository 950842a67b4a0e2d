"""What goes in and out for compounds, buildings and households."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from services.residents.registry.schemas import ResidentSummary
from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN


class CompoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    community_code: str = Field(pattern=COMMUNITY_PATTERN)


class CompoundPublic(BaseModel):
    id: uuid.UUID
    name: str
    community_code: str
    street_code: str


class BuildingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    compound_id: uuid.UUID
    name: str = Field(min_length=1, max_length=50, description="e.g. 3号楼")
    grid_code: str = Field(pattern=GRID_PATTERN, description="the grid the building lies in")
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


class HouseholdUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    building_id: uuid.UUID | None = Field(default=None, description="another building the caller keeps")
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    room: str | None = Field(default=None, min_length=1, max_length=20)


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


class CompoundHouseholds(BaseModel):
    compound_id: uuid.UUID
    household_ids: list[uuid.UUID]


class HouseholdSummary(BaseModel):
    """A household in a list: its place and its head's contact, masked."""

    id: uuid.UUID
    building_id: uuid.UUID
    compound_id: uuid.UUID
    unit: str
    room: str
    address: str
    grid_code: str
    community_code: str
    street_code: str
    contact_name: str | None = Field(description="the head's name, masked: 张*")
    contact_phone: str | None = Field(description="the head's phone, masked: 138****1234")


CompoundPage = Page[CompoundPublic]
BuildingPage = Page[BuildingPublic]
HouseholdPage = Page[HouseholdSummary]
