"""A household as the residents service tells the others about it (docs/ARCHITECTURE.md "Events"): the
payload of ``household.created``, ``household.updated``, ``household.moved`` and ``household.removed``,
and the items of the internal page ``GET /internal/households`` that ``python -m deploy.resync
households`` reads. Ids, codes, the compound's name, the address, and the head's name and phone only
masked (张*, 139****0001): never a clear value.

The residents service owns households; the grids service keeps a copy (visits, 十联户, coverage,
compound notices) fed by these events, and the resync puts it right when the two disagree."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.places import COMMUNITY_PATTERN, GRID_PATTERN, STREET_PATTERN

HOUSEHOLD_EVENTS = ("household.created", "household.updated", "household.moved", "household.removed")


class HouseholdFact(BaseModel):
    model_config = ConfigDict(extra="ignore")

    household_id: uuid.UUID = Field(description="the household's (户) id in the residents service")
    building_id: uuid.UUID = Field(description="the building (楼栋) it is in")
    compound_id: uuid.UUID = Field(description="the compound (小区) of that building")
    compound_name: str = Field(max_length=100, description="the compound's name")
    address: str = Field(max_length=200, description="compound, building, unit and room as one line")
    grid_code: str = Field(pattern=GRID_PATTERN, description="the grid (网格) it belongs to, 15-digit grid code")
    community_code: str = Field(pattern=COMMUNITY_PATTERN, description="its community (社区), 12-digit community code")
    street_code: str = Field(pattern=STREET_PATTERN, description="its street (街道), 9-digit street code")
    contact_name: str | None = Field(default=None, max_length=50, description="the head's name, masked: 张*")
    contact_phone: str | None = Field(default=None, max_length=20, description="the head's phone, masked")
    removed: bool = Field(default=False, description="true in household.removed")


class HouseholdFactPage(BaseModel):
    """A page of ``GET /internal/households?after=&limit=`` (keyset by id)."""

    items: list[HouseholdFact] = Field(description="the households after the `after` id, by id")
    next_after: uuid.UUID | None = Field(description="the last id of this page; null on the last page")
