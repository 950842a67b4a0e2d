"""What the orders API takes and answers: orders, their steps and photos, and their statistics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from services.orders.schemas import TEXT, Input
from shared.pagination import Page
from shared.places import GRID_PATTERN, GroupBy

Kind = Literal["service", "wish", "issue"]
State = Literal["placed", "dispatched", "accepted", "completed", "rated", "cancelled", "rejected"]
Channel = Literal["app", "proxy", "phone", "visit", "open311"]
Level = Literal["grid", "community", "street"]


class OrderCreate(Input):
    id: uuid.UUID | None = Field(default=None, description="the client's own id (offline apps); default: new")
    kind: Kind = Field(description="service 服务 (from the menu), wish 微心愿, issue 问题 found")
    menu_item_id: uuid.UUID | None = Field(default=None, description="required for service orders")
    title: str | None = Field(default=None, min_length=1, max_length=100, pattern=TEXT)
    description: str = Field(default="", max_length=2000, pattern=TEXT)
    resident_id: uuid.UUID | None = Field(
        default=None, description="who the order is for, when placed on a resident's behalf (代办, phone)"
    )
    grid_code: str | None = Field(default=None, pattern=GRID_PATTERN, description="an issue's grid (grid workers)")
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


class DispatchIn(Input):
    assignee_id: uuid.UUID | None = Field(default=None, description="the account to assign (指派)")
    mode: Literal["assign", "grab"] = Field(default="assign", description="grab 抢单: open to the grid's takers")

    @model_validator(mode="after")
    def _who(self) -> DispatchIn:
        if self.mode == "assign" and self.assignee_id is None:
            raise ValueError("assign needs assignee_id (or mode grab)")
        if self.mode == "grab" and self.assignee_id is not None:
            raise ValueError("grab mode names no assignee")
        return self


class ReasonIn(Input):
    reason: str = Field(min_length=1, max_length=300, pattern=TEXT)


class CancelIn(Input):
    reason: str | None = Field(default=None, max_length=300, pattern=TEXT)


class CompleteIn(Input):
    note: str = Field(min_length=1, max_length=2000, pattern=TEXT)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9, description="photos added to the order")


class RateIn(Input):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=500, pattern=TEXT)


class ReturnVisitIn(Input):
    note: str = Field(min_length=1, max_length=500, pattern=TEXT)


class OrderSummary(BaseModel):
    id: uuid.UUID
    kind: Kind
    channel: Channel
    title: str
    description: str
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


class OrderStats(BaseModel):
    group_by: GroupBy
    items: list[StatsRow]
