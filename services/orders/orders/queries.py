"""Reading orders: the list on the read fast lane, one order, its timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import OPEN_STATES, OrderStep, ServiceOrder
from services.orders.orders.access import pool, visible
from services.orders.orders.schemas import OrderPublic, Rating, StepPublic, Timeline
from shared.errors import NotFound
from shared.fastlane import FastLane
from shared.pagination import decode_cursor, page_of
from shared.scope import any_of
from shared.security import Principal

Order = ServiceOrder

_SUMMARY = (
    col(Order.id),
    col(Order.kind),
    col(Order.channel),
    col(Order.title),
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
    mine: bool = False
    grabbable: bool = False
    return_visit_pending: bool = False
    since: datetime | None = None
    until: datetime | None = None


def _conditions(principal: Principal, filters: OrderFilters) -> list[Any]:
    conditions: list[Any] = [visible(principal)]
    if filters.states:
        conditions.append(any_of(col(Order.state), filters.states))
    if filters.kind:
        conditions.append(col(Order.kind) == filters.kind)
    if filters.menu_item_ids:
        conditions.append(any_of(col(Order.menu_item_id), filters.menu_item_ids, Uuid()))
    if filters.grid_code:
        conditions.append(col(Order.grid_code) == filters.grid_code)
    if filters.community_code:
        conditions.append(col(Order.community_code) == filters.community_code)
    if filters.assignee_id:
        conditions.append(col(Order.assignee_id) == filters.assignee_id)
    if filters.resident_id:
        conditions.append(col(Order.resident_id) == filters.resident_id)
    if filters.overdue is True:
        conditions += [col(Order.overdue_at).is_not(None), any_of(col(Order.state), list(OPEN_STATES))]
    elif filters.overdue is False:
        conditions.append(col(Order.overdue_at).is_(None))
    if filters.escalation_level:
        conditions.append(col(Order.escalation_level) == filters.escalation_level)
    if filters.mine:
        conditions.append(col(Order.assignee_id) == principal.sub)
    if filters.grabbable:
        conditions += [pool(principal), col(Order.state) == "dispatched"]
    if filters.return_visit_pending:
        conditions += [col(Order.needs_return_visit).is_(True), col(Order.return_visit_note).is_(None)]
    if filters.since:
        conditions.append(col(Order.placed_at) >= filters.since)
    if filters.until:
        conditions.append(col(Order.placed_at) < filters.until)
    return conditions


async def list_orders(
    *, lane: FastLane, principal: Principal, filters: OrderFilters, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, in the caller's scope, as rows of ``OrderSummary``'s fields."""
    statement = select(*_SUMMARY).where(*_conditions(principal, filters))
    if cursor:
        placed_at, after = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(Order.placed_at), col(Order.id)) < tuple_(placed_at, after))
    statement = statement.order_by(col(Order.placed_at).desc(), col(Order.id).desc()).limit(limit + 1)
    rows = await lane.fetch(statement)
    items, next_cursor = page_of(rows, limit, lambda row: (row["placed_at"].isoformat(), row["id"]))
    return [dict(row) for row in items], next_cursor


async def visible_order(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> ServiceOrder:
    order = await session.scalar(select(Order).where(col(Order.id) == order_id, visible(principal)))
    if order is None:
        raise NotFound(f"no order {order_id} in your scope")
    return order


def public(order: ServiceOrder) -> OrderPublic:
    rating = (
        Rating(stars=order.stars, comment=order.rating_comment, rated_at=order.rated_at)
        if order.stars is not None and order.rated_at is not None
        else None
    )
    return OrderPublic.model_validate({**order.model_dump(), "overdue": order.overdue_at is not None, "rating": rating})


async def get(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> OrderPublic:
    return public(await visible_order(session, principal, order_id))


async def timeline(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> Timeline:
    order = await visible_order(session, principal, order_id)
    steps = (
        await session.scalars(
            select(OrderStep).where(col(OrderStep.order_id) == order.id).order_by(col(OrderStep.at), col(OrderStep.id))
        )
    ).all()
    return Timeline(order_id=order.id, steps=[StepPublic.model_validate(s, from_attributes=True) for s in steps])
