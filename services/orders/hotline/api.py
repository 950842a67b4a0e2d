"""HTTP endpoints of 12345 hotline tickets (docs/API.md "12345 hotline tickets"): the hotline's client
posts tickets, answers return requests and records follow-up calls; the street's staff sign for tickets
and ask to return them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from services.orders.clients import OtherServicesDep
from services.orders.config import Settings
from services.orders.hotline import service
from services.orders.hotline.schemas import NUMBER_PATTERN, AnswerIn, FollowUpIn, ReasonIn, TicketIn, TicketPublic
from services.orders.orders.access import Manager
from shared.db import SessionDep
from shared.errors import ValidationFailed, problem_responses
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/hotline", tags=["hotline"])

Hotline = Annotated[Principal, Depends(allow(machine_scopes=("hotline",)))]
TicketReader = Annotated[
    Principal,
    Depends(allow("community_staff", "street_admin", "grid_worker", "department", machine_scopes=("hotline",))),
]
Number = Annotated[str, Path(pattern=NUMBER_PATTERN, description="the hotline's ticket number (工单编号)")]
ERRORS = problem_responses(401, 403, 404, 409, 422)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/tickets",
    status_code=201,
    response_model=TicketPublic,
    responses={200: {"model": TicketPublic, "description": "posted before with this number"}, **ERRORS},
    summary="接收12345工单 (Receive Hotline Ticket)",
)
async def receive_ticket(
    ticket_in: TicketIn,
    principal: Hotline,
    session: SessionDep,
    request: Request,
    response: Response,
    others: OtherServicesDep,
) -> TicketPublic:
    """The hotline posts a ticket; it becomes a case of the grid of your street that holds its point, to be
    signed for (签收) within the street's limit. The same number again answers the ticket posted before."""
    grid_code = ticket_in.grid_code
    if ticket_in.lat is not None and ticket_in.lng is not None:
        grid_code = await others.grid_at(ticket_in.lat, ticket_in.lng)
        if grid_code is None:
            raise ValidationFailed.on("lat", "the point is outside every grid of your street")
    assert grid_code is not None
    ticket, order, created = await service.receive(
        session=session,
        principal=principal,
        ticket_in=ticket_in,
        grid_code=grid_code,
        pii=service.pii_of(request),
        settings=_settings(request),
    )
    if not created:
        response.status_code = 200
    return service.public(ticket, order)


@router.get(
    "/tickets/{number}",
    response_model=TicketPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="12345工单详情 (Get Hotline Ticket)",
)
async def get_ticket(number: Number, principal: TicketReader, session: SessionDep) -> TicketPublic:
    """A ticket, its sign clock, its return request, its result and follow-up; the caller's phone masked."""
    return await service.read(session, principal, number)


@router.post(
    "/tickets/{number}/sign", response_model=TicketPublic, responses=ERRORS, summary="签收12345工单 (Sign Ticket)"
)
async def sign_ticket(number: Number, principal: Manager, session: SessionDep) -> TicketPublic:
    """签收: the street takes the ticket on; the case may then be verified, filed and dispatched."""
    return service.public(*await service.sign(session=session, principal=principal, number=number))


@router.post(
    "/tickets/{number}/return",
    response_model=TicketPublic,
    responses=ERRORS,
    summary="申请退单 (Request Ticket Return)",
)
async def request_return(number: Number, body: ReasonIn, principal: Manager, session: SessionDep) -> TicketPublic:
    """退单: ask the hotline to take the ticket back, with the reason; it answers through its client."""
    found = await service.request_return(session=session, principal=principal, number=number, reason=body.reason)
    return service.public(*found)


@router.post(
    "/tickets/{number}/return-answer",
    response_model=TicketPublic,
    responses=ERRORS,
    summary="退单审核结果 (Answer Ticket Return)",
)
async def answer_return(number: Number, body: AnswerIn, principal: Hotline, session: SessionDep) -> TicketPublic:
    """The hotline's answer to the street's return request: accepted (the case ends) or refused."""
    return service.public(
        *await service.answer_return(session=session, principal=principal, number=number, answer=body)
    )


@router.post(
    "/tickets/{number}/follow-up",
    response_model=TicketPublic,
    responses=ERRORS,
    summary="回访结果 (Record Follow-up)",
)
async def record_follow_up(number: Number, body: FollowUpIn, principal: Hotline, session: SessionDep) -> TicketPublic:
    """回访: the hotline's follow-up call of the closed case: solved or not, and how satisfied."""
    found = await service.follow_up(session=session, principal=principal, number=number, follow_up_in=body)
    return service.public(*found)
