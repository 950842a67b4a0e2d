"""HTTP endpoints of orders: place, list, read, the loop's steps, photos, statistics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.orders.clients import OtherServicesDep
from services.orders.config import Settings
from services.orders.models import ServiceOrder
from services.orders.orders import photos, queries, service, stats
from services.orders.orders.access import Analyst, Manager, Placer, Rater, Reader, Taker, Withdrawer
from services.orders.orders.schemas import (
    DEPARTMENT_PATTERN,
    CancelIn,
    CompleteIn,
    DispatchIn,
    Kind,
    Level,
    Light,
    OrderCreate,
    OrderPage,
    OrderPublic,
    OrderStats,
    PhotoPublic,
    RateIn,
    ReasonIn,
    ReturnVisitIn,
    State,
    Timeline,
)
from shared.db import FastLaneDep, SessionDep
from shared.errors import NotFound, ValidationFailed, problem_responses
from shared.fastlane import json_response
from shared.middleware import PHOTO_BODY_BYTES, body_limit
from shared.pagination import CursorQuery, LimitQuery
from shared.peers import resident_home
from shared.periods import Moment
from shared.photos import MAX_PHOTO_BYTES, PHOTO_CONTENT, PhotoUpload, StorageDep, photo_response
from shared.places import COMMUNITY_PATTERN, GRID_PATTERN, GroupBy
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
# Who may add photos: takers, and a case's reporters, handlers (departments) and checkers.
PhotoAdder = Annotated[
    Principal,
    Depends(
        allow(
            "party_member",
            "volunteer",
            "grid_worker",
            "building_head",
            "community_staff",
            "street_admin",
            "department",
            "resident",
        )
    ),
]
OrderId = Annotated[uuid.UUID, Path(description="the order's id")]
STEP_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.post(
    "",
    status_code=201,
    response_model=OrderPublic,
    responses={200: {"model": OrderPublic, "description": "placed before with this id"}, **STEP_ERRORS},
    summary="点单 (Place Order)",
)
async def place_order(
    order_in: OrderCreate,
    principal: Placer,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    others: OtherServicesDep,
) -> OrderPublic:
    """点单: place an order: a resident for themselves, a grid worker for a resident (代办), staff
    taking a call; an issue (问题) in a grid."""
    home = None
    issue_grid = None
    if order_in.resident_id is not None and str(order_in.resident_id) != principal.resident_id:
        home = await resident_home(request, order_in.resident_id)
        if home is None:
            raise NotFound("no such resident in your scope")
    elif order_in.resident_id is None and order_in.grid_code is None and order_in.lat is not None:
        assert order_in.lng is not None
        issue_grid = await others.grid_at(order_in.lat, order_in.lng)
        if issue_grid is None:
            raise ValidationFailed.on("lat", "the point is outside every grid of your places")
    elif order_in.resident_id is None and order_in.grid_code is not None:
        issue_grid = order_in.grid_code
        if order_in.kind != "issue":
            raise ValidationFailed.on("resident_id", "say which resident a service or a wish is for")
        if order_in.household_id is not None and not await others.household_in_grid(
            order_in.household_id, order_in.grid_code
        ):
            raise ValidationFailed.on("household_id", "no such household in this grid")
    order, created = await service.place(
        session=session, principal=principal, order_in=order_in, home=home, issue_grid=issue_grid, settings=settings
    )
    if not created:
        response.status_code = 200
    return queries.public(order)


@router.get("", response_model=OrderPage, responses=problem_responses(401, 403, 422), summary="订单列表 (List Orders)")
async def list_orders(
    principal: Reader,
    lane: FastLaneDep,
    state: Annotated[list[State] | None, Query(description="one or more states")] = None,
    kind: Annotated[Kind | None, Query(description="only orders of this kind")] = None,
    menu_item_id: Annotated[list[uuid.UUID] | None, Query(description="one or more menu items")] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only orders of this grid (15-digit grid code)")
    ] = None,
    community_code: Annotated[
        str | None,
        Query(pattern=COMMUNITY_PATTERN, description="only orders of this community (12-digit community code)"),
    ] = None,
    assignee_id: Annotated[
        str | None, Query(max_length=64, description="only orders assigned to or taken by this account")
    ] = None,
    resident_id: Annotated[uuid.UUID | None, Query(description="only orders for this resident")] = None,
    overdue: Annotated[bool | None, Query(description="open orders past their SLA (true), or never so (false)")] = None,
    escalation_level: Annotated[
        Level | None, Query(description="only orders at this escalation level (超时督办); grid when not escalated")
    ] = None,
    light: Annotated[
        Light | None, Query(description="only orders whose running clock shows this light (red: past its limit)")
    ] = None,
    department_code: Annotated[
        str | None, Query(pattern=DEPARTMENT_PATTERN, description="only cases dispatched to this department")
    ] = None,
    class_code: Annotated[str | None, Query(max_length=12, description="only cases of this class")] = None,
    mine: Annotated[bool, Query(description="assigned to me / taken by me")] = False,
    grabbable: Annotated[bool, Query(description="open for me to grab (抢单)")] = False,
    return_visit_pending: Annotated[bool, Query(description="rated 1-2 stars, return visit not yet made")] = False,
    since: Annotated[Moment | None, Query(description="placed at or after")] = None,
    until: Annotated[Moment | None, Query(description="placed before")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Orders in the caller's scope, newest first, with filters."""
    filters = queries.OrderFilters(
        states=list(state) if state else None,
        kind=kind,
        menu_item_ids=list(menu_item_id) if menu_item_id else None,
        grid_code=grid_code,
        community_code=community_code,
        assignee_id=assignee_id,
        resident_id=resident_id,
        overdue=overdue,
        escalation_level=escalation_level,
        light=light,
        department_code=department_code,
        class_code=class_code,
        mine=mine,
        grabbable=grabbable,
        return_visit_pending=return_visit_pending,
        since=since,
        until=until,
    )
    items, next_cursor = await queries.list_orders(
        lane=lane, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/stats", response_model=OrderStats, responses=problem_responses(401, 403, 422), summary="订单统计 (Order Stats)"
)
async def order_stats(
    principal: Analyst,
    session: SessionDep,
    group_by: Annotated[GroupBy, Query(description="one row per grid, community or street (and month)")] = "grid",
    since: Annotated[Moment | None, Query(description="placed at or after")] = None,
    until: Annotated[Moment | None, Query(description="placed before")] = None,
    community_code: Annotated[
        str | None,
        Query(pattern=COMMUNITY_PATTERN, description="only orders of this community (12-digit community code)"),
    ] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only orders of this grid (15-digit grid code)")
    ] = None,
) -> OrderStats:
    """Counts by state and kind, median minutes to dispatch / accept / finish, ratings, overdue
    orders, per grid, community or street and month (China time)."""
    return await stats.order_stats(
        session=session,
        principal=principal,
        group_by=group_by,
        since=since,
        until=until,
        community_code=community_code,
        grid_code=grid_code,
    )


