"""12345 hotline tickets (接诉即办): a ticket posted by the street's hotline client becomes a case of the
street where it is; the street signs for it (签收) within its limit, may ask to return it (退单: the
hotline accepts or refuses), handles it round the case loop; the result (办结反馈) and every change go
back through the street's signed webhooks; the hotline's follow-up call (回访) is recorded on it.

The caller's phone is kept encrypted with a blind index (``hotline_ticket``), shown masked, and never
put in an event, a log line or a webhook.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders import events
from services.orders.calendar import calendar_of, street_terms
from services.orders.config import Settings
from services.orders.hotline.schemas import AnswerIn, FollowUpIn, TicketIn, TicketPublic
from services.orders.models import HotlineTicket, ServiceOrder
from services.orders.orders import service as loop
from services.orders.orders.access import is_managed, visible
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.pii import PiiCipher, clear_numbers, mask_phone
from shared.places import community_of, street_of
from shared.security import Principal
from shared.workcalendar import clock, light

PHONE_FIELD = "hotline_caller_phone"
_DIGITS = re.compile(r"\D")


def pii_of(request: Request) -> PiiCipher:
    pii: PiiCipher = request.app.state.pii
    return pii


def _masked_content(content: str, phone: str | None) -> str:
    """The caller's words with their phone, and anything shaped like a phone or an ID number, masked."""
    if phone:
        content = content.replace(phone, mask_phone(_DIGITS.sub("", phone)))
    return clear_numbers(content) or content


async def receive(
    *,
    session: AsyncSession,
    principal: Principal,
    ticket_in: TicketIn,
    grid_code: str,
    pii: PiiCipher,
    settings: Settings,
) -> tuple[HotlineTicket, ServiceOrder, bool]:
    """The ticket as a case of the client's street in ``grid_code`` (found from its point); the ticket
    posted before with the same number when it was, and False."""
    assert principal.street_code is not None
    existing = await session.scalar(
        select(HotlineTicket).where(
            col(HotlineTicket.street_code) == principal.street_code, col(HotlineTicket.number) == ticket_in.number
        )
    )
    if existing is not None:
        order = await session.get(ServiceOrder, existing.order_id)
        assert order is not None
        return existing, order, False
    if street_of(grid_code) != principal.street_code:
        raise ValidationFailed.on("grid_code", "not a grid of your street")
    if ticket_in.class_code is not None:
        from services.orders.catalogue.service import find_class

        if find_class(ticket_in.class_code) is None:
            raise ValidationFailed.on("class_code", "not a class of the catalogue (GET /api/v1/case-classes)")
    at = loop.now()
    content = _masked_content(ticket_in.content, ticket_in.caller_phone)
    order = ServiceOrder(
        kind="issue",
        channel="hotline",
        title=f"12345 {ticket_in.number} {content}"[:100],
        description=content,
        address=clear_numbers(ticket_in.address),
        lat=ticket_in.lat,
        lng=ticket_in.lng,
        class_code=ticket_in.class_code,
        grid_code=grid_code,
        community_code=community_of(grid_code),
        street_code=street_of(grid_code),
        placed_by=principal.client_id or principal.sub,
        placed_by_role="hotline",
        placed_at=at,
        updated_at=at,
        **loop._terms(None, settings),
    )
    phone = _DIGITS.sub("", ticket_in.caller_phone) if ticket_in.caller_phone else None
    terms = await street_terms(session, order.street_code)
    calendar = await calendar_of(session, order.street_code, around=at.date())
    sign_yellow, sign_due = clock(calendar, at, terms.hotline_sign_minutes)
    ticket = HotlineTicket(
        order_id=order.id,
        number=ticket_in.number,
        street_code=order.street_code,
        client_id=principal.client_id or principal.sub,
        caller_phone_encrypted=pii.encrypt(phone, field=PHONE_FIELD) if phone else None,
        caller_phone_index=pii.blind_index(phone, field=PHONE_FIELD) if phone else None,
        caller_phone_masked=mask_phone(phone) if phone else None,
        deadline=ticket_in.deadline,
        received_at=at,
        sign_yellow_at=sign_yellow,
        sign_due_at=sign_due,
    )
    session.add(order)
    await session.flush()  # the order first: the ticket refers to it, and the first step's event names it
    session.add(ticket)
    await loop._open(session, order, role="hotline", actor=principal)
    return ticket, order, True


