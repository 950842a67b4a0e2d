"""HTTP endpoints of the case loop of problems (docs/API.md "The case loop"): thin, one call into
``service`` each; the dispatch to a department is the orders' own ``/dispatch``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.orders.cases import service
from services.orders.cases.schemas import (
    CheckIn,
    ExtendIn,
    ExtensionPublic,
    FileIn,
    HandleIn,
    NoteIn,
    ReasonIn,
    ShelveIn,
    VoidIn,
)
from services.orders.models import ExtensionRequest
from services.orders.orders import queries
from services.orders.orders.access import Handler, Manager, Reader
from services.orders.orders.schemas import OrderPublic
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.security import Principal, allow

router = APIRouter(prefix="/api/v1/orders", tags=["cases"])

OrderId = Annotated[uuid.UUID, Path(description="the case's (the issue order's) id")]
RequestId = Annotated[uuid.UUID, Path(description="the extension request's id")]
STEP_ERRORS = problem_responses(401, 403, 404, 409, 422)
# Who may check one: its reporter (a grid worker, staff, a resident) or staff.
Checker = Annotated[Principal, Depends(allow("resident", "grid_worker", "community_staff", "street_admin"))]


def _extension(request: ExtensionRequest) -> ExtensionPublic:
    return ExtensionPublic.model_validate(request, from_attributes=True)


@router.post("/{order_id}/verify", response_model=OrderPublic, responses=STEP_ERRORS, summary="核实 (Verify Case)")
async def verify_case(order_id: OrderId, body: NoteIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """核实: confirm that the reported problem is real (placed → verified)."""
    return queries.public(await service.verify(session=session, principal=principal, order_id=order_id, note=body.note))


@router.post("/{order_id}/file", response_model=OrderPublic, responses=STEP_ERRORS, summary="立案 (File Case)")
async def file_case(order_id: OrderId, body: FileIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """立案: file the verified case under a class and urgency (verified → filed); its limits follow."""
    return queries.public(await service.file(session=session, principal=principal, order_id=order_id, file_in=body))


@router.post(
    "/{order_id}/refuse-filing", response_model=OrderPublic, responses=STEP_ERRORS, summary="不予立案 (Refuse Filing)"
)
async def refuse_filing(order_id: OrderId, body: ReasonIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """不予立案: decline to file the report, with the reason (placed/verified → refused)."""
    order = await service.refuse_filing(session=session, principal=principal, order_id=order_id, reason=body.reason)
    return queries.public(order)


@router.post("/{order_id}/handle", response_model=OrderPublic, responses=STEP_ERRORS, summary="处置 (Handle Case)")
async def handle_case(order_id: OrderId, body: HandleIn, principal: Handler, session: SessionDep) -> OrderPublic:
    """处置: the handler reports the work done, with photos added before (dispatched/accepted → handled)."""
    order = await service.handle(session=session, principal=principal, order_id=order_id, handle_in=body)
    return queries.public(order)


@router.post("/{order_id}/check", response_model=OrderPublic, responses=STEP_ERRORS, summary="核查 (Check Case)")
async def check_case(order_id: OrderId, body: CheckIn, principal: Checker, session: SessionDep) -> OrderPublic:
    """核查: the reporter or staff check the handled case (never its handler): passed → checked; failed →
    back to the handler as rework (返工)."""
    order = await service.check(session=session, principal=principal, order_id=order_id, check_in=body)
    return queries.public(order)


@router.post("/{order_id}/close", response_model=OrderPublic, responses=STEP_ERRORS, summary="结案 (Close Case)")
async def close_case(order_id: OrderId, body: NoteIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """结案: close the checked case (checked → closed); whether it was handled on time is kept."""
    return queries.public(await service.close(session=session, principal=principal, order_id=order_id, note=body.note))


@router.post("/{order_id}/return", response_model=OrderPublic, responses=STEP_ERRORS, summary="回退 (Return Case)")
async def return_case(order_id: OrderId, body: ReasonIn, principal: Handler, session: SessionDep) -> OrderPublic:
    """回退: the handler returns a wrongly dispatched case, with the reason; it waits to be dispatched again."""
    order = await service.return_case(session=session, principal=principal, order_id=order_id, reason=body.reason)
    return queries.public(order)


@router.post("/{order_id}/shelve", response_model=OrderPublic, responses=STEP_ERRORS, summary="挂账 (Shelve Case)")
async def shelve_case(order_id: OrderId, body: ShelveIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """挂账: set aside a case that cannot be solved now, with the reason and a review day; its clock stops."""
    order = await service.shelve(session=session, principal=principal, order_id=order_id, shelve_in=body)
    return queries.public(order)


@router.post("/{order_id}/void", response_model=OrderPublic, responses=STEP_ERRORS, summary="作废 (Void Case)")
async def void_case(order_id: OrderId, body: VoidIn, principal: Manager, session: SessionDep) -> OrderPublic:
    """作废: void a duplicate, linked to the case kept."""
    return queries.public(await service.void(session=session, principal=principal, order_id=order_id, void_in=body))


@router.post(
    "/{order_id}/extend",
    status_code=201,
    response_model=ExtensionPublic,
    responses=STEP_ERRORS,
    summary="申请延期 (Request Extension)",
)
async def request_extension(
    order_id: OrderId, body: ExtendIn, principal: Handler, session: SessionDep
) -> ExtensionPublic:
    """延期: the handler asks for more working hours; staff approve or refuse."""
    request = await service.request_extension(session=session, principal=principal, order_id=order_id, extend_in=body)
    return _extension(request)


@router.post(
    "/{order_id}/extend/{request_id}/approve",
    response_model=ExtensionPublic,
    responses=STEP_ERRORS,
    summary="批准延期 (Approve Extension)",
)
async def approve_extension(
    order_id: OrderId, request_id: RequestId, principal: Manager, session: SessionDep
) -> ExtensionPublic:
    """Approve the waiting request: the handling limit moves on by its working hours."""
    request = await service.decide_extension(
        session=session, principal=principal, order_id=order_id, request_id=request_id, approve=True
    )
    return _extension(request)


@router.post(
    "/{order_id}/extend/{request_id}/refuse",
    response_model=ExtensionPublic,
    responses=STEP_ERRORS,
    summary="不批准延期 (Refuse Extension)",
)
async def refuse_extension(
    order_id: OrderId, request_id: RequestId, principal: Manager, session: SessionDep
) -> ExtensionPublic:
    """Refuse the waiting request: the limit stays."""
    request = await service.decide_extension(
        session=session, principal=principal, order_id=order_id, request_id=request_id, approve=False
    )
    return _extension(request)


@router.get(
    "/{order_id}/extensions",
    response_model=list[ExtensionPublic],
    responses=problem_responses(401, 403, 404, 422),
    summary="延期申请 (List Extensions)",
)
async def list_extensions(order_id: OrderId, principal: Reader, session: SessionDep) -> list[ExtensionPublic]:
    """The case's extension requests, oldest first."""
    return [_extension(r) for r in await service.extensions(session, principal, order_id)]
