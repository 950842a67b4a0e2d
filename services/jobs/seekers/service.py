"""Seeker profiles (求职登记): a resident's own, or filled in for them by the staff or grid worker who
keep them. Keyed by the resident's id; where they live comes from their token, or from the residents
service asked with the helper's own token (which answers 404 for a resident outside their scope)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access
from services.jobs.models import Seeker
from services.jobs.seekers.schemas import SeekerIn, SeekerPublic
from shared.errors import Forbidden, NotFound
from shared.pagination import decode_cursor, page_of
from shared.peers import ResidentHome, resident_home
from shared.places import community_of, street_of
from shared.scope import any_of
from shared.security import Principal


def scope(principal: Principal) -> Any:
    """The caller's own profile, their communities' or street's (staff, admins), their grids' (grid workers)."""
    conditions = access.area(principal, community=col(Seeker.community_code), street=col(Seeker.street_code))
    if grids := principal.places_of("grid_worker"):
        conditions.append(any_of(col(Seeker.grid_code), grids))
    if (me := access.own_resident(principal)) is not None:
        conditions.append(col(Seeker.resident_id) == me)
    return access.any_condition(conditions)


def helps(principal: Principal, home: ResidentHome) -> bool:
    """Staff of the resident's community, admins of their street, the worker of their grid."""
    return principal.manages(home.community_code) or home.grid_code in principal.places_of("grid_worker")


def own_home(principal: Principal) -> ResidentHome:
    """Where a resident acting for themselves lives, as their token says."""
    me = access.own_resident(principal)
    if me is None or not principal.household_id or not principal.grid_code:
        raise Forbidden("your account is not linked to a household of the registry yet")
    grid = principal.grid_code
    return ResidentHome(
        resident_id=me,
        household_id=uuid.UUID(principal.household_id),
        grid_code=grid,
        community_code=community_of(grid),
        street_code=street_of(grid),
    )


async def home_of(request: Request, principal: Principal, resident_id: uuid.UUID | None) -> ResidentHome:
    """The resident acted for: the caller themselves, or one the caller helps (404 otherwise)."""
    if resident_id is None or resident_id == access.own_resident(principal):
        return own_home(principal)
    if not principal.has_role("community_staff", "street_admin", "grid_worker"):
        raise NotFound(f"no resident {resident_id} of yours")
    home = await resident_home(request, resident_id)
    if home is None or not helps(principal, home):
        raise NotFound(f"no resident {resident_id} of yours")
    return home


async def get(*, session: AsyncSession, principal: Principal, resident_id: uuid.UUID) -> Seeker:
    seeker = await session.scalar(select(Seeker).where(col(Seeker.resident_id) == resident_id, scope(principal)))
    if seeker is None:
        raise NotFound(f"no seeker profile of resident {resident_id} in your scope")
    return seeker


async def put(
    *, session: AsyncSession, principal: Principal, home: ResidentHome, profile: SeekerIn
) -> tuple[Seeker, bool]:
    """Write the whole profile (True when it is new); where the resident lives is refreshed with it."""
    now = datetime.now(UTC)
    values = profile.model_dump()
    for key in ("skills", "desired_categories", "shifts", "preferred_places"):
        values[key] = list(dict.fromkeys(values[key]))
    values.update(
        household_id=home.household_id,
        grid_code=home.grid_code,
        community_code=home.community_code,
        street_code=home.street_code,
        updated_by=principal.sub,
        updated_at=now,
    )
    statement = insert(Seeker).values(resident_id=home.resident_id, created_at=now, **values)
    statement = statement.on_conflict_do_update(index_elements=["resident_id"], set_=values)
    created_at = await session.scalar(statement.returning(col(Seeker.created_at)))
    seeker = await session.get(Seeker, home.resident_id, populate_existing=True)
    assert seeker is not None
    return seeker, created_at == now


async def list_seekers(
    *,
    session: AsyncSession,
    principal: Principal,
    skill: str | None,
    labour_capacity: str | None,
    active: bool | None,
    grid_code: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[SeekerPublic], str | None]:
    """Profiles in the caller's scope, newest first."""
    statement = select(Seeker).where(scope(principal))
    if skill:
        statement = statement.where(col(Seeker.skills).contains([skill]))
    if labour_capacity:
        statement = statement.where(col(Seeker.labour_capacity) == labour_capacity)
    if active is not None:
        statement = statement.where(col(Seeker.active) == active)
    if grid_code:
        statement = statement.where(col(Seeker.grid_code) == grid_code)
    if cursor:
        at, after = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(Seeker.created_at), col(Seeker.resident_id)) < tuple_(at, after))
    statement = statement.order_by(col(Seeker.created_at).desc(), col(Seeker.resident_id).desc()).limit(limit + 1)
    rows = (await session.scalars(statement)).all()
    items, next_cursor = page_of(rows, limit, lambda s: (s.created_at.isoformat(), s.resident_id))
    return [SeekerPublic.model_validate(s, from_attributes=True) for s in items], next_cursor
