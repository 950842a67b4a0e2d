from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.grids.geometry import GeoJsonPolygon
from shared.pagination import Page


class GridCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=15, max_length=15, pattern=r"^\d{15}$", description="15-digit grid code")
    name: str = Field(min_length=1, max_length=100, description="网格名称, e.g. 第一网格")
    boundary: GeoJsonPolygon | None = Field(default=None, description="边界 as a GeoJSON Polygon")


class BoundaryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    boundary: GeoJsonPolygon | None = Field(description="the new boundary, or null to clear it")


class GridSummary(BaseModel):
    """A grid in a list (without its boundary)."""

    code: str
    name: str
    community_code: str
    street_code: str
    created_at: datetime


class GridPublic(GridSummary):
    boundary: GeoJsonPolygon | None = Field(default=None, description="GeoJSON Polygon, when known")


GridPage = Page[GridSummary]


class TreeGrid(BaseModel):
    code: str
    name: str


class TreeCommunity(BaseModel):
    code: str
    name: str
    grids: list[TreeGrid]


class StreetTree(BaseModel):
    """街道 → 社区 → 网格, limited to what the caller may see."""

    code: str
    name: str
    communities: list[TreeCommunity]


# -- the roster ------------------------------------------------------------------------------

MemberRole = Literal[
    "street_admin", "community_staff", "grid_worker", "party_member", "volunteer", "building_head", "employer"
]
PartyKind = Literal["resident", "work_unit", "co_building"]
PartyLevel = Literal["county_committee", "street_committee", "community_org", "compound_branch", "building_group"]


class BindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole
    place_code: str = Field(
        pattern=r"^(\d{9}|\d{12}|\d{15})$",
        description=(
            "a street (9 digits, street_admin), community (12, community_staff and employer: where the employer"
            " operates) or grid code (15, the rest)"
        ),
    )


class BindingPublic(BaseModel):
    id: uuid.UUID
    role: MemberRole
    place_code: str
    created_at: datetime


class BindingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bindings: list[BindingIn] = Field(max_length=20, description="the member's whole set of bindings after the change")


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    community_code: str = Field(pattern=r"^\d{12}$", description="the community the member belongs to")
    account_id: uuid.UUID | None = Field(default=None, description="the gateway account they sign in with")
    party_kind: PartyKind | None = Field(default=None, description="for party members: 居民党员, 在职党员, 共驻共建")
    party_org_id: uuid.UUID | None = None
    work_unit: str | None = Field(default=None, max_length=100, description="工作单位 (在职党员) or the partner unit")
    full_time: bool | None = Field(default=None, description="grid workers: 专职 (true) or 兼职 (false)")
    is_unit: bool = Field(default=False, description="a partner unit 共建单位 rather than a person")
    bindings: list[BindingIn] = Field(default_factory=list, max_length=20)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    account_id: uuid.UUID | None = None
    party_kind: PartyKind | None = None
    party_org_id: uuid.UUID | None = None
    work_unit: str | None = Field(default=None, max_length=100)
    full_time: bool | None = None


class MemberSummary(BaseModel):
    id: uuid.UUID
    name: str
    account_id: uuid.UUID | None
    street_code: str
    community_code: str | None = Field(description="null for a street's admins")
    party_kind: PartyKind | None
    party_org_id: uuid.UUID | None
    work_unit: str | None
    full_time: bool | None
    is_unit: bool
    created_at: datetime


class MemberPublic(MemberSummary):
    bindings: list[BindingPublic]


MemberPage = Page[MemberSummary]


class AccountBindings(BaseModel):
    """What the gateway puts into an account's token."""

    account_id: uuid.UUID
    member_id: uuid.UUID | None
    roles: list[str]
    places: dict[str, list[str]]


class LinkedHousehold(BaseModel):
    """A household linked to a party member (十联户), contact data masked."""

    id: uuid.UUID
    grid_code: str
    address: str
    contact_name: str | None = Field(description="masked, e.g. 张*")
    contact_phone: str | None = Field(description="masked, e.g. 139****0001")
    linked_at: datetime
    last_visited_at: datetime | None


LinkedHouseholdPage = Page[LinkedHousehold]


class PartyOrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_id: uuid.UUID = Field(description="the organisation one level up")
    name: str = Field(min_length=1, max_length=100)
    community_code: str | None = Field(
        default=None, pattern=r"^\d{12}$", description="the community of a community party organisation"
    )
    compound: str | None = Field(default=None, max_length=100, description="小区 of a compound branch")
    building: str | None = Field(default=None, max_length=50, description="楼栋 of a building group")


class PartyOrgNode(BaseModel):
    id: uuid.UUID
    level: PartyLevel
    name: str
    place_code: str
    compound: str | None
    building: str | None
    members: int = Field(description="party members directly in this organisation")
    children: list[PartyOrgNode] = Field(default_factory=list)


# -- visits ----------------------------------------------------------------------------------

VisitKind = Literal["routine", "wedding_funeral", "illness", "family_change", "dispute", "accident"]


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="made by the app (offline): sending the same visit again is harmless")
    household_id: uuid.UUID
    kind: VisitKind = Field(description="routine, or one of the five must-visits 五必访")
    visited_at: AwareDatetime
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    notes: str = Field(default="", max_length=2000)
    follow_up: bool = Field(default=False, description="a problem to hand on: becomes an issue order")


class VisitSync(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visits: list[VisitIn] = Field(min_length=1, max_length=200)


class VisitResult(BaseModel):
    id: uuid.UUID
    status: Literal["created", "exists", "rejected"]
    reason: str | None = None


class VisitSyncResult(BaseModel):
    results: list[VisitResult]


class PhotoPublic(BaseModel):
    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class VisitPublic(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str
    community_code: str
    street_code: str
    kind: VisitKind
    visited_at: datetime
    lat: float | None
    lng: float | None
    outside_grid: bool | None = Field(description="true when the GPS point lies outside the grid's boundary")
    notes: str
    follow_up: bool
    created_at: datetime
    photos: list[PhotoPublic] = Field(default_factory=list)


class VisitSummary(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    household_id: uuid.UUID
    grid_code: str
    kind: VisitKind
    visited_at: datetime
    outside_grid: bool | None
    follow_up: bool


VisitPage = Page[VisitSummary]


class GridCoverage(BaseModel):
    grid_code: str
    households: int
    visited: int = Field(description="households visited in the last 30 days")
    ratio: float


class CoverageReport(BaseModel):
    since: datetime
    items: list[GridCoverage]
