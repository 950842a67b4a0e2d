"""Members, their bindings, the party tree and the 十联户 links as the API takes and answers them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.pagination import Page
from shared.places import BINDING_PATTERN, COMMUNITY_PATTERN
from shared.vocabularies import PARTY_KINDS, listed

MemberRole = Literal[
    "street_admin",
    "community_staff",
    "grid_worker",
    "party_member",
    "volunteer",
    "building_head",
    "employer",
    "department",
]
PartyKind = Literal["resident", "work_unit", "co_building"]
PartyLevel = Literal["county_committee", "street_committee", "community_org", "compound_branch", "building_group"]


class BindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole = Field(description="the role (角色) the member takes at the place")
    place_code: str = Field(
        pattern=BINDING_PATTERN,
        description=(
            "a street (9 digits, street_admin), community (12, community_staff and employer: where the employer"
            " operates), a department of the street (110105001D01, department: bound by the street's admins)"
            " or grid code (15, the rest)"
        ),
    )


class BindingPublic(BaseModel):
    id: uuid.UUID = Field(description="the binding's id")
    role: MemberRole = Field(description="the role (角色) the member holds at the place")
    place_code: str = Field(
        description="where the role holds: a street (9 digits), community (12), grid (15) or department code"
        " (110105001D01)"
    )
    created_at: datetime = Field(
        description="when the binding was made (replacing the member's bindings makes them anew)"
    )


class BindingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "bindings": [
                        {"role": "party_member", "place_code": "110105001001002"},
                        {"role": "volunteer", "place_code": "110105001001002"},
                    ]
                }
            ]
        },
    )

    bindings: list[BindingIn] = Field(max_length=20, description="the member's whole set of bindings after the change")


class MemberCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "张秀兰",
                    "community_code": "110105001001",
                    "full_time": True,
                    "bindings": [{"role": "grid_worker", "place_code": "110105001001001"}],
                },
                {
                    "name": "李建国",
                    "community_code": "110105001001",
                    "party_kind": "work_unit",
                    "work_unit": "江南小学",
                    "bindings": [{"role": "party_member", "place_code": "110105001001003"}],
                },
                {
                    "name": "陆队长",
                    "account_id": "5b1e9c2d-7a4f-4e3b-9d8c-2f6a1b0e7c53",
                    "bindings": [{"role": "department", "place_code": "110105001D01"}],
                },
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100, description="the member's name, or a partner unit's name (is_unit)")
    community_code: str | None = Field(
        default=None,
        pattern=COMMUNITY_PATTERN,
        description="the community the member belongs to; null for a member of the street itself (a department's"
        " people, bound by the street's admins): its street is that of its bindings",
    )
    account_id: uuid.UUID | None = Field(default=None, description="the gateway account they sign in with")
    party_kind: PartyKind | None = Field(default=None, description="for party members: " + listed(PARTY_KINDS))
    party_org_id: uuid.UUID | None = Field(
        default=None,
        description="the party organisation (党组织) of a party member: of the member's community or above it",
    )
    work_unit: str | None = Field(default=None, max_length=100, description="工作单位 (在职党员) or the partner unit")
    full_time: bool | None = Field(default=None, description="grid workers: 专职 (true) or 兼职 (false)")
    is_unit: bool = Field(default=False, description="a partner unit 共建单位 rather than a person")
    bindings: list[BindingIn] = Field(
        default_factory=list,
        max_length=20,
        description="the member's roles and places (角色绑定): of their community, or its street for street_admin",
    )


class MemberUpdate(BaseModel):
    """The fields to change; a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, min_length=1, max_length=100, description="the member's new name (null is refused)"
    )
    account_id: uuid.UUID | None = Field(
        default=None, description="the gateway account they sign in with; null: they no longer sign in"
    )
    party_kind: PartyKind | None = Field(
        default=None, description="the kind of party member (党员类别); null: not a party member"
    )
    party_org_id: uuid.UUID | None = Field(
        default=None, description="the party organisation (党组织) they belong to; null: none"
    )
    work_unit: str | None = Field(
        default=None, max_length=100, description="工作单位 (在职党员) or the partner unit; null: none"
    )
    full_time: bool | None = Field(
        default=None, description="grid workers: 专职 (true) or 兼职 (false); null: not said"
    )


