"""The grids service's copy of the households (``models.Household``): the residents service owns them
and tells their facts (``shared.households.HouseholdFact``) in its ``household.*`` events (``inbox.py``)
and in the pages ``python -m deploy.resync households`` reads; both go through ``apply_fact``. Visits,
十联户, coverage and compound notices read the copy, never the residents service.

What a fact does to the copy (docs/services/grids.md "The household copy"):

- A household the copy does not have is created; one whose grid, community or street changed has
  *moved*; any other difference is an update; the same facts again change nothing. What happened is
  decided by comparing the facts with the copy, not by the event's type, so a repeated, late or
  resynced fact has the same effect as the first one (idempotent; there is no version in a fact, so
  the last one applied wins).
- Moved: its codes follow the new place. Its 十联户 links are kept only for the party members bound
  (``party_member`` binding) to the new grid; the others are removed, as their member no longer serves
  there. Its visits stay as they were recorded (history, with the grid of the day); its next visits
  take its new grid, as every visit takes the household's grid when it is recorded.
- Removed (``removed=True``): the row stays, because visits keep their foreign key to it, and is marked
  ``removed_at``; its links are removed. A removed household is in no 十联户 list, cannot be visited (an
  offline sync to it is rejected like an unknown household), is not counted by coverage and shows its
  former residents no compound notice. A later fact without ``removed`` brings it back ("created"),
  without its old links.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.models import Binding, Household, HouseholdLink
from shared.households import HouseholdFact, HouseholdFactPage

Applied = Literal["created", "updated", "moved", "removed", "unchanged"]

# The facts of a household the copy keeps, column by column (all but ``removed``).
_PLACE = ("grid_code", "community_code", "street_code")
_FIELDS = (*_PLACE, "building_id", "compound_id", "compound_name", "address", "contact_name", "contact_phone")
# What ``copy_facts`` shows for a building or compound the copy has not heard of yet (a row from before
# the copy took events): never equal to a real fact, so a check sees the difference.
UNKNOWN = uuid.UUID(int=0)


async def apply_fact(session: AsyncSession, fact: HouseholdFact) -> Applied:
    """Bring the copy of one household in line with the owner's fact; what that did to it. In the
    caller's transaction (it flushes, never commits); the household's row is locked until then."""
    values = {name: getattr(fact, name) for name in _FIELDS}
    now = datetime.now(UTC)
    household = await _locked(session, fact.household_id)
    if household is None:
        inserted = await session.scalar(
            insert(Household)
            .values(id=fact.household_id, **values, removed_at=now if fact.removed else None, updated_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(col(Household.id))
        )
        if inserted is not None:
            return "removed" if fact.removed else "created"
        household = await _locked(session, fact.household_id)  # another transaction created it just now
        assert household is not None
    if fact.removed:
        if household.removed_at is not None:
            return "unchanged"
        _assign(household, values, now)
        household.removed_at = now
        await session.execute(delete(HouseholdLink).where(col(HouseholdLink.household_id) == household.id))
        await session.flush()
        return "removed"
    changed = {name for name, value in values.items() if getattr(household, name) != value}
    if household.removed_at is not None:
        _assign(household, values, now)
        household.removed_at = None
        await session.flush()
        return "created"
    if not changed:
        return "unchanged"
    _assign(household, values, now)
    await session.flush()
    if changed.isdisjoint(_PLACE):
        return "updated"
    await _keep_links_of_the_grid(session, household)
    return "moved"


async def apply_facts(session: AsyncSession, facts: list[HouseholdFact]) -> list[Applied]:
    """Facts in order, as ``apply_fact`` one by one would; households the copy has never seen, each named
    once, are inserted in one statement (an import's thousands of ``household.created``)."""
    ids = [fact.household_id for fact in facts]
    if len(set(ids)) == len(ids):
        known = set((await session.scalars(select(col(Household.id)).where(col(Household.id).in_(ids)))).all())
        if not known:
            now = datetime.now(UTC)
            rows = [
                {
                    "id": fact.household_id,
                    **{name: getattr(fact, name) for name in _FIELDS},
                    "removed_at": now if fact.removed else None,
                    "updated_at": now,
                }
                for fact in facts
            ]
            inserted = set(
                (
                    await session.scalars(
                        insert(Household)
                        .values(rows)
                        .on_conflict_do_nothing(index_elements=["id"])
                        .returning(col(Household.id))
                    )
                ).all()
            )
            if len(inserted) == len(rows):
                return ["removed" if fact.removed else "created" for fact in facts]
            # Another transaction created some just now: those go the one-by-one way.
            return [
                ("removed" if fact.removed else "created")
                if fact.household_id in inserted
                else await apply_fact(session, fact)
                for fact in facts
            ]
    return [await apply_fact(session, fact) for fact in facts]


async def _locked(session: AsyncSession, household_id: uuid.UUID) -> Household | None:
    household: Household | None = await session.scalar(
        select(Household)
        .where(col(Household.id) == household_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return household


def _assign(household: Household, values: dict[str, object], now: datetime) -> None:
    for name, value in values.items():
        setattr(household, name, value)
    household.updated_at = now


async def _keep_links_of_the_grid(session: AsyncSession, household: Household) -> None:
    """After a move: the links of party members not bound to the household's new grid go."""
    bound = exists().where(
        col(Binding.member_id) == col(HouseholdLink.member_id),
        col(Binding.role) == "party_member",
        col(Binding.grid_code) == household.grid_code,
    )
    await session.execute(delete(HouseholdLink).where(col(HouseholdLink.household_id) == household.id, ~bound))


async def copy_facts(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> HouseholdFactPage:
    """A page of the copy as facts, keyset by id (the order of ``GET /internal/households``), removed
    households included with ``removed=True``: what ``deploy.resync households --check`` compares with
    the owner's pages. A building or compound the copy has not heard of yet shows as ``UNKNOWN``."""
    statement = select(Household).order_by(col(Household.id)).limit(limit + 1)
    if after is not None:
        statement = statement.where(col(Household.id) > after)
    rows = list((await session.scalars(statement)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        HouseholdFact(
            household_id=row.id,
            building_id=row.building_id or UNKNOWN,
            compound_id=row.compound_id or UNKNOWN,
            compound_name=row.compound_name or "",
            address=row.address,
            grid_code=row.grid_code,
            community_code=row.community_code,
            street_code=row.street_code,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            removed=row.removed_at is not None,
        )
        for row in rows
    ]
    return HouseholdFactPage(items=items, next_after=rows[-1].id if more else None)
