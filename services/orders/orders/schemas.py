"""What the orders API takes and answers: orders, their steps and photos, and their statistics."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.orders.schemas import TEXT, Input
from shared.pagination import Page
from shared.places import GRID_PATTERN, GroupBy

DEPARTMENT_PATTERN = r"^\d{9}D\d{2}$"

Kind = Literal["service", "wish", "issue"]
State = Literal[
    "placed",
    "dispatched",
    "accepted",
    "completed",
    "rated",
    "cancelled",
    "rejected",
    # the case loop of problems (docs/DOMAIN.md "The case loop"): 核实, 立案, 处置, 核查, 结案, and its ends
    "verified",
    "filed",
    "handled",
    "checked",
    "closed",
    "refused",
    "shelved",
    "voided",
]
Channel = Literal["app", "proxy", "phone", "visit", "open311", "hotline"]
Urgency = Literal["urgent", "normal"]
Light = Literal["green", "yellow", "red", "none"]
Level = Literal["grid", "community", "street"]
DispatchMode = Literal["assign", "grab", "department"]


class OrderCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "service",
                    "menu_item_id": "3f2c9a7e-5b1d-4c8e-9a6f-2d7b8e1c4a90",
                    "description": "家里的洗衣机不转了，想请师傅周六上午上门看看",
                },
                {
                    "kind": "issue",
                    "title": "幸福里小区3号楼楼道灯坏了",
                    "description": "3号楼2单元三楼到五楼的楼道灯不亮，老人晚上上下楼不方便",
                    "grid_code": "110105001001001",
                },
            ]
        },
    )

    id: uuid.UUID | None = Field(default=None, description="the client's own id (offline apps); default: new")
    kind: Kind = Field(description="service 服务 (from the menu), wish 微心愿, issue 问题 found")
    menu_item_id: uuid.UUID | None = Field(default=None, description="required for service orders")
    title: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=TEXT,
        description="a short title; default: the menu item's name, else the start of the description",
    )
    description: str = Field(
        default="", max_length=2000, pattern=TEXT, description="what is wanted or was found, in the placer's words"
    )
    resident_id: uuid.UUID | None = Field(
        default=None, description="who the order is for, when placed on a resident's behalf (代办, phone)"
    )
    grid_code: str | None = Field(default=None, pattern=GRID_PATTERN, description="an issue's grid (grid workers)")
    household_id: uuid.UUID | None = Field(default=None, description="an issue's household, if any")
    address: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=TEXT,
        description="where an issue is, at building level (幸福里小区3号楼东侧); the public Open311 listing shows "
        "it without unit, room or anything shaped like a phone or ID number. Issues only",
    )
    lat: float | None = Field(
        default=None, ge=-90, le=90, description="an issue's latitude (WGS 84), with lng; its grid when no grid_code"
    )
    lng: float | None = Field(default=None, ge=-180, le=180, description="an issue's longitude (WGS 84), with lat")
    class_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=12,
        description="an issue's class as the reporter sees it (GET /api/v1/case-classes); staff file it under one",
    )

    @model_validator(mode="after")
    def _shape(self) -> OrderCreate:
        if self.kind == "service" and self.menu_item_id is None:
            raise ValueError("a service order needs menu_item_id")
        if self.kind != "service" and self.menu_item_id is not None:
            raise ValueError("only service orders name a menu item")
        if self.kind != "service" and not (self.title or self.description.strip()):
            raise ValueError("a wish or an issue needs a title or a description")
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng go together")
        if self.kind != "issue" and (self.lat is not None or self.class_code is not None):
            raise ValueError("only an issue carries lat, lng and class_code")
        return self


class DispatchIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"mode": "assign", "assignee_id": "7d4e2b1a-9c3f-4e8d-b6a5-1f0e9d8c7b6a"},
                {"mode": "grab"},
                {"department_id": "110105001D01"},
            ]
        },
    )

    assignee_id: uuid.UUID | None = Field(default=None, description="the account to assign (指派)")
    department_id: str | None = Field(
        default=None,
        pattern=DEPARTMENT_PATTERN,
        description="a problem's case only: the department (职能部门) of the order's street to dispatch it to, by "
        "its code (GET /api/v1/departments); mode is then department",
    )
    mode: DispatchMode = Field(
        default="assign",
        description="assign 指派 a person, grab 抢单: open to the grid's takers, department 派给职能部门",
    )

    @model_validator(mode="after")
    def _who(self) -> DispatchIn:
        if self.department_id is not None:
            if "mode" in self.model_fields_set and self.mode != "department":
                raise ValueError("a department_id goes with mode department")
            if self.assignee_id is not None:
                raise ValueError("dispatch to a person or to a department, not both")
            self.mode = "department"
            return self
        if self.mode == "department":
            raise ValueError("mode department needs department_id")
        if self.mode == "assign" and self.assignee_id is None:
            raise ValueError("assign needs assignee_id (or mode grab)")
        if self.mode == "grab" and self.assignee_id is not None:
            raise ValueError("grab mode names no assignee")
        return self


class ReasonIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "这几天在外地出差，赶不回来，请改派其他党员"}]},
    )

    reason: str = Field(
        min_length=1,
        max_length=300,
        pattern=TEXT,
        description="why: the taker's for giving it back, or staff's for turning it down (the resident sees it)",
    )


class CancelIn(Input):
    reason: str | None = Field(
        default=None, max_length=300, pattern=TEXT, description="why it is withdrawn, if said; kept as its close_reason"
    )


class CompleteIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "note": "已上门检查，更换了洗衣机排水泵，试运行正常",
                    "photo_ids": ["c81d4e2f-6a3b-4f9e-8d7c-5b2a1e0f9d84"],
                }
            ]
        },
    )

    note: str = Field(
        min_length=1, max_length=2000, pattern=TEXT, description="what was done (办结情况); the resident sees it"
    )
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9, description="photos added to the order")


class RateIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"stars": 5, "comment": "师傅很耐心，修得又快又好"}]},
    )

    stars: int = Field(ge=1, le=5, description="1 to 5 stars (评单); 1 or 2 ask staff for a return visit (回访)")
    comment: str | None = Field(default=None, max_length=500, pattern=TEXT, description="the rater's words, if any")


class ReturnVisitIn(Input):
    note: str = Field(
        min_length=1, max_length=500, pattern=TEXT, description="what the return visit (回访) found and agreed"
    )


class OrderSummary(BaseModel):
    id: uuid.UUID = Field(description="the order's id")
    kind: Kind = Field(description="service 服务 (from the menu), wish 微心愿 or issue 问题 found")
    channel: Channel = Field(description="how it was placed: the resident's app, 代办, a call, a visit or the hotline")
    title: str = Field(description="as given, else the menu item's name or the start of the description")
    description: str = Field(description="what is wanted or was found, in the placer's words; may be empty")
    address: str | None = Field(description="where an issue is, at building level, as filed; null when not given")
    state: State = Field(description="where the order is in the loop (点单, 派单, 接单, 评单), or closed")
    menu_item_id: uuid.UUID | None = Field(
        description="the menu item (服务清单) of a service; null for wishes and issues"
    )
    resident_id: uuid.UUID | None = Field(description="the resident it is for; null for an issue placed for no one")
    grid_code: str = Field(description="the grid (网格) it belongs to, 15-digit grid code")
    community_code: str = Field(description="its community (社区), 12-digit community code")
    dispatch_mode: DispatchMode | None = Field(
        description="assign (指派) or grab (抢单) as last dispatched; null before dispatch or after a decline"
    )
    assignee_id: str | None = Field(
        description="the taker's account id: the one assigned, or who accepted; null while nobody has it"
    )
    stars: int | None = Field(description="the resident's rating, 1 to 5 stars; null until rated")
    overdue: bool = Field(description="the current stage ran past its SLA")
    escalation_level: Level = Field(
        description="how far the overdue current stage was escalated (超时督办); back to grid at each new stage"
    )
    needs_return_visit: bool = Field(
        description="rated 1 or 2 stars, so staff owe a return visit (回访); stays true once it is made"
    )
    class_code: str | None = Field(description="a problem's class (立案 class, or as reported); null otherwise")
    urgency: Urgency | None = Field(description="a filed case's urgency: urgent 紧急 or normal 一般; null before")
    department_code: str | None = Field(
        description="the department (职能部门) a case is dispatched to; null when none or a person has it"
    )
    light: Light = Field(
        description="a running clock's traffic light: green, yellow from 80 % of the stage's limit, red past it; "
        "none when no clock runs"
    )
    placed_at: datetime = Field(description="when it was placed, ISO 8601 with time zone")
    due_at: datetime | None = Field(
        description="when the current stage is due by its SLA (派单, 接单 or 办结时限); null once completed or closed"
    )
    updated_at: datetime = Field(description="when it last changed, ISO 8601 with time zone")


class Rating(BaseModel):
    stars: int = Field(description="1 to 5 stars")
    comment: str | None = Field(description="the rater's words; null when none")
    rated_at: datetime = Field(description="when it was rated, ISO 8601 with time zone")


class OrderPublic(OrderSummary):
    household_id: uuid.UUID | None = Field(description="the household (户) it concerns; null when none")
    street_code: str = Field(description="its street (街道), 9-digit street code")
    placed_by: str = Field(
        description="who placed it: an account or integration client id; for a visit's follow-up, the visit's recorder"
    )
    assignee_name: str | None = Field(description="the taker's name once accepted; null before")
    visit_id: uuid.UUID | None = Field(description="the visit (走访) whose follow-up made this issue; null otherwise")
    completion_note: str | None = Field(description="the taker's note on completing it; null until completed")
    photo_ids: list[uuid.UUID] = Field(
        description="photos of the work named on completion (GET .../photos/{photo_id}); empty before"
    )
    rating: Rating | None = Field(description="the resident's rating (评单); null until rated")
    return_visit_note: str | None = Field(description="staff's note of the return visit (回访); null until recorded")
    close_reason: str | None = Field(description="why it was cancelled or rejected; null otherwise or when none given")
    was_overdue: bool = Field(description="some stage of it ran past its SLA at least once")
    dispatched_at: datetime | None = Field(description="when it was last dispatched (派单); null before")
    accepted_at: datetime | None = Field(description="when the taker accepted it (接单); null before")
    completed_at: datetime | None = Field(description="when the taker completed it; null before")
    closed_at: datetime | None = Field(description="when it ended (cancelled, rejected, closed, refused, voided)")
    lat: float | None = Field(description="where a problem is: latitude (WGS 84); null when reported without")
    lng: float | None = Field(description="where a problem is: longitude (WGS 84); null when reported without")
    stage_started_at: datetime | None = Field(description="when the running stage's clock started; null when none")
    yellow_at: datetime | None = Field(description="when the running stage's light turns yellow; null when none")
    rework_count: int = Field(description="a case's failed checks (返工)")
    return_count: int = Field(description="a case's returns by its handlers (回退)")
    verified_at: datetime | None = Field(description="when the case was verified (核实); null before")
    filed_at: datetime | None = Field(description="when the case was filed (立案); null before")
    handled_at: datetime | None = Field(description="when the case was last reported handled (处置); null before")
    checked_at: datetime | None = Field(description="when the case passed its check (核查); null before")
    handle_due_at: datetime | None = Field(
        description="the case's handling limit (处置时限), moved by approved extensions; null before dispatch"
    )
    closed_on_time: bool | None = Field(description="a closed case was handled by its limit (按期); null before")
    handling_minutes: int | None = Field(description="working minutes from filing to closing; null before")
    shelve_reason: str | None = Field(description="why the case was shelved (挂账); null otherwise")
    review_on: date | None = Field(description="the shelved case's review day; null otherwise")
    duplicate_of: uuid.UUID | None = Field(description="the case a voided duplicate was linked to; null otherwise")


OrderPage = Page[OrderSummary]


class StepPublic(BaseModel):
    at: datetime = Field(description="when the step was taken, ISO 8601 with time zone")
    action: str = Field(
        description="place, dispatch, reassign, accept, decline, complete, rate, cancel, reject, return_visit, "
        "overdue or escalate; a case's verify, file, refuse_filing, handle, check, rework, close, return, shelve, "
        "void, extend_request, extend_approve, extend_refuse, whistle, call_sign, call_report; a 12345 ticket's "
        "hotline_sign, hotline_return, return_refused, return_accepted, hotline_follow_up"
    )
    actor_id: str = Field(description="who took it: an account or client id, or system for the SLA clock")
    actor_role: str = Field(description="the role they acted in, e.g. resident, grid_worker, party_member, system")
    actor_name: str | None = Field(description="the actor's name when signed in with one; null for the system")
    from_state: str | None = Field(description="the order's state before; null for the first step (place)")
    to_state: str = Field(description="the order's state after")
    note: str | None = Field(description="a reason, the completion note or the rating's comment; null when none")
    photo_ids: list[uuid.UUID] = Field(description="photos named in this step (on completion); empty otherwise")
    working_minutes: int | None = Field(
        description="a problem's steps: working minutes since the step before (the clock stops outside working "
        "hours, on rest days and holidays); null for the first step and for service orders"
    )


class Timeline(BaseModel):
    order_id: uuid.UUID = Field(description="the order's id")
    steps: list[StepPublic] = Field(description="every step of the order, oldest first")


class PhotoPublic(BaseModel):
    id: uuid.UUID = Field(description="the photo's id, to name on completion")
    content_type: str = Field(description="image/jpeg, image/png or image/webp")
    size: int = Field(description="the photo's size in bytes")
    created_at: datetime = Field(description="when it was stored, ISO 8601 with time zone")


class StatsRow(BaseModel):
    place_code: str = Field(description="the grid, community or street, as grouped")
    month: str = Field(description="YYYY-MM, China time, by when orders were placed")
    placed: int = Field(description="orders placed")
    by_state: dict[str, int] = Field(description="those orders by their current state")
    by_kind: dict[str, int] = Field(description="those orders by kind")
    median_minutes_to_dispatch: float | None = Field(
        description="median minutes from placing to dispatch; null when none was dispatched"
    )
    median_minutes_to_accept: float | None = Field(
        description="median minutes from dispatch to acceptance; null when none was accepted"
    )
    median_minutes_to_finish: float | None = Field(
        description="median minutes from acceptance to completion; null when none was completed"
    )
    average_rating: float | None = Field(description="average stars of the rated ones; null when none was rated")
    rated: int = Field(description="orders rated")
    overdue: int = Field(description="orders that ran past an SLA at some stage")
    open_overdue: int = Field(description="open orders past their SLA now")
    return_visits_pending: int = Field(description="rated 1 or 2 stars, the return visit (回访) not yet recorded")
    issues_found: int = Field(description="issue orders placed: problems found (摸排问题)")
    issues_solved: int = Field(description="of those, completed or rated")


class OrderStats(BaseModel):
    group_by: GroupBy = Field(description="what the rows are per: grid, community or street")
    items: list[StatsRow] = Field(description="one row per place and month, by place then month")
