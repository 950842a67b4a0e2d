"""What the menu API takes and answers: the items of a community's service menu (服务清单)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.orders.schemas import TEXT, Input
from shared.places import COMMUNITY_PATTERN

Taker = Literal["party_member", "volunteer", "partner_unit", "community_staff"]
Category = Literal[
    "errand", "home_check", "haircut", "repair", "legal_aid", "companionship", "certificate", "health", "other"
]
CATEGORY_LABELS = (
    "errand 代办, home_check 上门认证, haircut 义剪/上门理发, repair 家电维修, legal_aid 法律援助, "
    "companionship 陪伴, certificate 开具证明, health 健康, other"
)

DEFAULT_TAKERS: tuple[Taker, ...] = ("party_member", "volunteer")


class MenuItemCreate(Input):
    community_code: str | None = Field(
        default=None, pattern=COMMUNITY_PATTERN, description="staff of one community may leave it out"
    )
    name: str = Field(min_length=1, max_length=60, pattern=TEXT)
    category: Category = Field(description=CATEGORY_LABELS)
    description: str = Field(default="", max_length=2000, pattern=TEXT)
    takers: list[Taker] = Field(
        default_factory=lambda: list(DEFAULT_TAKERS), max_length=4, description="who may take such orders"
    )
    allowed: bool = Field(default=True, description="false: a thing the community must not do (e.g. 33 certificates)")
    refusal_reason: str | None = Field(default=None, max_length=300, pattern=TEXT)
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
    description: str | None = Field(default=None, max_length=2000, pattern=TEXT)
    takers: list[Taker] | None = Field(default=None, max_length=4)
    sla_dispatch_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30)
    sla_accept_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30)
    sla_finish_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 90)
    points: int | None = Field(default=None, ge=0, le=1000)
    active: bool | None = None


class MenuItemPublic(BaseModel):
    id: uuid.UUID
    community_code: str
    name: str
    category: str
    description: str
    takers: list[str]
    allowed: bool
    refusal_reason: str | None
    handled_by: str | None
    sla_dispatch_minutes: int
    sla_accept_minutes: int
    sla_finish_minutes: int
    points: int
    active: bool


class MenuPage(BaseModel):
    items: list[MenuItemPublic]
