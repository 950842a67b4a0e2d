"""The case loop of problems (``issue`` orders), after the standards of digital urban management
(docs/DOMAIN.md "The case loop"): 核实 verify → 立案 file (or refuse filing) → 派遣 dispatch (to a person or
a department: ``orders.service.dispatch``) → 处置 handle → 核查 check (by the reporter or staff, never the
handler; a failed one is 返工 rework) → 结案 close; with 延期 extend (approved by staff), 挂账 shelve,
回退 return and 作废 void.

Every step locks the order found through the caller's scope, checks its kind, state (409 with ``state``)
and person (403), moves it with ``orders.service._move`` (timeline step with working minutes, event,
clock) in the request's one transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.cases import clock
from services.orders.cases.schemas import CheckIn, ExtendIn, FileIn, HandleIn, ShelveIn, VoidIn
from services.orders.hotline import service as hotline
from services.orders.models import ExtensionRequest, ServiceOrder
from services.orders.orders import service as loop
from services.orders.orders.access import handles, is_managed, visible
from services.orders.points import service as points
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.security import Principal

# The states a case may be shelved or voided in: it is running, not ended.
RUNNING = ("placed", "verified", "filed", "dispatched", "accepted", "handled", "checked")


async def _case(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> ServiceOrder:
    order = await loop._locked(session, principal, order_id)
    if order.kind != "issue":
        raise Conflict("only a problem (kind issue) runs the case loop", extra={"state": order.state})
    return order


async def _managed_case(session: AsyncSession, principal: Principal, order_id: uuid.UUID, what: str) -> ServiceOrder:
    order = await _case(session, principal, order_id)
    if not await is_managed(session, principal, order):
        raise Forbidden(f"only the community's staff or the street {what}")
    return order


def _handler_role(principal: Principal, order: ServiceOrder) -> str:
    return "department" if order.department_code is not None else loop._acting_role(principal, order)


async def verify(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, note: str | None) -> ServiceOrder:
    """核实: staff confirm the reported problem is real."""
    order = await _managed_case(session, principal, order_id, "verify cases")
    loop._expect(order, "placed")
    await hotline.require_signed(session, order)
    await loop._move(
        session, order, "verified", "verify", principal, note=note, role=loop._staff_role(principal, order)
    )
    return order


async def file(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, file_in: FileIn) -> ServiceOrder:
    """立案: staff file the verified case under a class and an urgency, which fix its stages' limits."""
    from services.orders.catalogue.service import find_class

    order = await _managed_case(session, principal, order_id, "file cases")
    loop._expect(order, "verified")
    if find_class(file_in.class_code) is None:
        raise ValidationFailed.on("class_code", "not a class of the catalogue (GET /api/v1/case-classes)")
    order.class_code = file_in.class_code
    order.urgency = file_in.urgency
    role = loop._staff_role(principal, order)
    await loop._move(session, order, "filed", "file", principal, note=file_in.note, role=role)
    return order


async def refuse_filing(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, reason: str
) -> ServiceOrder:
    """不予立案: staff decline to file the report, with the reason; the case ends."""
    order = await _managed_case(session, principal, order_id, "refuse filing")
    loop._expect(order, "placed", "verified")
    order.close_reason = reason
    role = loop._staff_role(principal, order)
    await loop._move(session, order, "refused", "refuse_filing", principal, note=reason, role=role)
    return order


async def handle(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, handle_in: HandleIn
) -> ServiceOrder:
    """处置: the handler (the department's account, or the person dispatched) reports the work done."""
    order = await _case(session, principal, order_id)
    if not handles(principal, order):
        raise Forbidden("only the case's handler reports handling it")
    loop._expect(order, "dispatched", "accepted")
    photo_ids = await loop.photos_of(session, order, handle_in.photo_ids)
    order.completion_note = handle_in.note
    order.photo_ids = photo_ids
    await loop._move(
        session,
        order,
        "handled",
        "handle",
        principal,
        note=handle_in.note,
        photo_ids=photo_ids,
        role=_handler_role(principal, order),
    )
    return order


