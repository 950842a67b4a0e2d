"""Reading orders on the read fast lane (the list, one order, its timeline), and ``public``: an order as
the loop's steps answer with it."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Uuid, and_, bindparam, case, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import OPEN_STATES, OrderStep, ServiceOrder
from services.orders.orders.access import Scope, pool_clause, scope_of, visible, visible_clause
from services.orders.orders.schemas import OrderPublic, Rating
from services.orders.prepared import ONE, arity, fill, match
from shared.errors import NotFound
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.scope import any_of
from shared.security import Principal
from shared.workcalendar import light as light_of

Order = ServiceOrder
# The traffic light of the running clock, as of the statement's time (``shared.workcalendar.light``).
LIGHT = case(
    (col(Order.due_at).is_(None), literal("none")),
    (func.now() > col(Order.due_at), literal("red")),
    (and_(col(Order.yellow_at).is_not(None), func.now() >= col(Order.yellow_at)), literal("yellow")),
    else_=literal("green"),
)

_SUMMARY = (
    col(Order.id),
    col(Order.kind),
    col(Order.channel),
    col(Order.title),
    col(Order.description),
    col(Order.address),
    col(Order.state),
    col(Order.menu_item_id),
    col(Order.resident_id),
    col(Order.grid_code),
    col(Order.community_code),
    col(Order.dispatch_mode),
    col(Order.assignee_id),
    col(Order.stars),
    col(Order.overdue_at).is_not(None).label("overdue"),
    col(Order.escalation_level),
    col(Order.needs_return_visit),
    col(Order.class_code),
    col(Order.urgency),
    col(Order.department_code),
    LIGHT.label("light"),
    col(Order.placed_at),
    col(Order.due_at),
    col(Order.updated_at),
)


@dataclass(frozen=True)
class OrderFilters:
    states: list[str] | None = None
    kind: str | None = None
    menu_item_ids: list[uuid.UUID] | None = None
    grid_code: str | None = None
    community_code: str | None = None
    assignee_id: str | None = None
    resident_id: uuid.UUID | None = None
    overdue: bool | None = None
    escalation_level: str | None = None
    light: str | None = None
    department_code: str | None = None
    class_code: str | None = None
    mine: bool = False
    grabbable: bool = False
    return_visit_pending: bool = False
    since: datetime | None = None
    until: datetime | None = None


def _given(filters: OrderFilters) -> tuple[tuple[tuple[str, int], ...], dict[str, Any]]:
    """The filters present, as a shape (name and ``prepared.arity``), and their parameters' values."""
    shape: list[tuple[str, int]] = []
    values: dict[str, Any] = {}
    for name, given in (("states", filters.states), ("menu_item_ids", filters.menu_item_ids)):
        if given:
            shape.append((name, arity(given)))
            fill(values, f"f_{name}", given)
    for name in (
        "kind",
        "grid_code",
        "community_code",
        "assignee_id",
        "resident_id",
        "escalation_level",
        "light",
        "department_code",
        "class_code",
    ):
        if value := getattr(filters, name):
            shape.append((name, ONE))
            values[f"f_{name}"] = value
    if filters.overdue is not None:
        shape.append(("overdue" if filters.overdue else "never_overdue", ONE))
    for name in ("mine", "grabbable", "return_visit_pending"):
        if getattr(filters, name):
            shape.append((name, ONE))
    for name in ("since", "until"):
        if (moment := getattr(filters, name)) is not None:
            shape.append((name, ONE))
            values[f"f_{name}"] = moment
    return tuple(shape), values


def _equals(column: Any, name: str, type_: Any = None) -> Any:
    return column == bindparam(f"f_{name}", type_=type_ if type_ is not None else String())


_FILTERS: dict[str, Callable[[Scope, int], list[Any]]] = {
    "states": lambda _, n: [match(col(Order.state), "f_states", n)],
    "menu_item_ids": lambda _, n: [match(col(Order.menu_item_id), "f_menu_item_ids", n, Uuid())],
    "kind": lambda _, n: [_equals(col(Order.kind), "kind")],
    "grid_code": lambda _, n: [_equals(col(Order.grid_code), "grid_code")],
    "community_code": lambda _, n: [_equals(col(Order.community_code), "community_code")],
    "assignee_id": lambda _, n: [_equals(col(Order.assignee_id), "assignee_id")],
    "resident_id": lambda _, n: [_equals(col(Order.resident_id), "resident_id", Uuid())],
    "escalation_level": lambda _, n: [_equals(col(Order.escalation_level), "escalation_level")],
    "light": lambda _, n: [LIGHT == bindparam("f_light", type_=String())],
    "department_code": lambda _, n: [_equals(col(Order.department_code), "department_code")],
    "class_code": lambda _, n: [_equals(col(Order.class_code), "class_code")],
    "overdue": lambda _, n: [col(Order.overdue_at).is_not(None), any_of(col(Order.state), list(OPEN_STATES))],
    "never_overdue": lambda _, n: [col(Order.overdue_at).is_(None)],
    "mine": lambda _, n: [col(Order.assignee_id) == bindparam("v_sub", type_=String())],
    "grabbable": lambda scope, n: [pool_clause(scope), col(Order.state) == "dispatched"],
    "return_visit_pending": lambda _, n: [
        col(Order.needs_return_visit).is_(True),
        col(Order.return_visit_note).is_(None),
    ],
    "since": lambda _, n: [col(Order.placed_at) >= bindparam("f_since", type_=DateTime(timezone=True))],
    "until": lambda _, n: [col(Order.placed_at) < bindparam("f_until", type_=DateTime(timezone=True))],
}


