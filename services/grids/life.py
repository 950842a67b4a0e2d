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
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.models import Community, Grid
from shared import periods
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.places import community_of
from shared.scope import any_of, area_conditions
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


def community_scope(principal: Principal, *, street: Any, community: Any) -> ColumnElement[bool]:
    """What is open to a community: its staff, the street above it, and whoever lives or serves in it
    (integration clients: their street)."""
    conditions: list[Any]
    conditions, _ = area_conditions(principal, street=street, community=community)
    if not principal.machine and (communities := communities_of(principal)):
        conditions.append(any_of(community, communities))
    return or_(*conditions) if conditions else false()


def manage_scope(principal: Principal, *, street: Any, community: Any) -> ColumnElement[bool]:
    """What the caller may change: their community (staff), their street (street admins)."""
    conditions: list[Any]
    conditions, _ = area_conditions(principal, street=street, community=community)
    return or_(*conditions) if conditions and not principal.machine else false()


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