async def check(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, check_in: CheckIn) -> ServiceOrder:
    """核查: the reporter or staff check the handled case, never its handler. Passed: it waits to be
    closed; failed: back to the handler (返工), the rework count raised, its handling clock running on."""
    order = await _case(session, principal, order_id)
    if handles(principal, order) or (order.assignee_id is not None and order.assignee_id == principal.sub):
        raise Forbidden("the handler does not check their own work")
    staff = await is_managed(session, principal, order)
    if not (staff or order.placed_by == principal.sub):
        raise Forbidden("only the reporter or the community's staff check a case")
    loop._expect(order, "handled")
    photo_ids = await loop.photos_of(session, order, check_in.photo_ids)
    role = loop._staff_role(principal, order) if staff else order.placed_by_role
    if check_in.passed:
        await loop._move(
            session, order, "checked", "check", principal, note=check_in.note, photo_ids=photo_ids, role=role
        )
    else:
        order.rework_count += 1
        await loop._move(
            session,
            order,
            "dispatched",
            "rework",
            principal,
            note=check_in.note,
            photo_ids=photo_ids,
            role=role,
            fresh=False,
        )
    return order


async def close(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, note: str | None) -> ServiceOrder:
    """结案: staff close the checked case; whether it was handled by its (extended) limit is kept, with
    the working minutes from filing to closing. A person who handled it earns the order's points."""
    order = await _managed_case(session, principal, order_id, "close cases")
    loop._expect(order, "checked")
    at = loop.now()
    order.closed_on_time = bool(
        order.handled_at is not None and (order.handle_due_at is None or order.handled_at <= order.handle_due_at)
    )
    order.handling_minutes = await clock.working_minutes(session, order, order.filed_at or order.placed_at, at)
    await loop._move(
        session,
        order,
        "closed",
        "close",
        principal,
        note=note,
        at=at,
        role=loop._staff_role(principal, order),
        extra={"closed_on_time": order.closed_on_time, "handling_minutes": order.handling_minutes},
    )
    if order.department_code is None and order.assignee_id is not None:
        await points.credit_case(session, order, at=at)
    await hotline.feed_back(session, order)
    return order


async def return_case(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, reason: str) -> ServiceOrder:
    """回退: the handler returns a wrongly dispatched case, with the reason; it waits to be dispatched
    again (and counts against the accuracy of dispatch)."""
    order = await _case(session, principal, order_id)
    if not handles(principal, order):
        raise Forbidden("only the case's handler returns it")
    loop._expect(order, "dispatched", "accepted")
    role = _handler_role(principal, order)
    order.return_count += 1
    extra = {"returned_by_department": order.department_code}
    order.assignee_id = order.assignee_name = order.dispatch_mode = order.department_code = None
    target = "filed" if order.filed_at is not None else "placed"
    await loop._move(session, order, target, "return", principal, note=reason, role=role, extra=extra)
    return order


async def shelve(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, shelve_in: ShelveIn
) -> ServiceOrder:
    """挂账: staff set aside a case that cannot be solved now, with the reason and the day to review it;
    its clock stops. Dispatching it again takes it up."""
    order = await _managed_case(session, principal, order_id, "shelve cases")
    loop._expect(order, "filed", "dispatched", "accepted")
    if shelve_in.review_on <= loop.now().date():
        raise ValidationFailed.on("review_on", "the review day comes after today")
    order.shelve_reason = shelve_in.reason
    order.review_on = shelve_in.review_on
    role = loop._staff_role(principal, order)
    await loop._move(
        session,
        order,
        "shelved",
        "shelve",
        principal,
        note=f"{shelve_in.reason}（复核日期 {shelve_in.review_on.isoformat()}）",
        role=role,
        extra={"review_on": shelve_in.review_on.isoformat()},
    )
    return order


