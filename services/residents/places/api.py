"""HTTP endpoints of compounds, buildings and households: thin, one call into ``service`` each."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.residents.clients import OtherServicesDep
from services.residents.places import queries, service
from services.residents.places.access import Gateway, Reader, Registrar, Staff
from services.residents.places.schemas import (
    BuildingCreate,
    BuildingPage,
    BuildingPublic,
    CompoundCreate,
    CompoundHouseholds,
    CompoundPage,
    CompoundPublic,
    HouseholdCreate,
    HouseholdPage,
    HouseholdPublic,
    HouseholdUpdate,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.households import HouseholdFactPage
from shared.pagination import CursorQuery, LimitQuery
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN

households = APIRouter(prefix="/api/v1/households", tags=["residents"])
compounds = APIRouter(prefix="/api/v1/compounds", tags=["residents"])
buildings = APIRouter(prefix="/api/v1/buildings", tags=["residents"])
internal = APIRouter(prefix="/internal", tags=["internal"])
HouseholdId = Annotated[uuid.UUID, Path(description="the household's id")]
CompoundId = Annotated[uuid.UUID, Path(description="the compound's id")]


@households.post(
    "",
    status_code=201,
    response_model=HouseholdPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="登记住户 (Create Household)",
)
async def create_household(body: HouseholdCreate, principal: Registrar, session: SessionDep) -> HouseholdPublic:
    """A flat of a building the caller keeps becomes a household (its residents are added next)."""
    household = await service.create_household(session=session, principal=principal, body=body)
    return await service.household_public(session, household, [])


@compounds.post(
    "",
    status_code=201,
    response_model=CompoundPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="新建小区 (Create Compound)",
)
async def create_compound(body: CompoundCreate, principal: Staff, session: SessionDep) -> CompoundPublic:
    """A compound (小区) of a community the caller is staff of; its name is unique in the community."""
    compound = await service.create_compound(session=session, principal=principal, body=body)
    return CompoundPublic.model_validate(compound, from_attributes=True)


@compounds.get(
    "/{compound_id}",
    response_model=CompoundPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="小区详情 (Get Compound)",
)
async def get_compound(compound_id: CompoundId, principal: Reader, lane: FastLaneDep) -> Response:
    """A compound (小区) of the caller's places: its name, community and street."""
    return json_response(await queries.get_compound(lane=lane, principal=principal, compound_id=compound_id))


@buildings.post(
    "",
    status_code=201,
    response_model=BuildingPublic,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    summary="新建楼栋 (Create Building)",
)
async def create_building(
    body: BuildingCreate, principal: Staff, session: SessionDep, others: OtherServicesDep
) -> BuildingPublic:
    """A building of a compound, in one grid of the community (the grids service must know the grid)."""
    building = await service.create_building(session=session, principal=principal, others=others, body=body)
    return BuildingPublic.model_validate(building, from_attributes=True)


@households.get(
    "/{household_id}",
    response_model=HouseholdPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="住户详情 (Get Household)",
)
async def get_household(household_id: HouseholdId, principal: Reader, lane: FastLaneDep) -> Response:
    """A household and its residents (a resident sees their own)."""
    return json_response(await queries.get_household(lane=lane, principal=principal, household_id=household_id))


@internal.get(
    "/compounds/{compound_id}/households",
    response_model=CompoundHouseholds,
    responses=problem_responses(401, 403, 422),
)
async def compound_households(compound_id: CompoundId, principal: Gateway, session: SessionDep) -> CompoundHouseholds:
    """For the gateway: the households of a compound (whose residents a compound's notice concerns)."""
    return await service.compound_households(session=session, compound_id=compound_id)


@households.patch(
    "/{household_id}",
    response_model=HouseholdPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="修改住户地址 (Update Household)",
)
async def update_household(
    household_id: HouseholdId, changes: HouseholdUpdate, principal: Staff, session: SessionDep
) -> HouseholdPublic:
    """Another flat or building of the community's; a building in another grid moves the household there."""
    household = await service.update_household(
        session=session, principal=principal, household_id=household_id, changes=changes
    )
    return await service.household_with_residents(session=session, principal=principal, household_id=household.id)


@households.delete(
    "/{household_id}",
    status_code=204,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="删除住户 (Remove Household)",
)
async def remove_household(household_id: HouseholdId, principal: Staff, session: SessionDep) -> Response:
    """Remove a household nobody lives in any more (409 while residents live there)."""
    await service.remove_household(session=session, principal=principal, household_id=household_id)
    return Response(status_code=204)


@households.get(
    "", response_model=HouseholdPage, responses=problem_responses(401, 403, 422), summary="住户列表 (List Households)"
)
async def list_households(
    principal: Reader,
    lane: FastLaneDep,
    building_id: Annotated[uuid.UUID | None, Query(description="only households of this building (楼栋)")] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only households of this grid (15-digit grid code)")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Households of the caller's scope by address, their head's name and phone masked."""
    items, next_cursor = await queries.list_households(
        lane=lane, principal=principal, building_id=building_id, grid_code=grid_code, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@compounds.get(
    "", response_model=CompoundPage, responses=problem_responses(401, 403, 422), summary="小区列表 (List Compounds)"
)
async def list_compounds(
    principal: Reader,
    lane: FastLaneDep,
    community_code: Annotated[
        str | None,
        Query(pattern=COMMUNITY_PATTERN, description="only compounds of this community (12-digit community code)"),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Compounds (小区) of the caller's places, by name."""
    items, next_cursor = await queries.list_compounds(
        lane=lane, principal=principal, community_code=community_code, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@buildings.get(
    "", response_model=BuildingPage, responses=problem_responses(401, 403, 422), summary="楼栋列表 (List Buildings)"
)
async def list_buildings(
    principal: Reader,
    lane: FastLaneDep,
    compound_id: Annotated[uuid.UUID | None, Query(description="only buildings of this compound (小区)")] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only buildings in this grid (15-digit grid code)")
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Buildings (楼栋) of the caller's places, by name."""
    items, next_cursor = await queries.list_buildings(
        lane=lane, principal=principal, compound_id=compound_id, grid_code=grid_code, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@internal.get("/households", response_model=HouseholdFactPage, responses=problem_responses(401, 403, 422))
async def household_facts(
    principal: Gateway,
    session: SessionDep,
    after: Annotated[
        uuid.UUID | None, Query(description="the last household id of the previous page (its next_after)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size, 1-1000")] = 500,
) -> HouseholdFactPage:
    """For the resync: every household's facts (ids, codes, address, the head masked), by id."""
    return await service.household_facts(session=session, after=after, limit=limit)
