"""What the residents service tells the others about households (``shared.households``): the facts of a
household as one query (its building's compound, the head's name and phone masked), the events that
carry them, and the rows an import copies into the outbox in bulk. Residents' own events are the
registry's (``registry.service``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, Uuid, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents.models import Building, Compound, Household, Resident, outbox_event
from shared import outbox
from shared.households import HouseholdFact
from shared.pii import mask_name
from shared.scope import any_of

HEAD = "head"


def facts_statement() -> Select[*tuple[Any, ...]]:
    """Households with their compound and their head (the earliest registered resident whose relation is
    ``head``): one row each, one query for any number of them. The head's phone is the mask stored
    beside the ciphertext (``mask_phone`` of the clear number, written when the phone is sealed), so no
    clear number is decrypted to say it."""
    head = (
        select(col(Resident.name).label("name"), col(Resident.phone_masked).label("phone"))
        .where(col(Resident.household_id) == col(Household.id), col(Resident.relation) == HEAD)
        .order_by(col(Resident.created_at), col(Resident.id))
        .limit(1)
        .lateral("head")
    )
    return (
        select(
            col(Household.id),
            col(Household.building_id),
            col(Building.compound_id),
            col(Compound.name).label("compound_name"),
            col(Household.unit),
            col(Household.room),
            col(Household.address),
            col(Household.grid_code),
            col(Household.community_code),
            col(Household.street_code),
            head.c.name.label("head_name"),
            head.c.phone.label("head_phone"),
        )
        .join(Building, col(Building.id) == col(Household.building_id))
        .join(Compound, col(Compound.id) == col(Building.compound_id))
        .outerjoin(head, true())
    )


def fact_of(row: Any, *, removed: bool = False) -> HouseholdFact:
    """A row of :func:`facts_statement` as the fact the events and the resync carry."""
    return HouseholdFact(
        household_id=row.id,
        building_id=row.building_id,
        compound_id=row.compound_id,
        compound_name=row.compound_name,
        address=row.address,
        grid_code=row.grid_code,
        community_code=row.community_code,
        street_code=row.street_code,
        contact_name=mask_name(row.head_name) if row.head_name else None,
        contact_phone=row.head_phone,
        removed=removed,
    )


async def facts(session: AsyncSession, household_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, HouseholdFact]:
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    rows = (await session.execute(facts_statement().where(any_of(col(Household.id), ids, Uuid())))).all()
    return {row.id: fact_of(row) for row in rows}


async def household_event(session: AsyncSession, kind: str, fact: HouseholdFact) -> None:
    """``household.created`` / ``updated`` / ``moved`` / ``removed`` in the caller's transaction."""
    await outbox.emit(
        session,
        outbox_event,
        type=kind,
        aggregate_id=str(fact.household_id),
        payload=fact.model_dump(mode="json"),
    )


async def household_changed(session: AsyncSession, kind: str, household_id: uuid.UUID) -> None:
    """The household's event with its facts as they stand now (flushed)."""
    await household_event(session, kind, (await facts(session, [household_id]))[household_id])


def outbox_record(kind: str, fact: HouseholdFact) -> tuple[uuid.UUID, str, str, str]:
    """An outbox row for COPY (``id, type, aggregate_id, payload``), as ``outbox.emit`` would write it."""
    return uuid.uuid4(), kind, str(fact.household_id), fact.model_dump_json()


async def heads(session: AsyncSession, household_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, ...]]:
    """What the events say of each household's head (masked name and phone), to tell whether a write
    changed it."""
    return {
        household_id: (fact.contact_name, fact.contact_phone)
        for household_id, fact in (await facts(session, household_ids)).items()
    }


async def heads_changed(
    session: AsyncSession, before: dict[uuid.UUID, tuple[Any, ...]], *, kind: str = "household.updated"
) -> None:
    """``household.updated`` for each household of ``before`` whose head now reads differently."""
    now = await facts(session, before)
    for household_id, fact in now.items():
        if before[household_id] != (fact.contact_name, fact.contact_phone):
            await household_event(session, kind, fact)
