"""HTTP endpoints of the roster: members and bindings, 十联户 links, the party tree, and the internal
endpoint the gateway asks for an account's bindings when it issues a token."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.grids.clients import OtherServicesDep
from services.grids.roster import service as roster
from services.grids.roster.access import Anyone, Gateway, Manager, PartyMember, Viewer
from services.grids.roster.schemas import (
    AccountBindings,
    BindingsUpdate,
    LinkedHouseholdPage,
    MemberCreate,
    MemberPage,
    MemberPublic,
    MemberRole,
    MemberUpdate,
    PartyOrgCreate,
    PartyOrgNode,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.pagination import CursorQuery, LimitQuery
from shared.places import GRID_PATTERN

router = APIRouter(prefix="/api/v1/members", tags=["roster"])
party_orgs = APIRouter(prefix="/api/v1/party-orgs", tags=["party organisation"])
internal = APIRouter(prefix="/internal", tags=["internal"])

MemberIdPath = Annotated[uuid.UUID, Path(description="the member's id")]
HouseholdIdPath = Annotated[uuid.UUID, Path(description="the household's id (the residents service's)")]


@router.get(
    "", response_model=MemberPage, responses=problem_responses(401, 403, 422), summary="花名册列表 (List Members)"
)
async def list_members(
    principal: Viewer,
    lane: FastLaneDep,
    role: Annotated[MemberRole | None, Query(description="only members bound in this role (角色)")] = None,
    grid_code: Annotated[
        str | None,
        Query(pattern=GRID_PATTERN, description="only members bound to this grid (with role: in that role), 15 digits"),
    ] = None,
    party_org_id: Annotated[
        uuid.UUID | None, Query(description="only members of this party organisation (党组织)")
    ] = None,
    account_id: Annotated[uuid.UUID | None, Query(description="the member signing in with this account")] = None,
    q: Annotated[str | None, Query(max_length=50, description="part of the name")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Members in the caller's scope (花名册), by name; filter by role, grid, party organisation, account."""
    items, next_cursor = await roster.list_members(
        lane=lane,
        principal=principal,
        role=role,
        grid_code=grid_code,
        party_org_id=party_org_id,
        account_id=account_id,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/me", response_model=MemberPublic, responses=problem_responses(401, 403), summary="我的花名册信息 (My Member)"
)
async def my_member(principal: Anyone, lane: FastLaneDep) -> Response:
    """The caller's own roster entry and bindings."""
    return json_response(await roster.my_member(lane=lane, principal=principal))


@router.get(
    "/me/households",
    response_model=LinkedHouseholdPage,
    responses=problem_responses(401, 403, 422),
    summary="我的联系户 (My Households)",
)
async def my_households(
    principal: PartyMember, lane: FastLaneDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> Response:
    """The households linked to the calling party member (十联户), contact data masked."""
    items, next_cursor = await roster.linked_households(
        lane=lane, principal=principal, member_id=None, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/{member_id}",
    response_model=MemberPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="人员详情 (Get Member)",
)
async def get_member(member_id: MemberIdPath, principal: Viewer, lane: FastLaneDep) -> Response:
    """A member in the caller's scope, with their bindings."""
    return json_response(await roster.get_member(lane=lane, principal=principal, member_id=member_id))


@router.post(
    "",
    status_code=201,
    response_model=MemberPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="登记花名册人员 (Create Member)",
)
async def create_member(
    member_in: MemberCreate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> MemberPublic:
    """Add a member to the community's roster, with their bindings (an account checked with the gateway)."""
    member = await roster.create_member(session=session, principal=principal, member_in=member_in, others=others)
    return await roster.public_member(session, member)


@router.patch(
    "/{member_id}",
    response_model=MemberPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="修改人员信息 (Update Member)",
)
async def update_member(
    member_id: MemberIdPath, changes: MemberUpdate, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> MemberPublic:
    """Change a member's name, account, party membership, work unit or full-time status."""
    member = await roster.update_member(
        session=session, principal=principal, member_id=member_id, changes=changes, others=others
    )
    return await roster.public_member(session, member)


@router.put(
    "/{member_id}/bindings",
    response_model=MemberPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="设置人员角色与辖区 (Replace Bindings)",
)
async def replace_bindings(
    member_id: MemberIdPath, body: BindingsUpdate, principal: Manager, session: SessionDep
) -> MemberPublic:
    """Set the member's whole set of bindings (moving a party member to another grid is one call).
    Their tokens show it from their next refresh."""
    member = await roster.replace_bindings(
        session=session, principal=principal, member_id=member_id, bindings=body.bindings
    )
    return await roster.public_member(session, member)


@router.get(
    "/{member_id}/households",
    response_model=LinkedHouseholdPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="党员联系户列表 (Member Households)",
)
async def member_households(
    member_id: MemberIdPath, principal: Viewer, lane: FastLaneDep, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> Response:
    """The households linked to a party member (十联户)."""
    items, next_cursor = await roster.linked_households(
        lane=lane, principal=principal, member_id=member_id, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.put(
    "/{member_id}/households/{household_id}",
    status_code=201,
    responses={204: {"description": "already linked"}, **problem_responses(401, 403, 404, 422)},
    summary="绑定联系户 (Link Household)",
)
async def link_household(
    member_id: MemberIdPath, household_id: HouseholdIdPath, principal: Manager, session: SessionDep
) -> Response:
    """Link a party member to a household of their community (201 new, 204 already linked)."""
    created = await roster.link_household(
        session=session, principal=principal, member_id=member_id, household_id=household_id
    )
    return Response(status_code=201 if created else 204)


@router.delete(
    "/{member_id}/households/{household_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 422),
    summary="解除联系户 (Unlink Household)",
)
async def unlink_household(
    member_id: MemberIdPath, household_id: HouseholdIdPath, principal: Manager, session: SessionDep
) -> Response:
    """Unlink a party member from a household (十联户)."""
    await roster.unlink_household(session=session, principal=principal, member_id=member_id, household_id=household_id)
    return Response(status_code=204)


@party_orgs.get(
    "", response_model=list[PartyOrgNode], responses=problem_responses(401, 403), summary="党组织架构 (Party Tree)"
)
async def party_tree(principal: Anyone, session: SessionDep) -> list[PartyOrgNode]:
    """The party organisation as far as the caller may see: 县委 → 街道党工委 → 社区党组织 → 小区党支部 → 楼栋党小组."""
    return await roster.party_tree(session=session, principal=principal)


@party_orgs.post(
    "",
    status_code=201,
    response_model=PartyOrgNode,
    responses=problem_responses(401, 403, 404, 422),
    summary="新建党组织 (Create Party Org)",
)
async def create_party_org(org_in: PartyOrgCreate, principal: Manager, session: SessionDep) -> PartyOrgNode:
    """Add an organisation one level below its parent (a compound branch, a building group ...)."""
    org = await roster.create_party_org(session=session, principal=principal, org_in=org_in)
    return PartyOrgNode.model_validate({**org.model_dump(), "members": 0})


@internal.get(
    "/accounts/{account_id}/bindings", response_model=AccountBindings, responses=problem_responses(401, 403, 422)
)
async def account_bindings(account_id: uuid.UUID, principal: Gateway, session: SessionDep) -> AccountBindings:
    """For the gateway, when it issues a token: the account's roles and places (none when it is not
    on the roster)."""
    return await roster.account_bindings(session, account_id)