def _seen(principal: Principal, number: str) -> Any:
    """The ticket with this number and its case, as the caller may see them: the hotline client of its
    street, or those who see the case."""
    statement = (
        select(HotlineTicket, ServiceOrder)
        .join(ServiceOrder, col(ServiceOrder.id) == col(HotlineTicket.order_id))
        .where(col(HotlineTicket.number) == number)
    )
    if principal.machine:
        return statement.where(col(HotlineTicket.street_code) == principal.street_code)
    return visible(cast(Any, statement), principal)


async def _ticket(session: AsyncSession, principal: Principal, number: str) -> tuple[HotlineTicket, ServiceOrder]:
    """The ticket and its case, locked, as the caller may see them: the hotline client of its street, or
    those who see the case."""
    statement = _seen(principal, number).with_for_update(of=[HotlineTicket, ServiceOrder])
    found = (await session.execute(statement)).first()
    if found is None:
        raise NotFound(f"no ticket {number} in your scope")
    return found[0], found[1]


async def _step(
    session: AsyncSession,
    order: ServiceOrder,
    ticket: HotlineTicket,
    action: str,
    principal: Principal,
    *,
    event: str,
    note: str | None,
    role: str,
    extra: dict[str, Any] | None = None,
) -> None:
    at = loop.now()
    order.updated_at = at
    await loop._record(
        session, order, action, order.state, actor=principal, role=role, note=note, at=at, event=event, extra=extra
    )


async def sign(*, session: AsyncSession, principal: Principal, number: str) -> tuple[HotlineTicket, ServiceOrder]:
    """签收: the street (its staff, or the community's) signs for the ticket."""
    ticket, order = await _ticket(session, principal, number)
    if principal.machine or not await is_managed(session, principal, order):
        raise Forbidden("only the street's or the community's staff sign for a ticket")
    if ticket.signed_at is not None:
        raise Conflict("the ticket is signed for already", extra={"state": order.state})
    at = loop.now()
    ticket.signed_at, ticket.signed_by = at, principal.sub
    on_time = ticket.sign_due_at is None or at <= ticket.sign_due_at
    await _step(
        session,
        order,
        ticket,
        "hotline_sign",
        principal,
        event="hotline.signed",
        note="签收" if on_time else "签收（超时）",
        role=loop._staff_role(principal, order),
        extra={"signed_on_time": on_time},
    )
    return ticket, order


async def request_return(
    *, session: AsyncSession, principal: Principal, number: str, reason: str
) -> tuple[HotlineTicket, ServiceOrder]:
    """退单: the street asks the hotline to take the ticket back, with the reason."""
    ticket, order = await _ticket(session, principal, number)
    if principal.machine or not await is_managed(session, principal, order):
        raise Forbidden("only the street's or the community's staff ask to return a ticket")
    if order.state in loop._ENDS:
        raise Conflict(f"the case is {order.state}", extra={"state": order.state})
    if ticket.return_state == "requested":
        raise Conflict("a return request waits for the hotline's answer", extra={"state": order.state})
    ticket.return_state, ticket.return_reason, ticket.return_answer = "requested", reason, None
    ticket.return_count += 1
    role = loop._staff_role(principal, order)
    await _step(
        session,
        order,
        ticket,
        "hotline_return",
        principal,
        event="hotline.return_requested",
        note=reason,
        role=role,
        extra={"reason": reason},
    )
    return ticket, order


async def answer_return(
    *, session: AsyncSession, principal: Principal, number: str, answer: AnswerIn
) -> tuple[HotlineTicket, ServiceOrder]:
    """The hotline's answer to a return request: accepted (the case ends, refused here) or refused (the
    street keeps it)."""
    ticket, order = await _ticket(session, principal, number)
    if ticket.return_state != "requested":
        raise Conflict("no return request waits for an answer", extra={"state": order.state})
    ticket.return_state = "accepted" if answer.accepted else "refused"
    ticket.return_answer = answer.note
    if answer.accepted:
        order.close_reason = f"12345退单：{ticket.return_reason}"
        await loop._move(session, order, "refused", "return_accepted", principal, note=answer.note, role="hotline")
    else:
        await _step(
            session,
            order,
            ticket,
            "return_refused",
            principal,
            event="hotline.return_refused",
            note=answer.note,
            role="hotline",
        )
    return ticket, order


