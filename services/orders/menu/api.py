"""HTTP endpoints of the service menu (服务清单)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.orders.menu import service as menu
from services.orders.menu.access import Anyone, Keeper
from services.orders.menu.schemas import MenuItemCreate, MenuItemPublic, MenuItemUpdate, MenuPage
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.places import COMMUNITY_PATTERN

router = APIRouter(prefix="/api/v1/menu", tags=["menu"])


@router.get("", response_model=MenuPage, responses=problem_responses(401, 403, 422), summary="查看服务清单 (Read Menu)")
async def read_menu(
    principal: Anyone,
    lane: FastLaneDep,
    community_code: Annotated[
        str | None,
        Query(
            pattern=COMMUNITY_PATTERN,
            description="only this community's menu (12-digit code); default: every menu the caller reads",
        ),
    ] = None,
    include_inactive: Annotated[bool, Query(description="staff: also items taken off the menu")] = False,
) -> Response:
    """The menu of the caller's community: what may be ordered, and what the community must not do."""
    items = await menu.list_menu(
        lane=lane, principal=principal, community_code=community_code, include_inactive=include_inactive
    )
    return json_response({"items": items})


@router.post(
    "",
    status_code=201,
    response_model=MenuItemPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="新增服务项目 (Add Menu Item)",
)
async def add_menu_item(item_in: MenuItemCreate, principal: Keeper, session: SessionDep) -> MenuItemPublic:
    """Add an item to a community's menu (staff)."""
    item = await menu.create(session=session, principal=principal, item_in=item_in)
    return MenuItemPublic.model_validate(item, from_attributes=True)


@router.patch(
    "/{item_id}",
    response_model=MenuItemPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="修改服务项目 (Update Menu Item)",
)
async def update_menu_item(
    item_id: Annotated[uuid.UUID, Path(description="the menu item's id")],
    item_in: MenuItemUpdate,
    principal: Keeper,
    session: SessionDep,
) -> MenuItemPublic:
    """Change an item's description, takers, SLA or points, or take it off the menu (staff)."""
    item = await menu.update(session=session, principal=principal, item_id=item_id, item_in=item_in)
    return MenuItemPublic.model_validate(item, from_attributes=True)
