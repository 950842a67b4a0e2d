"""吹哨报到 (docs/DOMAIN.md): staff or the street's admins call departments of the street to a case (吹哨); each
department signs for its call (签到) and reports (报到), each within the street's limits in working time
(``street_calendar``: ``whistle_sign_minutes``, ``whistle_report_minutes``), both clocks started at the call.

Each step writes a step of the order's timeline (``whistle``, ``call_sign``, ``call_report``; the order's
state does not move) and an event (``case.whistled``, ``case.call_signed``, ``case.call_reported``), in the
request's one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.calendar import calendar_of, street_terms
from services.orders.models import FINAL_STATES, CaseCall, Department, OrderStep, ServiceOrder, outbox_event
from services.orders.orders.access import called, is_managed, visible
from shared import outbox
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.security import Principal
from shared.workcalendar import clock, light


def now() -> datetime:
    return datetime.now(UTC)


async def _order(session: AsyncSession, principal: Principal, order_id: uuid.UUID, *, lock: bool) -> ServiceOrder:
    statement = visible(select(ServiceOrder).where(col(ServiceOrder.id) == order_id), principal)
    order = await session.scalar(statement.with_for_update(of=ServiceOrder) if lock else statement)
    if order is None:
        raise NotFound(f"no order {order_id} in your scope")
    return order


# -- 吹哨 -------------------------------------------------------------------------------------------------


async def whistle(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, codes: Sequence[str], note: str | None
) -> list[dict[str, Any]]:
    """Call departments of the order's street to it; a department called before is not called again. Every
    call of the order afterwards (``CallPublic``'s fields)."""
    order = await _order(session, principal, order_id, lock=True)
    if not await is_managed(session, principal, order):
        raise Forbidden("only the community's staff or the street's admins call departments to a case")
    if order.state in FINAL_STATES:
        raise Conflict(f"the order is {order.state}: no department is called to it now", extra={"state": order.state})
    wanted = list(dict.fromkeys(codes))
    found = set(
        (
            await session.scalars(
                select(col(Department.code)).where(
                    col(Department.code).in_(wanted),
                    col(Department.street_code) == order.street_code,
                    col(Department.active).is_(True),
                )
            )
        ).all()
    )
    if missing := [code for code in wanted if code not in found]:
        raise ValidationFailed.on(
            "department_codes", f"not an active department of the order's street: {', '.join(missing)}"
        )
    before = set(
        (await session.scalars(select(col(CaseCall.department_code)).where(col(CaseCall.order_id) == order.id))).all()
    )
    fresh = [code for code in wanted if code not in before]
    if fresh:
        at = now()
        terms = await street_terms(session, order.street_code)
        calendar = await calendar_of(session, order.street_code, around=at.date())
        sign_yellow, sign_due = clock(calendar, at, terms.whistle_sign_minutes)
        report_yellow, report_due = clock(calendar, at, terms.whistle_report_minutes)
        calls = [
            CaseCall(
                order_id=order.id,
                department_code=code,
                called_by=principal.sub,
                called_at=at,
                note=note,
                sign_yellow_at=sign_yellow,
                sign_due_at=sign_due,
                report_yellow_at=report_yellow,
                report_due_at=report_due,
            )
            for code in fresh
        ]
        session.add_all(calls)
        await session.flush()
        role = "community_staff" if order.community_code in principal.places_of("community_staff") else "street_admin"
        await _step(session, order, "whistle", principal, role=role, note=note, at=at)
        for call in calls:
            await _event(session, "case.whistled", order, call)
    at = now()
    return [public(call, name, order, at) for call, name in await calls_of(session, order)]


# -- 签到, 报到 -------------------------------------------------------------------------------------------


async def _own_call(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID, call_id: uuid.UUID
) -> tuple[ServiceOrder, CaseCall]:
    """The order and the call, locked, when the call is one of the caller's department's (else 404)."""
    order = await _order(session, principal, order_id, lock=False)
    call = await session.scalar(
        select(CaseCall).where(col(CaseCall.id) == call_id, col(CaseCall.order_id) == order.id).with_for_update()
    )
    if call is None or not called(principal, call.department_code):
        raise NotFound(f"no call {call_id} of your department on this order")
    return order, call


async def sign(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, call_id: uuid.UUID, note: str | None
) -> dict[str, Any]:
    """签到: the department called signs for the call (once); the call (``CallPublic``'s fields)."""
    order, call = await _own_call(session, principal, order_id, call_id)
    if call.signed_at is not None:
        raise Conflict("the call is signed for already", extra={"state": order.state, "call_state": call_state(call)})
    at = now()
    call.signed_at, call.signed_by = at, principal.sub
    await session.flush()
    await _step(session, order, "call_sign", principal, role="department", note=note, at=at)
    await _event(session, "case.call_signed", order, call)
    return public(call, await _name(session, call), order, at)


async def report(
    *, session: AsyncSession, principal: Principal, order_id: uuid.UUID, call_id: uuid.UUID, note: str | None
) -> dict[str, Any]:
    """报到: the department called reports what it did (once, after signing for the call); the call."""
    order, call = await _own_call(session, principal, order_id, call_id)
    if call.signed_at is None:
        raise Conflict("sign for the call first (签到)", extra={"state": order.state, "call_state": call_state(call)})
    if call.reported_at is not None:
        raise Conflict("the call is reported already", extra={"state": order.state, "call_state": call_state(call)})
    at = now()
    call.reported_at, call.reported_by, call.report = at, principal.sub, note
    await session.flush()
    await _step(session, order, "call_report", principal, role="department", note=note, at=at)
    await _event(session, "case.call_reported", order, call)
    return public(call, await _name(session, call), order, at)


def call_state(call: CaseCall) -> str:
    """called, signed or reported."""
    return "reported" if call.reported_at else "signed" if call.signed_at else "called"


# -- reading ----------------------------------------------------------------------------------------------


async def list_calls(*, session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> list[dict[str, Any]]:
    """The calls of an order the caller sees, oldest first, with their lights."""
    order = await _order(session, principal, order_id, lock=False)
    return [public(call, name, order, now()) for call, name in await calls_of(session, order)]


async def calls_of(session: AsyncSession, order: ServiceOrder) -> list[tuple[CaseCall, str]]:
    rows = await session.execute(
        select(CaseCall, col(Department.name))
        .join(Department, col(Department.code) == col(CaseCall.department_code))
        .where(col(CaseCall.order_id) == order.id)
        .order_by(col(CaseCall.called_at), col(CaseCall.department_code))
    )
    return [(call, name) for call, name in rows.all()]


async def _name(session: AsyncSession, call: CaseCall) -> str:
    return str(await session.scalar(select(col(Department.name)).where(col(Department.code) == call.department_code)))


def call_light(
    order: ServiceOrder,
    *,
    at: datetime,
    started_at: datetime,
    done_at: datetime | None,
    due_at: datetime | None,
    yellow_at: datetime | None,
) -> str:
    """The light of one of a call's clocks: once its step is done, done_on_time or done_late (against the
    limit); while it runs, green, yellow or red (``shared.workcalendar.light``); none when there is no clock,
    or the case ended with the step undone (its clock stopped with the case)."""
    if done_at is not None:
        if due_at is None:
            return "none"
        return "done_on_time" if done_at <= due_at else "done_late"
    if order.state in FINAL_STATES:
        return "none"
    return light(now=at, started_at=started_at, due_at=due_at, yellow_at=yellow_at)


def public(call: CaseCall, name: str, order: ServiceOrder, at: datetime) -> dict[str, Any]:
    """``CallPublic``'s fields."""
    return {
        "id": call.id,
        "order_id": call.order_id,
        "department_code": call.department_code,
        "department_name": name,
        "called_by": call.called_by,
        "called_at": call.called_at,
        "note": call.note,
        "sign_due_at": call.sign_due_at,
        "report_due_at": call.report_due_at,
        "signed_at": call.signed_at,
        "signed_by": call.signed_by,
        "reported_at": call.reported_at,
        "reported_by": call.reported_by,
        "report": call.report,
        "sign_light": call_light(
            order,
            at=at,
            started_at=call.called_at,
            done_at=call.signed_at,
            due_at=call.sign_due_at,
            yellow_at=call.sign_yellow_at,
        ),
        "report_light": call_light(
            order,
            at=at,
            started_at=call.called_at,
            done_at=call.reported_at,
            due_at=call.report_due_at,
            yellow_at=call.report_yellow_at,
        ),
    }


# -- the timeline and the events ------------------------------------------------------------------------


async def _step(
    session: AsyncSession,
    order: ServiceOrder,
    action: str,
    principal: Principal,
    *,
    role: str,
    note: str | None,
    at: datetime,
) -> None:
    """A step of the order's timeline that leaves its state where it is."""
    session.add(
        OrderStep(
            order_id=order.id,
            at=at,
            action=action,
            actor_id=principal.sub,
            actor_role=role,
            actor_name=principal.name[:50] if principal.name else None,
            from_state=order.state,
            to_state=order.state,
            note=note,
        )
    )
    await session.flush()


async def _event(session: AsyncSession, event_type: str, order: ServiceOrder, call: CaseCall) -> None:
    """Ids, codes and states: never what anyone wrote."""
    await outbox.emit(
        session,
        outbox_event,
        type=event_type,
        aggregate_id=str(order.id),
        payload={
            "order_id": str(order.id),
            "call_id": str(call.id),
            "department_code": call.department_code,
            "state": order.state,
            "call_state": call_state(call),
            "grid_code": order.grid_code,
            "community_code": order.community_code,
            "street_code": order.street_code,
        },
    )
