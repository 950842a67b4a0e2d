"""Who may read and publish notices: the role aliases of the endpoints and the notices for the caller's
places."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, String, Uuid, and_, any_, bindparam, false, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from services.grids import life
from services.grids.models import Household, Notice
from shared.places import community_of
from shared.scope import scope_clause
from shared.security import Principal, allow

PEOPLE = ("resident", "grid_worker", "party_member", "volunteer", "building_head", "community_staff", "street_admin")
Reader = Annotated[Principal, Depends(allow(*PEOPLE, machine_scopes=("grids:read", "stats:read")))]
Person = Annotated[Principal, Depends(allow(*PEOPLE))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]

# The parts of the caller's notice scope (``scope_of``): "street" and "community" (admins and staff),
# "served" (grid-bound roles), "home" (a resident) and "compound" (a resident whose token names a household).
NoticeScope = tuple[str, ...]


def scope_of(principal: Principal) -> tuple[NoticeScope, dict[str, Any]]:
    """Which parts of ``scope`` apply to the caller, and the values of its named parameters."""
    shape, kept, _ = life.area_shape(principal)
    served = [code for role in life.GRID_ROLES for code in principal.places_of(role)]
    if served and not principal.machine:
        shape.append("served")
        kept["served_communities"] = sorted({community_of(code) for code in served})
        kept["served_grids"] = served
    if principal.has_role("resident") and principal.grid_code:
        shape.append("home")
        kept["home_community"] = community_of(principal.grid_code)
        kept["home_grid"] = principal.grid_code
        if (household_id := _uuid(principal.household_id)) is not None:
            shape.append("compound")
            kept["household_id"] = household_id
    return tuple(shape), kept


def scope(shape: NoticeScope) -> ColumnElement[bool]:
    """Notices for the caller's places: all of their street's or community's (admins, staff); for
    those serving in grids, their communities' and compounds' and their own grids'; for a resident,
    their community's, their grid's and their compound's (that of the household in their token, as the
    copy of the households knows it: no call to the residents service). Named parameters, filled by
    ``scope_of``'s values."""
    conditions: list[Any] = []
    if areas := tuple(part for part in shape if part in life.AREAS):
        conditions.append(
            scope_clause(areas, street=col(Notice.street_code), community=col(Notice.community_code), grid=None)
        )
    if "served" in shape:
        conditions.append(
            and_(
                col(Notice.community_code) == any_(bindparam("served_communities", type_=ARRAY(String))),
                or_(
                    col(Notice.level) != "grid",
                    col(Notice.grid_code) == any_(bindparam("served_grids", type_=ARRAY(String))),
                ),
            )
        )
    if "home" in shape:
        home = [
            col(Notice.level) == "community",
            and_(col(Notice.level) == "grid", col(Notice.grid_code) == bindparam("home_grid", type_=String())),
        ]
        if "compound" in shape:
            home.append(and_(col(Notice.level) == "compound", col(Notice.compound_id) == _compound_of_household()))
        conditions.append(and_(col(Notice.community_code) == bindparam("home_community", type_=String()), or_(*home)))
    return or_(*conditions) if conditions else false()


def _compound_of_household() -> Any:
    """The compound of the caller's household while it is in the copy (null, so no notice, for one
    removed or unknown)."""
    return (
        select(col(Household.compound_id))
        .where(col(Household.id) == bindparam("household_id", type_=Uuid()), col(Household.removed_at).is_(None))
        .scalar_subquery()
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
