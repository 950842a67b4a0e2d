"""Who may do what with orders: the role aliases of the routes, and who sees which orders
(docs/ARCHITECTURE.md "data scope") as SQL conditions, together.

Who sees which orders (``visible``):

- street admins and integration clients: their street; community staff: their community;
- grid workers: the orders of their grids;
- party members and volunteers: orders assigned to them, and grab-mode orders of the grids where
  they may grab (open ones to take, taken ones to see who was faster);
- residents: their own orders; anyone: the orders they placed;
- departments (职能部门): the cases dispatched to one of their departments (``department_code``) and those
  one of them was called to (吹哨报到, a ``case_call`` row), nothing else.

Who may dispatch an order (派单): the ``Manager`` roles (community staff, street admins) may call the
route, and of the orders they see only those ``managed`` by them (their community's or their street's,
``is_managed``) may be dispatched, rejected or given a return visit.

Who handles a case (处置): the ``Handler`` roles may call the route; a department's account handles the
cases dispatched to its department (``handles``: the order's ``department_code`` is one of its places).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy import ColumnElement, Select, String, Uuid, and_, any_, bindparam, exists, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import CaseCall, ServiceOrder
from services.orders.prepared import NONE, arity, fill, match
from shared.scope import area_conditions, scope_values
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
            "department",
            machine_scopes=READ_SCOPES,
        )
    ),
]
# Who may dispatch, reject and record return visits (of the orders they manage: ``managed``).
Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]
Taker = Annotated[
    Principal, Depends(allow("party_member", "volunteer", "grid_worker", "building_head", "community_staff"))
]
# Who may handle a case (处置) dispatched to them: a person, or a department's account (``handles``).
HANDLER_ROLES = ("party_member", "volunteer", "grid_worker", "building_head", "community_staff", "department")
Handler = Annotated[Principal, Depends(allow(*HANDLER_ROLES))]
Rater = Annotated[Principal, Depends(allow("resident", "grid_worker", "community_staff"))]
Analyst = Annotated[
    Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("orders:read", "stats:read")))
]


# -- the scope conditions: which orders they see ------------------------------------------------

Selected = TypeVar("Selected", bound="Select[Any]")


@dataclass(frozen=True, slots=True)
class Scope:
    """The shape of what a caller sees (``visible``): which conditions apply, and how many codes each
    takes (``prepared.arity``); the codes themselves are the parameters ``scope_of`` gives with it."""

    streets: int = NONE
    communities: int = NONE
    areas_only: bool = False
    worker_grids: int = NONE
    resident: bool = False
    # "taker": what is assigned to them and what they placed; "placer": what they placed; "": neither.
    person: str = ""
    # The grab pools they may take from: per taker role, how many grids.
    pool: tuple[tuple[str, int], ...] = ()
    # The departments (职能部门) whose accounts they are: how many.
    departments: int = NONE


def scope_of(principal: Principal) -> tuple[Scope, dict[str, Any]]:
    """The caller's ``Scope`` and the values of its parameters."""
    parts, codes = scope_values(principal)
    values: dict[str, Any] = {"v_sub": principal.sub}
    streets = codes.get("scope_streets", []) if "street" in parts else []
    communities = codes.get("scope_communities", []) if "community" in parts else []
    fill(values, "v_streets", streets)
    fill(values, "v_communities", communities)
    if principal.machine or principal.roles <= AREA_ROLES:
        # Staff and street admins see whole places: one indexed condition, not an OR of person ones.
        return Scope(streets=arity(streets), communities=arity(communities), areas_only=True), values
    worker_grids = principal.places_of("grid_worker")
    fill(values, "v_worker_grids", worker_grids)
    resident = principal.has_role("resident") and bool(principal.resident_id)
    if resident:
        values["v_resident"] = uuid.UUID(principal.resident_id)
    if not principal.roles <= AREA_ROLES | {"resident"}:
        # Those who take orders or find problems: what is assigned to them, what they placed.
        person = "taker"
    elif not principal.resident_id:
        person = "placer"
    else:
        person = ""
    pool = []
    for role in TAKER_ROLES:
        if grids := principal.places_of(role):
            pool.append((role, arity(grids)))
            fill(values, f"v_pool_{role}", grids)
    departments = principal.places_of("department")
    fill(values, "v_departments", departments)
    scope = Scope(
        streets=arity(streets),
        communities=arity(communities),
        worker_grids=arity(worker_grids),
        resident=resident,
        person=person,
        pool=tuple(pool),
        departments=arity(departments),
    )
    return scope, values


@functools.cache
def pool_clause(scope: Scope) -> ColumnElement[bool]:
    """Grab-mode orders the caller may take: in a grid where they are a party member (volunteer) and
    of a kind that party members (volunteers) take."""
    conditions = [
        and_(
            match(col(ServiceOrder.grid_code), f"v_pool_{role}", count),
            literal(role, String) == any_(col(ServiceOrder.takers)),
        )
        for role, count in scope.pool
    ]
    if not conditions:
        return false()
    return and_(col(ServiceOrder.dispatch_mode) == "grab", or_(*conditions))


@functools.cache
def visible_clause(scope: Scope) -> ColumnElement[bool]:
    """The orders a caller of this scope sees, with the parameters of ``scope_of``."""
    conditions = []
    if scope.streets:
        conditions.append(match(col(ServiceOrder.street_code), "v_streets", scope.streets))
    if scope.communities:
        conditions.append(match(col(ServiceOrder.community_code), "v_communities", scope.communities))
    if scope.areas_only:
        return or_(*conditions) if conditions else false()
    if scope.worker_grids:
        conditions.append(match(col(ServiceOrder.grid_code), "v_worker_grids", scope.worker_grids))
    if scope.resident:
        conditions.append(col(ServiceOrder.resident_id) == bindparam("v_resident", type_=Uuid()))
    if scope.person == "taker":
        conditions.append(col(ServiceOrder.assignee_id) == bindparam("v_sub", type_=String()))
    if scope.person in ("taker", "placer"):
        conditions.append(col(ServiceOrder.placed_by) == bindparam("v_sub", type_=String()))
    if scope.pool:
        conditions.append(pool_clause(scope))
    if scope.departments:
        conditions.append(department_clause(scope.departments))
    return or_(*conditions) if conditions else false()


@functools.cache
def department_clause(count: int) -> ColumnElement[bool]:
    """The cases of the caller's departments (parameter ``v_departments``, ``count`` of them): dispatched to
    one, or one was called to (吹哨报到)."""
    called = exists().where(
        col(CaseCall.order_id) == col(ServiceOrder.id), match(col(CaseCall.department_code), "v_departments", count)
    )
    return or_(match(col(ServiceOrder.department_code), "v_departments", count), called)


def visible(statement: Selected, principal: Principal) -> Selected:
    """``statement`` (on orders, through the ORM session) limited to the orders the caller sees."""
    scope, values = scope_of(principal)
    return statement.where(visible_clause(scope)).params(values)


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


def handles(principal: Principal, order: ServiceOrder) -> bool:
    """Whether the caller is the case's handler: an account of the department it is dispatched to, or the
    person it was assigned to (or who took it)."""
    if order.department_code is not None:
        return order.department_code in principal.places_of("department")
    return order.assignee_id is not None and order.assignee_id == principal.sub


def called(principal: Principal, department_code: str) -> bool:
    """Whether the caller is an account of that department (it signs and reports the department's calls)."""
    return not principal.machine and department_code in principal.places_of("department")
