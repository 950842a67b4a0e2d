"""Compounds, buildings and households: staff add them by hand (imports add them too), every reader sees
those of their places."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents.models import Building, Compound, Household, Resident
from services.residents.places.access import check_community_staff, compound_scope
from services.residents.places.schemas import (
    BuildingCreate,
    CompoundCreate,
    CompoundHouseholds,
    HouseholdCreate,
    HouseholdPublic,
)
from services.residents.registry.access import may_write, resident_scope
from services.residents.registry.schemas import ResidentSummary
from services.residents.registry.service import summary_of, visible_household
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.places import community_of, street_of
from shared.security import Principal


async def household_with_residents(
    *, session: AsyncSession, principal: Principal, household_id: uuid.UUID
) -> HouseholdPublic:
    household = await visible_household(session, principal, household_id)
    residents = (
        await session.scalars(
            select(Resident)
            .where(col(Resident.household_id) == household.id, resident_scope(principal))
            .order_by(col(Resident.relation) != "head", col(Resident.birth_date))
        )
    ).all()
    return await household_public(session, household, [summary_of(r, principal) for r in residents])


async def household_public(
    session: AsyncSession, household: Household, residents: list[ResidentSummary]
) -> HouseholdPublic:
    """A household as answered, with the compound its building belongs to (other services target
    notices and committees by compound)."""
    compound_id = await session.scalar(
        select(col(Building.compound_id)).where(col(Building.id) == household.building_id)
    )
    return HouseholdPublic.model_validate(
        {**household.model_dump(), "compound_id": compound_id, "residents": residents}
    )


async def get_compound(*, session: AsyncSession, principal: Principal, compound_id: uuid.UUID) -> Compound:
    compound = await session.scalar(select(Compound).where(col(Compound.id) == compound_id, compound_scope(principal)))
    if compound is None:
        raise NotFound(f"no compound {compound_id} in your scope")
    return compound


async def create_compound(*, session: AsyncSession, principal: Principal, body: CompoundCreate) -> Compound:
    check_community_staff(principal, body.community_code)
    if await session.scalar(
        select(col(Compound.id)).where(
            col(Compound.community_code) == body.community_code, col(Compound.name) == body.name
        )
    ):
        raise Conflict(f"the community already has a compound named {body.name}")
    compound = Compound(name=body.name, community_code=body.community_code, street_code=street_of(body.community_code))
    session.add(compound)
    await session.flush()
    return compound


async def create_building(*, session: AsyncSession, principal: Principal, body: BuildingCreate) -> Building:
    compound = await session.get(Compound, body.compound_id)
    if compound is None or compound.community_code not in principal.places_of("community_staff"):
        raise NotFound(f"no compound {body.compound_id} you keep")
    if community_of(body.grid_code) != compound.community_code:
        raise ValidationFailed.on("grid_code", "the grid is not in the compound's community")
    if await session.scalar(
        select(col(Building.id)).where(col(Building.compound_id) == compound.id, col(Building.name) == body.name)
    ):
        raise Conflict(f"the compound already has a building named {body.name}")
    building = Building(**body.model_dump(), community_code=compound.community_code, street_code=compound.street_code)
    session.add(building)
    await session.flush()
    return building


async def create_household(*, session: AsyncSession, principal: Principal, body: HouseholdCreate) -> Household:
    building = await session.get(Building, body.building_id)
    if building is None or not may_write(principal, building.grid_code):
        raise NotFound(f"no building {body.building_id} you keep")
    if await session.scalar(
        select(col(Household.id)).where(
            col(Household.building_id) == building.id,
            col(Household.unit) == body.unit,
            col(Household.room) == body.room,
        )
    ):
        raise Conflict("that flat is already a household")
    compound = await session.get(Compound, building.compound_id)
    assert compound is not None
    household = Household(
        building_id=building.id,
        unit=body.unit,
        room=body.room,
        address=f"{compound.name}{building.name}{body.unit}{body.room}",
        grid_code=building.grid_code,
        community_code=building.community_code,
        street_code=building.street_code,
    )
    session.add(household)
    await session.flush()
    return household


async def compound_households(*, session: AsyncSession, compound_id: uuid.UUID) -> CompoundHouseholds:
    """For the gateway: the households of a compound (whose residents a compound's notice concerns)."""
    rows = await session.scalars(
        select(col(Household.id))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Building.compound_id) == compound_id)
    )
    return CompoundHouseholds(compound_id=compound_id, household_ids=list(rows.all()))
