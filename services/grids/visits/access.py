"""Who may record and see visits: the role aliases of the endpoints, the households the caller may
visit and the visits they may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import and_, exists, or_
from sqlmodel import col

from services.grids.models import Household, HouseholdLink, Member, Visit
from shared.scope import any_of, area_conditions
from shared.security import Principal, allow

Visitor = Annotated[Principal, Depends(allow("grid_worker", "party_member"))]
Reader = Annotated[Principal, Depends(allow("street_admin", "community_staff", "grid_worker", "party_member"))]
Overseer = Annotated[
    Principal, Depends(allow("street_admin", "community_staff", "grid_worker", machine_scopes=("stats:read",)))
]
Analyst = Annotated[Principal, Depends(allow("street_admin", "community_staff", machine_scopes=("stats:read",)))]


def visitable(principal: Principal, member: Member) -> Any:
    """Households the caller may record a visit to: those of their grids (grid worker) and those
    linked to them (party member, 十联户); never a removed one."""
    conditions = []
    if grids := principal.places_of("grid_worker"):
        conditions.append(any_of(col(Household.grid_code), list(grids)))
    if principal.has_role("party_member"):
        conditions.append(
            exists().where(
                col(HouseholdLink.member_id) == member.id, col(HouseholdLink.household_id) == col(Household.id)
            )
        )
    if not conditions:
        return col(Household.id).is_(None)
    return and_(col(Household.removed_at).is_(None), or_(*conditions))


def visit_scope(principal: Principal, member: Member | None) -> Any:
    """Visits the caller may see: the street's (street admin), the community's (staff), the grids'
    (grid worker), and one's own and those to one's linked households (party member)."""
    conditions, _ = area_conditions(principal, street=col(Visit.street_code), community=col(Visit.community_code))
    if grids := principal.places_of("grid_worker"):
        conditions.append(any_of(col(Visit.grid_code), list(grids)))
    if member is not None:
        conditions.append(col(Visit.member_id) == member.id)
        if principal.has_role("party_member"):
            conditions.append(
                exists().where(
                    col(HouseholdLink.member_id) == member.id,
                    col(HouseholdLink.household_id) == col(Visit.household_id),
                )
            )
    return or_(*conditions) if conditions else col(Visit.id).is_(None)