async def follow_up(
    *, session: AsyncSession, principal: Principal, number: str, follow_up_in: FollowUpIn
) -> tuple[HotlineTicket, ServiceOrder]:
    """回访: the hotline's follow-up call of a closed case, recorded once."""
    ticket, order = await _ticket(session, principal, number)
    if order.state != "closed":
        raise Conflict(
            f"the case is {order.state}; the follow-up comes once it is closed", extra={"state": order.state}
        )
    if ticket.followed_up_at is not None:
        raise Conflict("the follow-up is recorded already", extra={"state": order.state})
    ticket.resolved, ticket.satisfaction = follow_up_in.resolved, follow_up_in.satisfaction
    ticket.followed_up_at = loop.now()
    labels = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
    note = f"回访：{'已解决' if follow_up_in.resolved else '未解决'}，{labels[follow_up_in.satisfaction]}"
    await _step(
        session,
        order,
        ticket,
        "hotline_follow_up",
        principal,
        event="hotline.followed_up",
        note=f"{note}。{follow_up_in.note}" if follow_up_in.note else note,
        role="hotline",
        extra={"resolved": follow_up_in.resolved, "satisfaction": follow_up_in.satisfaction},
    )
    return ticket, order


async def number_of(session: AsyncSession, order: ServiceOrder) -> str | None:
    """The ticket number of a hotline case (every event of it carries it), or None."""
    if order.channel != "hotline":
        return None
    found: str | None = await session.scalar(
        select(col(HotlineTicket.number)).where(col(HotlineTicket.order_id) == order.id)
    )
    return found


async def require_signed(session: AsyncSession, order: ServiceOrder) -> None:
    """A hotline case moves on only once the street signed for its ticket."""
    if order.channel != "hotline":
        return
    signed = await session.scalar(select(col(HotlineTicket.signed_at)).where(col(HotlineTicket.order_id) == order.id))
    if signed is None:
        raise Conflict("sign for the 12345 ticket first (签收)", extra={"state": order.state})


async def feed_back(session: AsyncSession, order: ServiceOrder) -> None:
    """办结反馈: the result of a closed hotline case goes to the hotline (its webhooks), with the handling
    note as the result: the street's words, never the caller's phone."""
    number = await number_of(session, order)
    if number is None:
        return
    await events.order_event(
        session,
        "hotline.result",
        order,
        {
            "hotline_number": number,
            "result": order.completion_note,
            "closed_at": order.closed_at.isoformat() if order.closed_at else None,
            "closed_on_time": order.closed_on_time,
        },
    )


def public(ticket: HotlineTicket, order: ServiceOrder, now: datetime | None = None) -> TicketPublic:
    moment = now or datetime.now(UTC)
    sign_light = (
        "none"
        if ticket.signed_at is not None
        else light(
            now=moment, started_at=ticket.received_at, due_at=ticket.sign_due_at, yellow_at=ticket.sign_yellow_at
        )
    )
    return TicketPublic(
        order_id=order.id,
        number=ticket.number,
        street_code=ticket.street_code,
        grid_code=order.grid_code,
        state=order.state,
        caller_phone_masked=ticket.caller_phone_masked,
        deadline=ticket.deadline,
        received_at=ticket.received_at,
        sign_due_at=ticket.sign_due_at,
        signed_at=ticket.signed_at,
        sign_light=sign_light,
        return_state=ticket.return_state,
        return_reason=ticket.return_reason,
        return_answer=ticket.return_answer,
        return_count=ticket.return_count,
        result=order.completion_note if order.state == "closed" else None,
        resolved=ticket.resolved,
        satisfaction=ticket.satisfaction,
        followed_up_at=ticket.followed_up_at,
    )


async def read(session: AsyncSession, principal: Principal, number: str) -> TicketPublic:
    found = (await session.execute(_seen(principal, number))).first()
    if found is None:
        raise NotFound(f"no ticket {number} in your scope")
    return public(found[0], found[1])
