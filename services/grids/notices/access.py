"""Who may read and publish notices: the role aliases of the endpoints and the notices for the caller's
places."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlmodel import col

from services.grids import life
from services.grids.models import Household, Notice
from shared.places import community_of
from shared.scope import any_of, area_conditions
from shared.security import Principal, allow

PEOPLE = ("resident", "grid_worker", "party_member", "volunteer", "building_head", "community_staff", "street_admin")
Reader = Annotated[Principal, Depends(allow(*PEOPLE, machine_scopes=("grids:read", "stats:read")))]
Person = Annotated[Principal, Depends(allow(*PEOPLE))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]


def scope(principal: Principal) -> ColumnElement[bool]:
    """Notices for the caller's places: all of their street's or community's (admins, staff); for
    those serving in grids, their communities' and compounds' and their own grids'; for a resident,
    their community's, their grid's and their compound's (that of the household in their token, as the
    copy of the households knows it: no call to the residents service)."""
    conditions: list[Any]
    conditions, _ = area_conditions(principal, street=col(Notice.street_code), community=col(Notice.community_code))
    served = [code for role in life.GRID_ROLES for code in principal.places_of(role)]
    if served and not principal.machine:
        conditions.append(
            and_(
                any_of(col(Notice.community_code), sorted({community_of(code) for code in served})),
                or_(col(Notice.level) != "grid", any_of(col(Notice.grid_code), served)),
            )
        )
    if principal.has_role("resident") and principal.grid_code:
        home = [
            col(Notice.level) == "community",
            and_(col(Notice.level) == "grid", col(Notice.grid_code) == principal.grid_code),
        ]
        if (household_id := _uuid(principal.household_id)) is not None:
            home.append(and_(col(Notice.level) == "compound", col(Notice.compound_id) == _compound_of(household_id)))
        conditions.append(and_(col(Notice.community_code) == community_of(principal.grid_code), or_(*home)))
    return or_(*conditions) if conditions else false()


def _compound_of(household_id: uuid.UUID) -> Any:
    """The compound of a household still in the copy (null, so no notice, for one removed or unknown)."""
    return (
        select(col(Household.compound_id))
        .where(col(Household.id) == household_id, col(Household.removed_at).is_(None))
        .scalar_subquery()
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