async def void(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID, void_in: VoidIn) -> ServiceOrder:
    """作废: staff void a duplicate, linked to the case kept (one they see, of the same street)."""
    order = await _managed_case(session, principal, order_id, "void cases")
    loop._expect(order, *RUNNING, "shelved")
    if void_in.duplicate_of == order.id:
        raise ValidationFailed.on("duplicate_of", "a case is not its own duplicate")
    kept = await session.scalar(
        visible(select(ServiceOrder).where(col(ServiceOrder.id) == void_in.duplicate_of), principal)
    )
    if kept is None or kept.kind != "issue" or kept.street_code != order.street_code or kept.state == "voided":
        raise ValidationFailed.on("duplicate_of", "no case of this street to keep with this id")
    order.duplicate_of = kept.id
    order.close_reason = f"重复案件，保留 {kept.id}"
    role = loop._staff_role(principal, order)
    await loop._move(
        session, order, "voided", "void", principal, note=void_in.note, role=role, extra={"duplicate_of": str(kept.id)}
    )
    return order


# -- extensions (延期) ----------------------------------------------------------------------------


async def request_extension(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, extend_in: ExtendIn
) -> ExtensionRequest:
    """The handler asks for more working hours; one request waits at a time."""
    order = await _case(session, principal, order_id)
    if not handles(principal, order):
        raise Forbidden("only the case's handler asks for an extension")
    loop._expect(order, "dispatched", "accepted")
    pending = await session.scalar(
        select(col(ExtensionRequest.id)).where(
            col(ExtensionRequest.order_id) == order.id, col(ExtensionRequest.state) == "pending"
        )
    )
    if pending is not None:
        raise Conflict("an extension request waits already", extra={"state": order.state, "request_id": str(pending)})
    at = loop.now()
    request = ExtensionRequest(
        order_id=order.id, hours=extend_in.hours, reason=extend_in.reason, requested_by=principal.sub, requested_at=at
    )
    session.add(request)
    order.updated_at = at
    await session.flush()
    await loop._record(
        session,
        order,
        "extend_request",
        order.state,
        actor=principal,
        role=_handler_role(principal, order),
        note=f"申请延期 {extend_in.hours} 个工作小时：{extend_in.reason}",
        at=at,
        extra={"request_id": str(request.id), "hours": extend_in.hours},
    )
    return request


async def decide_extension(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, request_id: uuid.UUID, approve: bool
) -> ExtensionRequest:
    """Staff approve (the handling limit moves on by the hours asked) or refuse a waiting request."""
    order = await _managed_case(session, principal, order_id, "decide extensions")
    request = await session.scalar(
        select(ExtensionRequest)
        .where(col(ExtensionRequest.id) == request_id, col(ExtensionRequest.order_id) == order.id)
        .with_for_update()
    )
    if request is None:
        raise NotFound(f"no extension request {request_id} on this case")
    if request.state != "pending":
        raise Conflict(f"the request is {request.state} already", extra={"state": order.state})
    at = loop.now()
    request.state = "approved" if approve else "refused"
    request.decided_by = principal.sub
    request.decided_at = at
    if approve:
        await clock.extend(session, order, request.hours)
    order.updated_at = at
    await loop._record(
        session,
        order,
        "extend_approve" if approve else "extend_refuse",
        order.state,
        actor=principal,
        role=loop._staff_role(principal, order),
        note=f"{'批准' if approve else '不批准'}延期 {request.hours} 个工作小时",
        at=at,
        extra={"request_id": str(request.id), "hours": request.hours},
    )
    return request


async def extensions(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> list[ExtensionRequest]:
    order = await session.scalar(visible(select(ServiceOrder).where(col(ServiceOrder.id) == order_id), principal))
    if order is None:
        raise NotFound(f"no order {order_id} in your scope")
    return list(
        (
            await session.scalars(
                select(ExtensionRequest)
                .where(col(ExtensionRequest.order_id) == order_id)
                .order_by(col(ExtensionRequest.requested_at))
            )
        ).all()
    )


def light(order: ServiceOrder, now: datetime) -> str:
    from shared.workcalendar import light as light_of

    return light_of(now=now, started_at=order.stage_started_at, due_at=order.due_at, yellow_at=order.yellow_at)
