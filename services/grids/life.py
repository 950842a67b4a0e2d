"""What the community-life modules (activities, notices, volunteer teams, red property) share: the
communities a caller lives or serves in (their read scope, as SQL), who manages a community, the
community a new row belongs to, and the times they take (``When``, months and days in China's time).
It sits at the service's top level because all four use it; the roster, places and visits do not.

Residents are referred to by ``resident_id`` and accounts by the token's ``sub``; the grids service
keeps no resident's personal data. Names are kept only for people acting (staff, volunteers), from
the ``name`` claim of their own token.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime
from sqlalchemy import ColumnElement, String, any_, bindparam, false, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.models import Community, Grid
from shared import periods
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.places import community_of
from shared.scope import ScopeParts, any_of, scope_clause, scope_values
from shared.security import Principal

CHINA = periods.CHINA
# Roles bound to grids, whose holders serve in the grids' communities.
GRID_ROLES = ("grid_worker", "party_member", "volunteer", "building_head")
MANAGER_ROLES = ("street_admin", "community_staff")
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"


def _plausible(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("a time between the years 2000 and 2100")
    return value


# A time the API takes (starts, ends, expiries): aware, and between the years 2000 and 2100.
When = Annotated[AwareDatetime, AfterValidator(_plausible)]


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(CHINA).date()


def account_of(principal: Principal) -> uuid.UUID:
    """The caller's account id (the token's ``sub``); machine clients have none."""
    account_id = principal.account_id
    if account_id is None:
        raise Forbidden("this needs a person's account")
    return account_id


def grids_of(principal: Principal) -> list[str]:
    """The grids the caller lives in (a resident) or serves (grid-bound roles)."""
    grids = [code for role in GRID_ROLES for code in principal.places_of(role)]
    if principal.has_role("resident") and principal.grid_code:
        grids.append(principal.grid_code)
    return list(dict.fromkeys(grids))


def communities_of(principal: Principal) -> list[str]:
    """The communities of the caller's grids and home."""
    return sorted({community_of(code) for code in grids_of(principal)})


# The parts of a community-life scope: the street and community of admins and staff (``shared.scope``)
# and "lives_in", the communities the caller lives or serves in (``communities``).
LifeScope = tuple[str, ...]
AREAS = ("street", "community")


def area_shape(principal: Principal) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The street and community parts of the caller's scope (admins and staff, ``shared.scope``), the
    values that fill them, and all of ``scope_values``'s values: what every grids scope shape starts from."""
    parts, values = scope_values(principal)
    shape = [part for part in parts if part in AREAS]
    kept: dict[str, Any] = {name: values[name] for name in ("scope_streets", "scope_communities") if name in values}
    return shape, kept, values


def community_shape(principal: Principal) -> tuple[LifeScope, dict[str, Any]]:
    """Which parts of ``community_clause`` apply to the caller, and the values that fill them."""
    shape, kept, _ = area_shape(principal)
    if not principal.machine and (communities := communities_of(principal)):
        shape.append("lives_in")
        kept["communities"] = communities
    return tuple(shape), kept


def community_clause(
    shape: LifeScope, *, street: Any, community: Any, values: dict[str, Any] | None = None
) -> ColumnElement[bool]:
    """What is open to a community: its staff, the street above it, and whoever lives or serves in it
    (integration clients: their street). Without ``values``, with named parameters (``scope_streets``,
    ``scope_communities``, ``communities``) for a prepared statement; with them, bound."""
    areas = tuple(part for part in shape if part in AREAS)
    conditions: list[Any] = []
    if areas:
        conditions.append(scope_clause(areas, street=street, community=community, grid=None, values=values))
    if "lives_in" in shape:
        conditions.append(
            community == any_(bindparam("communities", type_=ARRAY(String)))
            if values is None
            else any_of(community, values["communities"])
        )
    return or_(*conditions) if conditions else false()


def community_scope(principal: Principal, *, street: Any, community: Any) -> ColumnElement[bool]:
    """``community_clause`` for the caller, values bound."""
    shape, values = community_shape(principal)
    return community_clause(shape, street=street, community=community, values=values)


def manage_parts(principal: Principal) -> ScopeParts:
    """The parts of the caller's scope that they manage: their community (staff), their street (street
    admins); none for integration clients. Filled by the same values as ``community_shape``'s."""
    if principal.machine:
        return ()
    return (("street",) if principal.places_of("street_admin") else ()) + (
        ("community",) if principal.places_of("community_staff") else ()
    )


def manage_clause(
    parts: ScopeParts, *, street: Any, community: Any, values: dict[str, Any] | None = None
) -> ColumnElement[bool]:
    """What the caller may change (``manage_parts``): named parameters, or bound with ``values``."""
    return scope_clause(parts, street=street, community=community, grid=None, values=values)


def manage_scope(principal: Principal, *, street: Any, community: Any) -> ColumnElement[bool]:
    """What the caller may change: their community (staff), their street (street admins)."""
    _, values = scope_values(principal)
    return manage_clause(manage_parts(principal), street=street, community=community, values=values)


async def managed_community(session: AsyncSession, principal: Principal, community_code: str | None) -> Community:
    """The community a new row belongs to: the one named, or the caller's own when they keep one."""
    if community_code is None:
        kept = principal.places_of("community_staff")
        if len(kept) != 1:
            raise ValidationFailed.on("community_code", "say which community")
        community_code = kept[0]
    community = await session.get(Community, community_code)
    if community is None or not principal.manages(community_code):
        raise NotFound(f"no community {community_code} you manage")
    return community


async def grid_of_community(session: AsyncSession, grid_code: str, community_code: str, field: str) -> Grid:
    grid = await session.get(Grid, grid_code)
    if grid is None or grid.community_code != community_code:
        raise ValidationFailed.on(field, "no such grid in the community")
    return grid


async def first_grid(session: AsyncSession, community_code: str) -> str | None:
    code: str | None = await session.scalar(
        select(col(Grid.code)).where(col(Grid.community_code) == community_code).order_by(col(Grid.code)).limit(1)
    )
    return code


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``2026-11`` as [start, end) in China's time."""
    year, number = (int(part) for part in month.split("-"))
    return periods.month_bounds(year, number)
