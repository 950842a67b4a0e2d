"""What the orders service takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.pagination import Page

Kind = Literal["service", "wish", "issue"]
State = Literal["placed", "dispatched", "accepted", "completed", "rated", "cancelled", "rejected"]
Channel = Literal["app", "proxy", "phone", "visit", "open311"]
Taker = Literal["party_member", "volunteer", "partner_unit", "community_staff"]
Level = Literal["grid", "community", "street"]
Category = Literal[
    "errand", "home_check", "haircut", "repair", "legal_aid", "companionship", "certificate", "health", "other"
]
CATEGORY_LABELS = (
    "errand 代办, home_check 上门认证, haircut 义剪/上门理发, repair 家电维修, legal_aid 法律援助, "
    "companionship 陪伴, certificate 开具证明, health 健康, other"
)

DEFAULT_TAKERS: tuple[Taker, ...] = ("party_member", "volunteer")
_TEXT = r"^[^\x00]*$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the menu ----------------------------------------------------------------------------------


class MenuItemCreate(_Input):
    community_code: str | None = Field(
        default=None, pattern=r"^\d{12}$", description="staff of one community may leave it out"
    )
    name: str = Field(min_length=1, max_length=60, pattern=_TEXT)
    category: Category = Field(description=CATEGORY_LABELS)
    description: str = Field(default="", max_length=2000, pattern=_TEXT)
    takers: list[Taker] = Field(
        default_factory=lambda: list(DEFAULT_TAKERS), max_length=4, description="who may take such orders"
    )
    allowed: bool = Field(default=True, description="false: a thing the community must not do (e.g. 33 certificates)")
    refusal_reason: str | None = Field(default=None, max_length=300, pattern=_TEXT)
    handled_by: str | None = Field(
        default=None, max_length=100, pattern=_TEXT, description="the office that handles it"
    )
    sla_dispatch_minutes: int = Field(default=240, ge=1, le=60 * 24 * 30, description="派单时限")
    sla_accept_minutes: int = Field(default=240, ge=1, le=60 * 24 * 30, description="接单时限")
    sla_finish_minutes: int = Field(default=2880, ge=1, le=60 * 24 * 90, description="办结时限")
    points: int = Field(default=10, ge=0, le=1000, description="base points for the taker")

    @model_validator(mode="after")
    def _refusal_explained(self) -> MenuItemCreate:
        if not self.allowed and not (self.refusal_reason and self.handled_by):
            raise ValueError("an item the community must not do needs refusal_reason and handled_by")
        return self


class MenuItemUpdate(_Input):
    description: str | None = Field(default=None, max_length=2000, pattern=_TEXT)
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


# -- orders ------------------------------------------------------------------------------------


class OrderCreate(_Input):
    id: uuid.UUID | None = Field(default=None, description="the client's own id (offline apps); default: new")
    kind: Kind = Field(description="service 服务 (from the menu), wish 微心愿, issue 问题 found")
    menu_item_id: uuid.UUID | None = Field(default=None, description="required for service orders")
    title: str | None = Field(default=None, min_length=1, max_length=100, pattern=_TEXT)
    description: str = Field(default="", max_length=2000, pattern=_TEXT)
    resident_id: uuid.UUID | None = Field(
        default=None, description="who the order is for, when placed on a resident's behalf (代办, phone)"
    )
    grid_code: str | None = Field(default=None, pattern=r"^\d{15}$", description="an issue's grid (grid workers)")
    household_id: uuid.UUID | None = Field(default=None, description="an issue's household, if any")

    @model_validator(mode="after")
    def _shape(self) -> OrderCreate:
        if self.kind == "service" and self.menu_item_id is None:
            raise ValueError("a service order needs menu_item_id")
        if self.kind != "service" and self.menu_item_id is not None:
            raise ValueError("only service orders name a menu item")
        if self.kind != "service" and not (self.title or self.description.strip()):
            raise ValueError("a wish or an issue needs a title or a description")
        return self


class DispatchIn(_Input):
    assignee_id: uuid.UUID | None = Field(default=None, description="the account to assign (指派)")
    mode: Literal["assign", "grab"] = Field(default="assign", description="grab 抢单: open to the grid's takers")

    @model_validator(mode="after")
    def _who(self) -> DispatchIn:
        if self.mode == "assign" and self.assignee_id is None:
            raise ValueError("assign needs assignee_id (or mode grab)")
        if self.mode == "grab" and self.assignee_id is not None:
            raise ValueError("grab mode names no assignee")
        return self


class ReasonIn(_Input):
    reason: str = Field(min_length=1, max_length=300, pattern=_TEXT)


class CancelIn(_Input):
    reason: str | None = Field(default=None, max_length=300, pattern=_TEXT)


class CompleteIn(_Input):
    note: str = Field(min_length=1, max_length=2000, pattern=_TEXT)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9, description="photos added to the order")


class RateIn(_Input):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=500, pattern=_TEXT)


class ReturnVisitIn(_Input):
    note: str = Field(min_length=1, max_length=500, pattern=_TEXT)


class OrderSummary(BaseModel):
    id: uuid.UUID
    kind: Kind
    channel: Channel
    title: str
    state: State
    menu_item_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    grid_code: str
    community_code: str
    dispatch_mode: str | None
    assignee_id: str | None
    stars: int | None
    overdue: bool = Field(description="the current stage ran past its SLA")
    escalation_level: Level
    needs_return_visit: bool
    placed_at: datetime
    due_at: datetime | None
    updated_at: datetime


class Rating(BaseModel):
    stars: int
    comment: str | None
    rated_at: datetime


class OrderPublic(OrderSummary):
    description: str
    household_id: uuid.UUID | None
    street_code: str
    placed_by: str
    assignee_name: str | None
    visit_id: uuid.UUID | None
    completion_note: str | None
    photo_ids: list[uuid.UUID]
    rating: Rating | None
    return_visit_note: str | None
    close_reason: str | None
    was_overdue: bool
    dispatched_at: datetime | None
    accepted_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None


OrderPage = Page[OrderSummary]


class StepPublic(BaseModel):
    at: datetime
    action: str
    actor_id: str
    actor_role: str
    actor_name: str | None
    from_state: str | None
    to_state: str
    note: str | None
    photo_ids: list[uuid.UUID]


class Timeline(BaseModel):
    order_id: uuid.UUID
    steps: list[StepPublic]


class PhotoPublic(BaseModel):
    id: uuid.UUID
    content_type: str
    size: int
    created_at: datetime


# -- points ------------------------------------------------------------------------------------


class BoardEntry(BaseModel):
    rank: int
    account_id: str
    name: str | None
    points: int
    orders: int = Field(description="rated orders among the credits")


class Board(BaseModel):
    """A leaderboard (积分榜) of a grid or a community for a month or a year."""

    level: Literal["grid", "community"]
    code: str
    period: str
    items: list[BoardEntry]


class LedgerEntry(BaseModel):
    source: str = Field(description="order, activity")
    source_id: uuid.UUID
    points: int
    base: int
    stars: int | None
    grid_code: str
    earned_at: datetime


class MyPoints(BaseModel):
    account_id: str
    total: int
    this_month: int
    this_year: int
    entries: list[LedgerEntry] = Field(description="the latest credits")


class Pioneer(BaseModel):
    """A taker's year: the figures behind the pioneer index (党员先锋系数)."""

    account_id: str
    name: str | None
    year: int
    taken: int
    completed: int
    average_stars: float | None
    on_time_share: float | None = Field(description="completed within the SLA, out of completed")
    points: int
    pioneer_index: float = Field(
        description="100 × (0.4 × average stars / 5 + 0.4 × on-time share + 0.2 × min(1, taken / 12))"
    )


class PioneerPage(BaseModel):
    year: int
    items: list[Pioneer]


# -- statistics --------------------------------------------------------------------------------


class StatsRow(BaseModel):
    place_code: str = Field(description="the grid, community or street, as grouped")
    month: str = Field(description="YYYY-MM, China time, by when orders were placed")
    placed: int
    by_state: dict[str, int]
    by_kind: dict[str, int]
    median_minutes_to_dispatch: float | None
    median_minutes_to_accept: float | None
    median_minutes_to_finish: float | None
    average_rating: float | None
    rated: int
    overdue: int = Field(description="orders that ran past an SLA at some stage")
    open_overdue: int = Field(description="open orders past their SLA now")
    return_visits_pending: int
    issues_found: int = Field(description="issue orders placed: problems found (摸排问题)")
    issues_solved: int = Field(description="of those, completed or rated")


class PointsStatsRow(BaseModel):
    place_code: str
    month: str
    points: int
    earners: int = Field(description="accounts credited")
    credits: int


class PointsStats(BaseModel):
    group_by: Literal["grid", "community", "street"]
    items: list[PointsStatsRow]


class OrderStats(BaseModel):
    group_by: Literal["grid", "community", "street"]
    items: list[StatsRow]
