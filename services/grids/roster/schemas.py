"""Members, their bindings, the party tree and the 十联户 links as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.pagination import Page
from shared.places import COMMUNITY_PATTERN, PLACE_PATTERN

MemberRole = Literal[
    "street_admin", "community_staff", "grid_worker", "party_member", "volunteer", "building_head", "employer"
]
PartyKind = Literal["resident", "work_unit", "co_building"]
PartyLevel = Literal["county_committee", "street_committee", "community_org", "compound_branch", "building_group"]


class BindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole
    place_code: str = Field(
        pattern=PLACE_PATTERN,
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
    community_code: str = Field(pattern=COMMUNITY_PATTERN, description="the community the member belongs to")
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
        default=None, pattern=COMMUNITY_PATTERN, description="the community of a community party organisation"
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
