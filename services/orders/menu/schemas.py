"""What the menu API takes and answers: the items of a community's service menu (服务清单)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.orders.schemas import TEXT, Input
from shared.places import COMMUNITY_PATTERN
from shared.vocabularies import MENU_CATEGORIES, listed

Taker = Literal["party_member", "volunteer", "partner_unit", "community_staff"]
Category = Literal[
    "errand", "home_check", "haircut", "repair", "legal_aid", "companionship", "certificate", "health", "other"
]
CATEGORY_LABELS = listed(MENU_CATEGORIES)

DEFAULT_TAKERS: tuple[Taker, ...] = ("party_member", "volunteer")


class MenuItemCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "community_code": "110105001001",
                    "name": "上门理发",
                    "category": "haircut",
                    "description": "为行动不便的老人、残疾人上门理发，每月第二个周六",
                    "takers": ["party_member", "volunteer"],
                    "sla_dispatch_minutes": 240,
                    "sla_accept_minutes": 240,
                    "sla_finish_minutes": 4320,
                    "points": 10,
                },
                {
                    "community_code": "110105001001",
                    "name": "开具无犯罪记录证明",
                    "category": "certificate",
                    "allowed": False,
                    "refusal_reason": "社区不得出具无犯罪记录证明",
                    "handled_by": "派出所",
                },
            ]
        },
    )

    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="staff of one community may leave it out"
    )
    name: str = Field(
        min_length=1, max_length=60, pattern=TEXT, description="the item as residents see it, unique in the menu"
    )
    category: Category = Field(description=CATEGORY_LABELS)
    description: str = Field(default="", max_length=2000, pattern=TEXT, description="what the service includes")
    takers: list[Taker] = Field(
        default_factory=lambda: list(DEFAULT_TAKERS), max_length=4, description="who may take such orders"
    )
    allowed: bool = Field(default=True, description="false: a thing the community must not do (e.g. 33 certificates)")
    refusal_reason: str | None = Field(
        default=None, max_length=300, pattern=TEXT, description="why the community must not do it (allowed false)"
    )
    handled_by: str | None = Field(default=None, max_length=100, pattern=TEXT, description="the office that handles it")
    sla_dispatch_minutes: int = Field(default=240, ge=1, le=60 * 24 * 30, description="派单时限")
    sla_accept_minutes: int = Field(default=240, ge=1, le=60 * 24 * 30, description="接单时限")
    sla_finish_minutes: int = Field(default=2880, ge=1, le=60 * 24 * 90, description="办结时限")
    points: int = Field(default=10, ge=0, le=1000, description="base points for the taker")

    @model_validator(mode="after")
    def _refusal_explained(self) -> MenuItemCreate:
        if not self.allowed and not (self.refusal_reason and self.handled_by):
            raise ValueError("an item the community must not do needs refusal_reason and handled_by")
        return self


class MenuItemUpdate(Input):
    description: str | None = Field(
        default=None, max_length=2000, pattern=TEXT, description="what the service includes"
    )
    takers: list[Taker] | None = Field(default=None, max_length=4, description="who may take orders placed from now on")
    sla_dispatch_minutes: int | None = Field(
        default=None, ge=1, le=60 * 24 * 30, description="派单时限 in minutes, for orders placed from now on"
    )
    sla_accept_minutes: int | None = Field(
        default=None, ge=1, le=60 * 24 * 30, description="接单时限 in minutes, for orders placed from now on"
    )
    sla_finish_minutes: int | None = Field(
        default=None, ge=1, le=60 * 24 * 90, description="办结时限 in minutes, for orders placed from now on"
    )
    points: int | None = Field(
        default=None, ge=0, le=1000, description="base points for the taker of orders placed from now on"
    )
    active: bool | None = Field(default=None, description="false takes the item off the menu, true puts it back")


class MenuItemPublic(BaseModel):
    id: uuid.UUID = Field(description="the menu item's id, to order it by (menu_item_id)")
    community_code: str = Field(description="the community (社区) whose menu it is on, 12-digit community code")
    name: str = Field(description="the item as residents see it, unique in the menu")
    category: Category = Field(description="what sort of service: " + CATEGORY_LABELS)
    description: str = Field(description="what the service includes; may be empty")
    takers: list[Taker] = Field(description="who may take its orders")
    allowed: bool = Field(description="false: a thing the community must not do; ordering it is refused")
    refusal_reason: str | None = Field(description="why the community must not do it; null for allowed items")
    handled_by: str | None = Field(description="the office that handles it instead; null for allowed items")
    sla_dispatch_minutes: int = Field(description="派单时限: minutes from placing to dispatch")
    sla_accept_minutes: int = Field(description="接单时限: minutes from dispatch to acceptance")
    sla_finish_minutes: int = Field(description="办结时限: minutes from acceptance to completion")
    points: int = Field(description="base points for the taker, weighed by the resident's stars")
    active: bool = Field(description="false: taken off the menu, shown to staff only with include_inactive")


class MenuPage(BaseModel):
    items: list[MenuItemPublic] = Field(description="the menu: allowed items first, then by category and name")
