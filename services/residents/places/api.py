"""HTTP endpoints of compounds, buildings and households: thin, one call into ``service`` each."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.residents.places import service
from services.residents.places.access import Gateway, Reader, Registrar, Staff
from services.residents.places.schemas import (
    BuildingCreate,
    BuildingPublic,
    CompoundCreate,
    CompoundHouseholds,
    CompoundPublic,
    HouseholdCreate,
    HouseholdPublic,
)
from shared.db import SessionDep
from shared.errors import problem_responses

households = APIRouter(prefix="/api/v1/households", tags=["residents"])
compounds = APIRouter(prefix="/api/v1/compounds", tags=["residents"])
buildings = APIRouter(prefix="/api/v1/buildings", tags=["residents"])
internal = APIRouter(prefix="/internal", tags=["internal"])


@households.post(
    "", status_code=201, response_model=HouseholdPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def create_household(body: HouseholdCreate, principal: Registrar, session: SessionDep) -> HouseholdPublic:
    """A flat of a building the caller keeps becomes a household (its residents are added next)."""
    household = await service.create_household(session=session, principal=principal, body=body)
    return await service.household_public(session, household, [])


@compounds.post(
    "", status_code=201, response_model=CompoundPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def create_compound(body: CompoundCreate, principal: Staff, session: SessionDep) -> CompoundPublic:
    """A compound (小区) of a community the caller is staff of; its name is unique in the community."""
    compound = await service.create_compound(session=session, principal=principal, body=body)
    return CompoundPublic.model_validate(compound, from_attributes=True)


@compounds.get("/{compound_id}", response_model=CompoundPublic, responses=problem_responses(401, 403, 404, 422))
async def get_compound(compound_id: uuid.UUID, principal: Reader, session: SessionDep) -> CompoundPublic:
    """A compound (小区) of the caller's places: its name, community and street."""
    compound = await service.get_compound(session=session, principal=principal, compound_id=compound_id)
    return CompoundPublic.model_validate(compound, from_attributes=True)


@buildings.post(
    "", status_code=201, response_model=BuildingPublic, responses=problem_responses(401, 403, 404, 409, 422)
)
async def create_building(body: BuildingCreate, principal: Staff, session: SessionDep) -> BuildingPublic:
    """A building of a compound, in one grid of the community."""
    building = await service.create_building(session=session, principal=principal, body=body)
    return BuildingPublic.model_validate(building, from_attributes=True)


@households.get("/{household_id}", response_model=HouseholdPublic, responses=problem_responses(401, 403, 404, 422))
async def get_household(household_id: uuid.UUID, principal: Reader, session: SessionDep) -> HouseholdPublic:
    """A household and its residents (a resident sees their own)."""
    return await service.household_with_residents(session=session, principal=principal, household_id=household_id)


@internal.get(
    "/compounds/{compound_id}/households",
    response_model=CompoundHouseholds,
    responses=problem_responses(401, 403, 422),
)
async def compound_households(compound_id: uuid.UUID, principal: Gateway, session: SessionDep) -> CompoundHouseholds:
    """For the gateway: the households of a compound (whose residents a compound's notice concerns)."""
    return await service.compound_households(session=session, compound_id=compound_id)
