"""Orders round the closed loop 居民点单、社区派单、党员接单、居民评单 (docs/API.md "The closed loop").

Every transition locks the order row (``FOR UPDATE``) found through the caller's scope, checks the
state (409 with the current one) and the person (403), moves it, writes a step of its timeline and
an outbox event, all in the request's one transaction. Concurrent accepts of a grab-mode order
queue on the row lock: the first wins, the others find it accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders import events
from services.orders.cases import clock as case_clock
from services.orders.config import Settings
from services.orders.menu import schemas as menu_schemas
from services.orders.models import Department, HotlineTicket, MenuItem, OrderPhoto, OrderStep, ServiceOrder
from services.orders.orders.access import TAKER_ROLES, is_managed, visible
from services.orders.orders.schemas import CompleteIn, DispatchIn, OrderCreate, RateIn
from services.orders.points import service as points
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.peers import ResidentHome
from shared.places import community_of, street_of
from shared.security import Principal

DEFAULT_TAKERS = list(menu_schemas.DEFAULT_TAKERS)
SYSTEM = "system"


def now() -> datetime:
    return datetime.now(UTC)


def _name(principal: Principal) -> str | None:
    return principal.name[:50] if principal.name else None


# -- placing -----------------------------------------------------------------------------------


async def place(
    *,
    session: AsyncSession,
    principal: Principal,
    order_in: OrderCreate,
    home: ResidentHome | None,
    issue_grid: str | None,
    settings: Settings,
) -> tuple[ServiceOrder, bool]:
    """点单: a resident for themselves (app), a grid worker for a resident (代办) or staff taking a
    call (phone); an issue by a grid worker or staff in one of their grids. ``home``: where the
    resident it is placed for lives (asked of the registry with the caller's token), when not the
    caller; ``issue_grid``: the grid of an issue placed for no resident. The order and True, or the
    order the caller placed before with the same id and False."""
    if order_in.id is not None:
        existing = await session.get(ServiceOrder, order_in.id)
        if existing is not None:
            if existing.placed_by != principal.sub:
                raise Conflict("an order with this id exists")
            return existing, False

    if order_in.address is not None and order_in.kind != "issue":
        raise ValidationFailed.on("address", "only an issue carries an address (a service or wish goes to the home)")
    if order_in.class_code is not None:
        from services.orders.catalogue.service import find_class

        if find_class(order_in.class_code) is None:
            raise ValidationFailed.on("class_code", "not a class of the catalogue (GET /api/v1/case-classes)")
    resident_id: uuid.UUID | None
    household_id: uuid.UUID | None
    if home is not None:
        resident_id, household_id, grid_code = home.resident_id, home.household_id, home.grid_code
        channel, role = _on_behalf(principal, grid_code)
    elif issue_grid is not None:
        resident_id, household_id, grid_code = None, order_in.household_id, issue_grid
        channel, role = _on_behalf(principal, grid_code)
    else:
        if not (principal.has_role("resident") and principal.resident_id and principal.grid_code):
            raise ValidationFailed.on("resident_id", "say which resident the order is for")
        resident_id = uuid.UUID(principal.resident_id)
        household_id = uuid.UUID(principal.household_id) if principal.household_id else None
        grid_code, channel, role = principal.grid_code, "app", "resident"
    community = community_of(grid_code)

    item: MenuItem | None = None
    if order_in.kind == "service":
        item = await session.scalar(
            select(MenuItem).where(
                col(MenuItem.id) == order_in.menu_item_id,
                col(MenuItem.community_code) == community,
                col(MenuItem.active).is_(True),
            )
        )
        if item is None:
            raise ValidationFailed.on("menu_item_id", "not an item of the community's menu")
        if not item.allowed:
            message = f"{item.refusal_reason}，请到{item.handled_by}办理"
            raise ValidationFailed(
                message,
                errors=[FieldError(field="menu_item_id", message=message)],
                extra={"handled_by": item.handled_by},
            )
    at = now()
    order = ServiceOrder(
        id=order_in.id or uuid.uuid4(),
        kind=order_in.kind,
        channel=channel,
        menu_item_id=item.id if item else None,
        title=order_in.title or (item.name if item else order_in.description.strip()[:100]),
        description=order_in.description,
        resident_id=resident_id,
        household_id=household_id,
        address=order_in.address,
        lat=order_in.lat,
        lng=order_in.lng,
        class_code=order_in.class_code,
        grid_code=grid_code,
        community_code=community,
        street_code=street_of(grid_code),
        placed_by=principal.sub,
        placed_by_role=role,
        placed_at=at,
        updated_at=at,
        **_terms(item, settings),
    )
    await _open(session, order, role=role, actor=principal)
    return order, True


def _terms(item: MenuItem | None, settings: Settings) -> dict[str, Any]:
    """What an order takes from its menu item, or without one (wishes, issues) the service's defaults:
    who may take it, its SLA minutes and its base points."""
    dispatch, accept, finish = (
        (item.sla_dispatch_minutes, item.sla_accept_minutes, item.sla_finish_minutes)
        if item is not None
        else settings.default_sla_minutes
    )
    return {
        "takers": list(item.takers) if item else list(DEFAULT_TAKERS),
        "sla_dispatch_minutes": dispatch,
        "sla_accept_minutes": accept,
        "sla_finish_minutes": finish,
        "points_base": item.points if item else settings.default_points,
    }


async def _open(
    session: AsyncSession,
    order: ServiceOrder,
    *,
    role: str,
    actor: Principal | None = None,
    actor_id: str | None = None,
) -> None:
    """Start a new order's clock, store it, and write the first step of its timeline."""
    session.add(order)
    await _enter_stage(session, order, order.placed_at)
    await session.flush()
    await _record(session, order, "place", None, actor=actor, role=role, at=order.placed_at, actor_id=actor_id)


def _on_behalf(principal: Principal, grid_code: str) -> tuple[str, str]:
    """The channel and role of a caller placing an order in someone else's name in ``grid_code``."""
    if principal.machine:  # a street office's system speaking Open311, for its own street only
        if principal.street_code and street_of(grid_code) == principal.street_code:
            return "open311", "integration"
        raise NotFound("no such resident or grid in your street")
    if grid_code in principal.places_of("grid_worker"):
        return "proxy", "grid_worker"
    if community_of(grid_code) in principal.places_of("community_staff"):
        return "phone", "community_staff"
    raise NotFound("no such resident or grid in your scope")


async def from_visit(
    session: AsyncSession, *, event_id: uuid.UUID, payload: dict[str, Any], settings: Settings
) -> ServiceOrder:
    """An ``issue`` order made of a visit that needs a follow-up (``visit.follow_up_needed``); the
    one who recorded the visit is its placer, and rates it once it is done."""
    at = now()
    grid_code = str(payload["grid_code"])
    kind = str(payload.get("kind") or "routine")
    recorder = str(payload.get("recorded_by") or payload.get("member_id"))
    order = ServiceOrder(
        kind="issue",
        channel="visit",
        title=f"走访发现的问题 ({kind})",
        description="",
        household_id=uuid.UUID(str(payload["household_id"])) if payload.get("household_id") else None,
        grid_code=grid_code,
        community_code=str(payload.get("community_code") or community_of(grid_code)),
        street_code=str(payload.get("street_code") or street_of(grid_code)),
        placed_by=recorder,
        placed_by_role="visit",
        source_event_id=event_id,
        visit_id=uuid.UUID(str(payload["visit_id"])),
        placed_at=at,
        updated_at=at,
        **_terms(None, settings),
    )
    await _open(session, order, role="visit", actor_id=recorder)
    return order


# -- moving along the loop ---------------------------------------------------------------------


async def _locked(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> ServiceOrder:
    order = await session.scalar(
        visible(select(ServiceOrder).where(col(ServiceOrder.id) == order_id), principal).with_for_update()
    )
    if order is None:
        raise NotFound(f"no order {order_id} in your scope")
    return order


def _expect(order: ServiceOrder, *states: str) -> None:
    if order.state not in states:
        raise Conflict(
            f"the order is {order.state}; this step needs it {' or '.join(states)}", extra={"state": order.state}
        )


async def dispatch(
    *,
    session: AsyncSession,
    principal: Principal,
    order_id: uuid.UUID,
    dispatch_in: DispatchIn,
    is_taker: Callable[[ServiceOrder], Awaitable[bool]],
) -> ServiceOrder:
    """派单 by the community's staff (or the street's admin): to a person, or open to the grid's
    takers (grab); a problem's case also to a department of its street. A dispatched order may be
    dispatched again (reassigned); a case is dispatched once filed (or straight from the report: the
    simple path), again after it was returned (回退) or shelved (挂账). ``is_taker``: whether the roster
    has the assignee as a taker of this order's grid (asked of the grids service)."""
    order = await _locked(session, principal, order_id)
    if not await is_managed(session, principal, order):
        raise Forbidden("only the community's staff dispatch orders")
    if order.kind == "issue":
        _expect(order, "placed", "filed", "dispatched", "shelved")
        from services.orders.hotline.service import require_signed

        await require_signed(session, order)
    else:
        _expect(order, "placed", "dispatched")
    department = None
    if dispatch_in.mode == "department":
        if order.kind != "issue":
            raise ValidationFailed.on("department_id", "only a problem's case is dispatched to a department")
        department = await session.scalar(
            select(col(Department.code)).where(
                col(Department.code) == dispatch_in.department_id,
                col(Department.street_code) == order.street_code,
                col(Department.active).is_(True),
            )
        )
        if department is None:
            raise ValidationFailed.on("department_id", "no such active department in the order's street")
    elif dispatch_in.mode == "assign" and not await is_taker(order):
        raise ValidationFailed.on("assignee_id", "not on the roster as a taker of this order's grid")
    before = order.state
    at = now()
    order.dispatch_mode = dispatch_in.mode
    order.assignee_id = str(dispatch_in.assignee_id) if dispatch_in.assignee_id else None
    order.assignee_name = None
    order.department_code = department
    action = "reassign" if before == "dispatched" else "dispatch"
    await _move(session, order, "dispatched", action, principal, at=at, role=_staff_role(principal, order))
    return order


def _staff_role(principal: Principal, order: ServiceOrder) -> str:
    return "community_staff" if order.community_code in principal.places_of("community_staff") else "street_admin"


async def accept(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> ServiceOrder:
    """接单: the assignee, or in grab mode any taker of the grid (the first one wins)."""
    order = await _locked(session, principal, order_id)
    _expect(order, "dispatched")
    role = _taker_role(principal, order)
    if order.assignee_id is not None and order.assignee_id != principal.sub:
        raise Forbidden("the order is assigned to someone else")
    if order.assignee_id is None and (order.dispatch_mode != "grab" or role is None):
        raise Forbidden("you may not take this order")
    order.assignee_id = principal.sub
    order.assignee_name = _name(principal)
    await _move(session, order, "accepted", "accept", principal, role=role or _acting_role(principal, order))
    return order


def _taker_role(principal: Principal, order: ServiceOrder) -> str | None:
    """The role in which the caller may take the order from the grab pool, if any."""
    for role in TAKER_ROLES:
        if order.grid_code in principal.places_of(role) and role in order.takers:
            return role
    return None


def _acting_role(principal: Principal, order: ServiceOrder) -> str:
    """The role an assignee acts in: a taker role of the order's grid, else their first role."""
    return _taker_role(principal, order) or next(iter(sorted(principal.roles)), "unknown")


async def decline(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, reason: str) -> ServiceOrder:
    """The assignee gives a dispatched order back; it waits to be dispatched again."""
    order = await _locked(session, principal, order_id)
    if order.assignee_id != principal.sub:
        raise Forbidden("only the assignee declines an order")
    _expect(order, "dispatched")
    order.assignee_id = None
    order.assignee_name = None
    order.dispatch_mode = None
    await _move(session, order, "placed", "decline", principal, note=reason, role=_acting_role(principal, order))
    return order


async def complete(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, complete_in: CompleteIn
) -> ServiceOrder:
    """The taker finishes the order, with a note and the photos added to it."""
    order = await _locked(session, principal, order_id)
    if order.assignee_id != principal.sub:
        raise Forbidden("only the one who took the order completes it")
    _expect(order, "accepted")
    photo_ids = await photos_of(session, order, complete_in.photo_ids)
    order.completion_note = complete_in.note
    order.photo_ids = photo_ids
    await _move(
        session,
        order,
        "completed",
        "complete",
        principal,
        note=complete_in.note,
        photo_ids=photo_ids,
        role=_acting_role(principal, order),
    )
    return order


async def photos_of(session: AsyncSession, order: ServiceOrder, photo_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The photos named by a step, once each, all of them added to this order before (else 422)."""
    wanted = list(dict.fromkeys(photo_ids))
    if not wanted:
        return []
    known = set(
        (
            await session.scalars(
                select(col(OrderPhoto.id)).where(col(OrderPhoto.order_id) == order.id, col(OrderPhoto.id).in_(wanted))
            )
        ).all()
    )
    if missing := [p for p in wanted if p not in known]:
        raise ValidationFailed.on("photo_ids", f"{len(missing)} of the photos were not added to this order")
    return wanted


async def rate(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, rate_in: RateIn) -> ServiceOrder:
    """评单: the resident the order was for (or whoever placed it in their name) rates it once; the
    taker's points are credited; one or two stars ask staff for a return visit (回访)."""
    order = await _locked(session, principal, order_id)
    if not _may_rate(principal, order):
        raise Forbidden("only the resident the order was for rates it")
    _expect(order, "completed")
    at = now()
    order.stars = rate_in.stars
    order.rating_comment = rate_in.comment
    order.rated_at = at
    order.needs_return_visit = rate_in.stars <= 2
    role = "resident" if _is_own(principal, order) else order.placed_by_role
    await _move(session, order, "rated", "rate", principal, note=rate_in.comment, at=at, role=role)
    await points.credit_order(session, order, at=at)
    return order


def _is_own(principal: Principal, order: ServiceOrder) -> bool:
    return bool(
        principal.has_role("resident")
        and principal.resident_id
        and order.resident_id is not None
        and str(order.resident_id) == principal.resident_id
    )


def _may_rate(principal: Principal, order: ServiceOrder) -> bool:
    if _is_own(principal, order):
        return True
    # Placed in a resident's name (代办, a call) or an issue with no resident: the one who placed it.
    return order.placed_by == principal.sub and order.channel != "app"


async def cancel(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, reason: str | None
) -> ServiceOrder:
    """The resident (or whoever placed the order) withdraws it before anyone took it."""
    order = await _locked(session, principal, order_id)
    if not (_is_own(principal, order) or order.placed_by == principal.sub):
        raise Forbidden("only the resident who ordered cancels an order")
    _expect(order, "placed", "dispatched")
    order.close_reason = reason
    await _move(session, order, "cancelled", "cancel", principal, note=reason, role=_placer_role(principal, order))
    return order


def _placer_role(principal: Principal, order: ServiceOrder) -> str:
    return "resident" if _is_own(principal, order) else order.placed_by_role


async def reject(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, reason: str) -> ServiceOrder:
    """Staff turn an order down, with the reason (the resident sees it)."""
    order = await _locked(session, principal, order_id)
    if not await is_managed(session, principal, order):
        raise Forbidden("only the community's staff reject orders")
    _expect(order, "placed", "dispatched")
    order.close_reason = reason
    await _move(session, order, "rejected", "reject", principal, note=reason, role=_staff_role(principal, order))
    return order


async def return_visit(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, note: str) -> ServiceOrder:
    """Staff record the return visit (回访) a poorly rated order asked for."""
    order = await _locked(session, principal, order_id)
    if not await is_managed(session, principal, order):
        raise Forbidden("only the community's staff record return visits")
    if not order.needs_return_visit:
        raise Conflict("this order does not ask for a return visit", extra={"state": order.state})
    if order.return_visit_note is not None:
        raise Conflict("the return visit is recorded already", extra={"state": order.state})
    order.return_visit_note = note
    order.updated_at = now()
    await _record(
        session, order, "return_visit", order.state, actor=principal, role=_staff_role(principal, order), note=note
    )
    return order


# -- the parts every move shares ----------------------------------------------------------------

_STAMPS = {
    "dispatched": "dispatched_at",
    "accepted": "accepted_at",
    "completed": "completed_at",
    "verified": "verified_at",
    "filed": "filed_at",
    "handled": "handled_at",
    "checked": "checked_at",
}
# States that end an order: when it is closed.
_ENDS = ("cancelled", "rejected", "closed", "refused", "voided")


async def _move(
    session: AsyncSession,
    order: ServiceOrder,
    to_state: str,
    action: str,
    principal: Principal,
    *,
    role: str | None,
    note: str | None = None,
    photo_ids: list[uuid.UUID] | None = None,
    at: datetime | None = None,
    fresh: bool = True,
    extra: dict[str, Any] | None = None,
) -> None:
    """Move the order to ``to_state``: stamp it, start the new stage's clock (``fresh`` False keeps a
    case's running handle clock), and record the step with its event."""
    at = at or now()
    before = order.state
    order.state = to_state
    order.updated_at = at
    if stamp := _STAMPS.get(to_state):
        setattr(order, stamp, at)
    if to_state in _ENDS:
        order.closed_at = at
    await _enter_stage(session, order, at, fresh=fresh)
    await session.flush()
    await _record(
        session,
        order,
        action,
        before,
        actor=principal,
        role=role or "unknown",
        note=note,
        photo_ids=photo_ids,
        at=at,
        extra=extra,
    )


async def _enter_stage(session: AsyncSession, order: ServiceOrder, at: datetime, *, fresh: bool = True) -> None:
    """Start the SLA clock of the order's current stage (or stop it, once nothing is due): a problem's
    on the case clock in working minutes (``cases.clock``), the service loop's in minutes."""
    if order.kind == "issue":
        await case_clock.enter(session, order, at, fresh=fresh)
        return
    minutes = {
        "placed": order.sla_dispatch_minutes,
        "dispatched": order.sla_accept_minutes,
        "accepted": order.sla_finish_minutes,
    }.get(order.state)
    order.due_at = at + timedelta(minutes=minutes) if minutes is not None else None
    order.overdue_at = None
    order.escalation_level = "grid"
    order.next_check_at = order.due_at
    if order.state == "accepted":
        order.finish_due_at = order.due_at


async def _record(
    session: AsyncSession,
    order: ServiceOrder,
    action: str,
    from_state: str | None,
    *,
    actor: Principal | None,
    role: str,
    note: str | None = None,
    photo_ids: list[uuid.UUID] | None = None,
    at: datetime | None = None,
    actor_id: str | None = None,
    event: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """A step of the timeline and, for the loop's moves, the event saying so. A problem's steps carry the
    working minutes since the step before."""
    at = at or now()
    minutes = await case_clock.since_last_step(session, order, at) if order.kind == "issue" else None
    session.add(
        OrderStep(
            order_id=order.id,
            at=at,
            action=action,
            working_minutes=minutes,
            actor_id=actor.sub if actor else (actor_id or SYSTEM),
            actor_role=role,
            actor_name=_name(actor) if actor else None,
            from_state=from_state,
            to_state=order.state,
            note=note,
            photo_ids=photo_ids or [],
        )
    )
    if (event_type := event or events.EVENTS.get(action)) is not None:
        if order.channel == "hotline":  # the hotline knows its tickets by their numbers
            number = await session.scalar(
                select(col(HotlineTicket.number)).where(col(HotlineTicket.order_id) == order.id)
            )
            extra = {"hotline_number": number, **(extra or {})}
        await events.order_event(session, event_type, order, extra)


async def record_system(
    session: AsyncSession, order: ServiceOrder, action: str, *, event: str, at: datetime, note: str
) -> None:
    """A step the service itself takes (the SLA clock), with its event."""
    await _record(session, order, action, order.state, actor=None, role=SYSTEM, note=note, at=at, event=event)