class MemberSummary(BaseModel):
    id: uuid.UUID = Field(description="the member's id")
    name: str = Field(description="the member's name, or a partner unit's name (is_unit)")
    account_id: uuid.UUID | None = Field(description="the gateway account they sign in with; null when they have none")
    street_code: str = Field(description="the member's street (街道), 9-digit street code")
    community_code: str | None = Field(
        description="the member's community; null for the street's own members (its admins, its departments' people)"
    )
    party_kind: PartyKind | None = Field(description="the kind of party member (党员类别); null for non-members")
    party_org_id: uuid.UUID | None = Field(description="the party organisation (党组织) they belong to; null when none")
    work_unit: str | None = Field(description="工作单位 (在职党员) or the partner unit; null when not given")
    full_time: bool | None = Field(description="grid workers: 专职 (true) or 兼职 (false); null when not given")
    is_unit: bool = Field(description="true for a partner unit (共建单位) rather than a person")
    created_at: datetime = Field(description="when the member was added to the roster, ISO 8601 with time zone")


class MemberPublic(MemberSummary):
    bindings: list[BindingPublic] = Field(
        description="the member's roles and places (角色绑定), by role and place code"
    )


MemberPage = Page[MemberSummary]


class AccountBindings(BaseModel):
    """What the gateway puts into an account's token."""

    account_id: uuid.UUID = Field(description="the gateway account asked about")
    member_id: uuid.UUID | None = Field(description="the account's member on the roster; null when it is on none")
    roles: list[str] = Field(description="the account's roles, sorted; empty when it is not on the roster")
    places: dict[str, list[str]] = Field(
        description="for each role, the place codes (street, community or grid) it holds, sorted"
    )


class LinkedHousehold(BaseModel):
    """A household linked to a party member (十联户), contact data masked."""

    id: uuid.UUID = Field(description="the household's id (the residents service's)")
    grid_code: str = Field(description="the grid (网格) the household lies in, 15-digit grid code")
    address: str = Field(description="the household's address, e.g. 江南小区3号楼2单元501")
    contact_name: str | None = Field(description="the head's (户主) name, masked, e.g. 张*")
    contact_phone: str | None = Field(description="the head's (户主) phone, masked, e.g. 139****0001")
    linked_at: datetime = Field(description="when the party member was linked to the household")
    last_visited_at: datetime | None = Field(
        description="the household's latest visit (走访), by anyone; null when never visited"
    )


LinkedHouseholdPage = Page[LinkedHousehold]


class PartyOrgCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_id: uuid.UUID = Field(description="the organisation one level up")
    name: str = Field(min_length=1, max_length=100, description="the organisation's name, e.g. 江南小区党支部")
    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="the community of a community party organisation"
    )
    compound: str | None = Field(default=None, max_length=100, description="小区 of a compound branch")
    building: str | None = Field(default=None, max_length=50, description="楼栋 of a building group")


class PartyOrgNode(BaseModel):
    id: uuid.UUID = Field(description="the party organisation's id")
    level: PartyLevel = Field(description="its level: 县委 → 街道党工委 → 社区党组织 → 小区党支部 → 楼栋党小组")
    name: str = Field(description="the organisation's name, e.g. 江南社区党委")
    place_code: str = Field(
        description="where it sits: the county (6 digits) for the county committee, else a street or community code"
    )
    compound: str | None = Field(description="the compound (小区) of a compound branch and its groups; null above")
    building: str | None = Field(description="the building (楼栋) of a building group; null for the other levels")
    members: int = Field(description="party members directly in this organisation")
    children: list[PartyOrgNode] = Field(
        default_factory=list, description="the organisations one level below that the caller may see, by name"
    )
