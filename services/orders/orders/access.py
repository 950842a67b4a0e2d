"""Who may do what with orders: the role aliases of the routes, and who sees which orders
(docs/ARCHITECTURE.md "data scope") as SQL conditions, together.

Who sees which orders (``visible``):

- street admins and integration clients: their street; community staff: their community;
- grid workers: the orders of their grids;
- party members and volunteers: orders assigned to them, and grab-mode orders of the grids where
  they may grab (open ones to take, taken ones to see who was faster);
- residents: their own orders; anyone: the orders they placed.

Who may dispatch an order (派单): the ``Manager`` roles (community staff, street admins) may call the
route, and of the orders they see only those ``managed`` by them (their community's or their street's,
``is_managed``) may be dispatched, rejected or given a return visit.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, String, and_, any_, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import ServiceOrder
from shared.scope import any_of, area_conditions
from shared.security import Principal, allow

TAKER_ROLES = ("party_member", "volunteer")
# Roles that see every order of their places (what they place, take or are assigned lies inside them).
AREA_ROLES = frozenset({"street_admin", "community_staff"})

# -- the role aliases: who may call each route --------------------------------------------------

READ_SCOPES = ("orders:read",)
Placer = Annotated[Principal, Depends(allow("resident", "grid_worker", "community_staff", machine_scopes=("open311",)))]
Withdrawer = Annotated[Principal, Depends(allow("resident", "grid_worker", "community_staff"))]
Reader = Annotated[
    Principal,
    Depends(
        allow(
            "resident",
            "grid_worker",
            "party_member",
            "volunteer",
            "building_head",
            "community_staff",
            "street_admin",
            machine_scopes=READ_SCOPES,
        )
    ),
]
# Who may dispatch, reject and record return visits (of the orders they manage: ``managed``).
Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]
Taker = Annotated[
    Principal, Depends(allow("party_member", "volunteer", "grid_worker", "building_head", "community_staff"))
]
Rater = Annotated[Principal, Depends(allow("resident", "grid_worker", "community_staff"))]
Analyst = Annotated[
    Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("orders:read", "stats:read")))
]


# -- the scope conditions: which orders they see ------------------------------------------------


def pool(principal: Principal) -> ColumnElement[bool]:
    """Grab-mode orders the caller may take: in a grid where they are a party member (volunteer) and
    of a kind that party members (volunteers) take."""
    conditions = [
        and_(any_of(col(ServiceOrder.grid_code), list(grids)), literal(role, String) == any_(col(ServiceOrder.takers)))
        for role in TAKER_ROLES
        if (grids := principal.places_of(role))
    ]
    if not conditions:
        return false()
    return and_(col(ServiceOrder.dispatch_mode) == "grab", or_(*conditions))


def visible(principal: Principal) -> ColumnElement[bool]:
    conditions: list[Any]
    conditions, _ = area_conditions(
        principal, street=col(ServiceOrder.street_code), community=col(ServiceOrder.community_code)
    )
    if principal.machine or principal.roles <= AREA_ROLES:
        # Staff and street admins see whole places: one indexed condition, not an OR of person ones.
        return or_(*conditions) if conditions else false()
    if grids := principal.places_of("grid_worker"):
        conditions.append(any_of(col(ServiceOrder.grid_code), list(grids)))
    if principal.has_role("resident") and principal.resident_id:
        conditions.append(col(ServiceOrder.resident_id) == uuid.UUID(principal.resident_id))
    if not principal.roles <= AREA_ROLES | {"resident"}:
        # Those who take orders or find problems: what is assigned to them, what they placed.
        conditions.append(col(ServiceOrder.assignee_id) == principal.sub)
        conditions.append(col(ServiceOrder.placed_by) == principal.sub)
    elif not principal.resident_id:
        conditions.append(col(ServiceOrder.placed_by) == principal.sub)
    if principal.places_of("party_member") or principal.places_of("volunteer"):
        conditions.append(pool(principal))
    return or_(*conditions) if conditions else false()


def managed(principal: Principal) -> ColumnElement[bool]:
    """Orders the caller runs as staff: their community's (community staff) or street's (street admin)."""
    conditions, _ = area_conditions(
        principal, street=col(ServiceOrder.street_code), community=col(ServiceOrder.community_code)
    )
    return or_(*conditions) if conditions else false()


async def is_managed(session: AsyncSession, principal: Principal, order: ServiceOrder) -> bool:
    """Whether the caller runs the order's place (``managed``): who may dispatch, reject it or record
    its return visit."""
    return (
        await session.scalar(select(col(ServiceOrder.id)).where(col(ServiceOrder.id) == order.id, managed(principal)))
    ) is not None
