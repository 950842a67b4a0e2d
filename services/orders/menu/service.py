"""The service menu (服务清单) of each community: what residents may order, who takes it, its SLA
and points; and what the community must not do, with the office that does it instead."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, bindparam, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.menu import access
from services.orders.menu.schemas import MenuItemCreate, MenuItemPublic, MenuItemUpdate
from services.orders.models import MenuItem
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.places import street_of
from shared.security import Principal

_PUBLIC = tuple(col(getattr(MenuItem, name)) for name in MenuItemPublic.model_fields)


@functools.lru_cache(maxsize=64)
def _menu_query(scope: access.MenuScope, community: bool, active_only: bool) -> PreparedQuery:
    """One prepared statement per shape of the caller's menus and the filters."""
    statement = select(*_PUBLIC).where(access.menu_clause(scope))
    if community:
        statement = statement.where(col(MenuItem.community_code) == bindparam("community_code", type_=String()))
    if active_only:
        statement = statement.where(col(MenuItem.active).is_(True))
    return PreparedQuery(statement.order_by(col(MenuItem.allowed).desc(), col(MenuItem.category), col(MenuItem.name)))


async def list_menu(
    *, lane: FastLane, principal: Principal, community_code: str | None, include_inactive: bool
) -> list[dict[str, Any]]:
    """A community's menu: the caller's own, or a community of their street (street admins); as rows of
    ``MenuItemPublic``'s fields."""
    scope, values = access.menu_scope_of(principal)
    if community_code is not None:
        values["community_code"] = community_code
    query = _menu_query(scope, community_code is not None, not (include_inactive and scope.keeper))
    return [dict(row) for row in await lane.fetch_prepared(query, values)]


async def create(*, session: AsyncSession, principal: Principal, item_in: MenuItemCreate) -> MenuItem:
    communities = principal.places_of("community_staff")
    community = item_in.community_code or (communities[0] if len(communities) == 1 else None)
    if community is None:
        raise ValidationFailed.on("community_code", "say which community's menu")
    if not principal.manages(community):
        raise NotFound("no such community in your scope")
    exists = await session.scalar(
        select(col(MenuItem.id)).where(col(MenuItem.community_code) == community, col(MenuItem.name) == item_in.name)
    )
    if exists is not None:
        raise Conflict("the menu has an item of this name")
    now = datetime.now(UTC)
    item = MenuItem(
        **item_in.model_dump(exclude={"community_code"}),
        community_code=community,
        street_code=street_of(community),
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def update(
    *, session: AsyncSession, principal: Principal, item_id: uuid.UUID, item_in: MenuItemUpdate
) -> MenuItem:
    managed = access.managed(principal)
    item = await session.scalar(
        select(MenuItem).where(col(MenuItem.id) == item_id, or_(*managed) if managed else false())
    )
    if item is None:
        raise NotFound(f"no menu item {item_id} in your scope")
    for name, value in item_in.model_dump(exclude_unset=True).items():
        if value is None:
            raise ValidationFailed.on(name, "may not be null")
        setattr(item, name, value)
    item.updated_at = datetime.now(UTC)
    await session.flush()
    return item
