"""Compounds, buildings and households: staff add them by hand (imports add them too), every reader sees
those of their places."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents import events
from services.residents.clients import OtherServices
from services.residents.models import Building, Compound, Household, Resident
from services.residents.places.access import check_community_staff, kept_by_staff
from services.residents.places.schemas import (
    BuildingCreate,
    CompoundCreate,
    CompoundHouseholds,
    HouseholdCreate,
    HouseholdPublic,
    HouseholdUpdate,
)
from services.residents.registry import service as registry
from services.residents.registry.access import may_write, resident_scope
from services.residents.registry.schemas import ResidentSummary
from services.residents.registry.service import summary_of, visible_household
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.households import HouseholdFactPage
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


async def create_building(
    *, session: AsyncSession, principal: Principal, others: OtherServices, body: BuildingCreate
) -> Building:
    compound = await session.get(Compound, body.compound_id)
    if compound is None or compound.community_code not in principal.places_of("community_staff"):
        raise NotFound(f"no compound {body.compound_id} you keep")
    if community_of(body.grid_code) != compound.community_code:
        raise ValidationFailed.on("grid_code", "the grid is not in the compound's community")
    if await session.scalar(
        select(col(Building.id)).where(col(Building.compound_id) == compound.id, col(Building.name) == body.name)
    ):
        raise Conflict(f"the compound already has a building named {body.name}")
    if not await others.grid_exists(body.grid_code):
        raise ValidationFailed.on("grid_code", "the grids service knows no such grid")
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
    await events.household_changed(session, "household.created", household.id)
    return household


async def _kept_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> Household:
    """The household, locked, if the caller is staff of its community (a resident moving in waits)."""
    household = await session.scalar(
        select(Household).where(col(Household.id) == household_id, kept_by_staff(principal)).with_for_update()
    )
    if household is None:
        raise NotFound(f"no household {household_id} you keep")
    return household


async def update_household(
    *, session: AsyncSession, principal: Principal, household_id: uuid.UUID, changes: HouseholdUpdate
) -> Household:
    """Another flat or building; a building in another grid moves the household and its residents there."""
    household = await _kept_household(session, principal, household_id)
    values = changes.model_dump(exclude_unset=True)
    for field in ("building_id", "unit", "room"):
        if field in values and values[field] is None:
            raise ValidationFailed.on(field, "this field cannot be emptied")
    building = await session.get(Building, values.get("building_id", household.building_id))
    if building is None or building.community_code not in principal.places_of("community_staff"):
        raise ValidationFailed.on("building_id", "no building of a community you keep")
    unit, room = values.get("unit", household.unit), values.get("room", household.room)
    if (building.id, unit, room) == (household.building_id, household.unit, household.room):
        return household
    if await session.scalar(
        select(col(Household.id)).where(
            col(Household.building_id) == building.id,
            col(Household.unit) == unit,
            col(Household.room) == room,
            col(Household.id) != household.id,
        )
    ):
        raise Conflict("that flat is already a household")
    compound = await session.get(Compound, building.compound_id)
    assert compound is not None
    from_grid = household.grid_code
    household.building_id, household.unit, household.room = building.id, unit, room
    household.address = f"{compound.name}{building.name}{unit}{room}"
    household.grid_code, household.community_code, household.street_code = (
        building.grid_code,
        building.community_code,
        building.street_code,
    )
    await session.flush()
    if household.grid_code == from_grid:
        await events.household_changed(session, "household.updated", household.id)
        return household
    # The residents' places follow their home (their tokens' grid comes from the registry).
    residents = (
        await session.scalars(select(Resident).where(col(Resident.household_id) == household.id).with_for_update())
    ).all()
    for resident in residents:
        resident.grid_code, resident.community_code, resident.street_code = (
            household.grid_code,
            household.community_code,
            household.street_code,
        )
        resident.updated_at = datetime.now(UTC)
    await session.flush()
    for resident in residents:
        await registry.resident_event(session, "resident.moved", resident, from_grid_code=from_grid)
    await events.household_changed(session, "household.moved", household.id)
    return household


async def remove_household(*, session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> None:
    """A household nobody lives in any more goes; while residents live there, it stays (409)."""
    household = await _kept_household(session, principal, household_id)
    if await session.scalar(select(exists().where(col(Resident.household_id) == household.id))):
        raise Conflict("residents still live in this household: move them or record their leaving first")
    fact = (await events.facts(session, [household.id]))[household.id]
    await events.household_event(session, "household.removed", fact.model_copy(update={"removed": True}))
    await session.delete(household)
    await session.flush()


async def compound_households(*, session: AsyncSession, compound_id: uuid.UUID) -> CompoundHouseholds:
    """For the gateway: the households of a compound (whose residents a compound's notice concerns)."""
    rows = await session.scalars(
        select(col(Household.id))
        .join(Building, col(Building.id) == col(Household.building_id))
        .where(col(Building.compound_id) == compound_id)
    )
    return CompoundHouseholds(compound_id=compound_id, household_ids=list(rows.all()))


# -- the resync's page ---------------------------------------------------------------------------


async def household_facts(*, session: AsyncSession, after: uuid.UUID | None, limit: int) -> HouseholdFactPage:
    """For the resync: every household's facts, a page at a time, by id."""
    statement = events.facts_statement()
    if after is not None:
        statement = statement.where(col(Household.id) > after)
    rows = (await session.execute(statement.order_by(col(Household.id)).limit(limit + 1))).all()
    items = [events.fact_of(row) for row in rows[:limit]]
    return HouseholdFactPage(items=items, next_after=items[-1].household_id if len(rows) > limit else None)