@router.get(
    "/{order_id}",
    response_model=OrderPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="订单详情 (Get Order)",
)
async def get_order(order_id: OrderId, principal: Reader, lane: FastLaneDep) -> Response:
    """One order: its state, kind, assignee and rating."""
    return json_response(await queries.get(lane=lane, principal=principal, order_id=order_id))


@router.get(
    "/{order_id}/timeline",
    response_model=Timeline,
    responses=problem_responses(401, 403, 404, 422),
    summary="订单流转记录 (Order Timeline)",
)
async def order_timeline(order_id: OrderId, principal: Reader, lane: FastLaneDep) -> Response:
    """Every step of the order: who, in which role, when, from which state to which, with notes."""
    return json_response(await queries.timeline(lane=lane, principal=principal, order_id=order_id))


@router.post("/{order_id}/dispatch", response_model=OrderPublic, responses=STEP_ERRORS, summary="派单 (Dispatch Order)")
async def dispatch_order(
    order_id: OrderId, dispatch_in: DispatchIn, principal: Manager, session: SessionDep, others: OtherServicesDep
) -> OrderPublic:
    """派单: assign the order to a party member or volunteer of its grid, or open it for grabbing."""

    async def on_the_roster(order: ServiceOrder) -> bool:
        assert dispatch_in.assignee_id is not None
        return await others.is_taker(dispatch_in.assignee_id, order)

    order = await service.dispatch(
        session=session, principal=principal, order_id=order_id, dispatch_in=dispatch_in, is_taker=on_the_roster
    )
    return queries.public(order)


@router.post("/{order_id}/accept", response_model=OrderPublic, responses=STEP_ERRORS, summary="接单 (Accept Order)")
async def accept_order(order_id: OrderId, principal: Taker, session: SessionDep) -> OrderPublic:
    """接单: take the order (the assignee; in grab mode the first taker of the grid)."""
    return queries.public(await service.accept(session=session, principal=principal, order_id=order_id))