@functools.lru_cache(maxsize=512)
def _list_query(scope: Scope, given: tuple[tuple[str, int], ...], after: bool) -> PreparedQuery:
    """One prepared statement per shape of the orders list: the caller's scope, the filters, a cursor."""
    conditions = [visible_clause(scope)]
    for name, count in given:
        conditions += _FILTERS[name](scope, count)
    statement = select(*_SUMMARY).where(*conditions)
    if after:
        statement = statement.where(
            tuple_(col(Order.placed_at), col(Order.id))
            < tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
        )
    statement = statement.order_by(col(Order.placed_at).desc(), col(Order.id).desc())
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer())))


async def list_orders(
    *, lane: FastLane, principal: Principal, filters: OrderFilters, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, in the caller's scope, as rows of ``OrderSummary``'s fields."""
    scope, values = scope_of(principal)
    given, filled = _given(filters)
    values.update(filled, limit=limit + 1)
    if cursor:
        values["after_at"], values["after_id"] = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
    rows = await lane.fetch_prepared(_list_query(scope, given, bool(cursor)), values)
    items, next_cursor = page_of(rows, limit, lambda row: (row["placed_at"].isoformat(), row["id"]))
    return [dict(row) for row in items], next_cursor


async def visible_order(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> ServiceOrder:
    order = await session.scalar(visible(select(Order).where(col(Order.id) == order_id), principal))
    if order is None:
        raise NotFound(f"no order {order_id} in your scope")
    return order


def public(order: ServiceOrder) -> OrderPublic:
    rating = (
        Rating(stars=order.stars, comment=order.rating_comment, rated_at=order.rated_at)
        if order.stars is not None and order.rated_at is not None
        else None
    )
    light = light_of(
        now=datetime.now(UTC), started_at=order.stage_started_at, due_at=order.due_at, yellow_at=order.yellow_at
    )
    values = {**order.model_dump(), "overdue": order.overdue_at is not None, "rating": rating, "light": light}
    return OrderPublic.model_validate(values)


_PUBLIC = (
    *_SUMMARY,
    col(Order.household_id),
    col(Order.street_code),
    col(Order.placed_by),
    col(Order.assignee_name),
    col(Order.visit_id),
    col(Order.completion_note),
    col(Order.photo_ids),
    col(Order.rating_comment),
    col(Order.rated_at),
    col(Order.return_visit_note),
    col(Order.close_reason),
    col(Order.was_overdue),
    col(Order.dispatched_at),
    col(Order.accepted_at),
    col(Order.completed_at),
    col(Order.closed_at),
    col(Order.lat),
    col(Order.lng),
    col(Order.stage_started_at),
    col(Order.yellow_at),
    col(Order.rework_count),
    col(Order.return_count),
    col(Order.verified_at),
    col(Order.filed_at),
    col(Order.handled_at),
    col(Order.checked_at),
    col(Order.handle_due_at),
    col(Order.closed_on_time),
    col(Order.handling_minutes),
    col(Order.shelve_reason),
    col(Order.review_on),
    col(Order.duplicate_of),
)
_STEP = (
    col(OrderStep.at),
    col(OrderStep.action),
    col(OrderStep.actor_id),
    col(OrderStep.actor_role),
    col(OrderStep.actor_name),
    col(OrderStep.from_state),
    col(OrderStep.to_state),
    col(OrderStep.note),
    col(OrderStep.photo_ids),
    col(OrderStep.working_minutes),
)
_ONE = bindparam("order_id", type_=Uuid())


@functools.lru_cache(maxsize=256)
def _order_query(scope: Scope) -> PreparedQuery:
    return PreparedQuery(select(*_PUBLIC).where(col(Order.id) == _ONE, visible_clause(scope)))


@functools.lru_cache(maxsize=256)
def _timeline_query(scope: Scope) -> PreparedQuery:
    """The order's steps, oldest first; one row with no step when it has none, none when the caller
    does not see the order."""
    return PreparedQuery(
        select(*_STEP)
        .select_from(Order)
        .outerjoin(OrderStep, col(OrderStep.order_id) == col(Order.id))
        .where(col(Order.id) == _ONE, visible_clause(scope))
        .order_by(col(OrderStep.at), col(OrderStep.id))
    )


async def get(*, lane: FastLane, principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
    """One order in the caller's scope, as ``OrderPublic``'s fields."""
    scope, values = scope_of(principal)
    values["order_id"] = order_id
    rows = await lane.fetch_found(_order_query(scope), values, f"no order {order_id} in your scope")
    order = dict(rows[0])
    comment, rated_at = order.pop("rating_comment"), order.pop("rated_at")
    rated = order["stars"] is not None and rated_at is not None
    order["rating"] = {"stars": order["stars"], "comment": comment, "rated_at": rated_at} if rated else None
    return order


async def timeline(*, lane: FastLane, principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
    """Every step of an order in the caller's scope, as ``Timeline``'s fields."""
    scope, values = scope_of(principal)
    values["order_id"] = order_id
    rows = await lane.fetch_found(_timeline_query(scope), values, f"no order {order_id} in your scope")
    return {"order_id": order_id, "steps": [dict(row) for row in rows if row["at"] is not None]}