@router.post(
    "/{order_id}/decline", response_model=OrderPublic, responses=STEP_ERRORS, summary="退回订单 (Decline Order)"
)
async def decline_order(order_id: OrderId, body: ReasonIn, principal: Taker, session: SessionDep) -> OrderPublic:
    """Give a dispatched order back, with the reason; staff dispatch it again."""
    order = await service.decline(session=session, principal=principal, order_id=order_id, reason=body.reason)
    return queries.public(order)


@router.post(
    "/{order_id}/complete", response_model=OrderPublic, responses=STEP_ERRORS, summary="办结订单 (Complete Order)"
)
async def complete_order(
    order_id: OrderId, complete_in: CompleteIn, principal: Taker, session: SessionDep
) -> OrderPublic:
    """Finish the order, with a note and the photos added to it."""
    order = await service.complete(session=session, principal=principal, order_id=order_id, complete_in=complete_in)
    return queries.public(order)


@router.post("/{order_id}/rate", response_model=OrderPublic, responses=STEP_ERRORS, summary="评单 (Rate Order)")
async def rate_order(order_id: OrderId, rate_in: RateIn, principal: Rater, session: SessionDep) -> OrderPublic:
    """评单: rate the finished order 1-5 stars, once; the taker's points are credited."""
    return queries.public(await service.rate(session=session, principal=principal, order_id=order_id, rate_in=rate_in))


@router.post("/{order_id}/cancel", response_model=OrderPublic, responses=STEP_ERRORS, summary="取消订单 (Cancel Order)")
async def cancel_order(order_id: OrderId, body: CancelIn, principal: Withdrawer, session: SessionDep) -> OrderPublic:
    """Withdraw the order before anyone has taken it."""
    order = await service.cancel(session=session, principal=principal, order_id=order_id, reason=body.reason)
    return queries.public(order)


@router.post("/{order_id}/reject", response_model=OrderPublic, responses=STEP_ERRORS, summary="驳回订单 (Reject Order)")
async def reject_order(order_id: OrderId, body: ReasonIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """Turn the order down, with the reason."""
    order = await service.reject(session=session, principal=principal, order_id=order_id, reason=body.reason)
    return queries.public(order)


@router.post(
    "/{order_id}/return-visit",
    response_model=OrderPublic,
    responses=STEP_ERRORS,
    summary="登记回访 (Record Return Visit)",
)
async def record_return_visit(
    order_id: OrderId, body: ReturnVisitIn, principal: Manager, session: SessionDep
) -> OrderPublic:
    """回访: record the return visit a poorly rated order asked for."""
    order = await service.return_visit(session=session, principal=principal, order_id=order_id, note=body.note)
    return queries.public(order)


@router.post(
    "/{order_id}/photos",
    status_code=201,
    response_model=PhotoPublic,
    responses={
        200: {"model": PhotoPublic, "description": "the same photo, stored before"},
        **problem_responses(401, 403, 404, 409, 413, 422, 503, 507),
    },
    summary="上传订单照片 (Add Photo)",
    openapi_extra=body_limit(PHOTO_BODY_BYTES),
)
async def add_photo(
    order_id: OrderId,
    principal: PhotoAdder,
    session: SessionDep,
    storage: StorageDep,
    response: Response,
    file: PhotoUpload,
) -> PhotoPublic:
    """Add a photo of the work to an order one has taken (before completing it); to a problem's case, as
    its reporter (现场照片, while reported), its handler (while handling) or its checker (at the check)."""
    data = await file.read(MAX_PHOTO_BYTES + 1)
    photo, created = await photos.add(
        session=session, principal=principal, storage=storage, order_id=order_id, data=data
    )
    if not created:
        response.status_code = 200
    return photo


@router.get(
    "/{order_id}/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {"content": PHOTO_CONTENT, "description": "the photo"},
        **problem_responses(401, 403, 404, 422, 503),
    },
    summary="查看订单照片 (Get Photo)",
)
async def get_photo(
    order_id: OrderId,
    photo_id: Annotated[uuid.UUID, Path(description="the photo's id, as its upload answered")],
    principal: Reader,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """A photo of an order, for those who may see the order."""
    data, content_type = await photos.read(
        session=session, principal=principal, storage=storage, order_id=order_id, photo_id=photo_id
    )
    return photo_response(data, content_type)
