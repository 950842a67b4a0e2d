"""HTTP endpoints of a street's departments (职能部门) and of 吹哨报到 (calling them to a case)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.orders.departments import calls
from services.orders.departments import service as departments
from services.orders.departments.access import Called, CallReader, Keeper, Viewer, Whistler
from services.orders.departments.schemas import (
    CallList,
    CallNote,
    CallPublic,
    DepartmentCreate,
    DepartmentList,
    DepartmentPublic,
    DepartmentUpdate,
    WhistleIn,
)
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.places import DEPARTMENT_PATTERN

router = APIRouter(prefix="/api/v1/departments", tags=["departments"])
calls_router = APIRouter(prefix="/api/v1/orders", tags=["departments"])

Code = Annotated[str, Path(pattern=DEPARTMENT_PATTERN, description="the department's code, e.g. 110105001D01")]
OrderId = Annotated[uuid.UUID, Path(description="the order's (case's) id")]
CallId = Annotated[uuid.UUID, Path(description="the call's id")]


@router.get(
    "",
    response_model=DepartmentList,
    responses=problem_responses(401, 403, 422),
    summary="职能部门列表 (List Departments)",
)
async def list_departments(
    principal: Viewer,
    session: SessionDep,
    active: Annotated[
        bool | None, Query(description="only the departments in service (true) or out of it (false)")
    ] = None,
) -> DepartmentList:
    """The departments of the caller's street, by code."""
    found = await departments.list_departments(session=session, principal=principal, active=active)
    return DepartmentList(items=[DepartmentPublic.model_validate(d, from_attributes=True) for d in found])


@router.get(
    "/{code}",
    response_model=DepartmentPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="职能部门详情 (Get Department)",
)
async def get_department(code: Code, principal: Viewer, session: SessionDep) -> DepartmentPublic:
    """One department of the caller's street."""
    department = await departments.get(session=session, principal=principal, code=code)
    return DepartmentPublic.model_validate(department, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=DepartmentPublic,
    responses=problem_responses(401, 403, 409, 422),
    summary="登记职能部门 (Create Department)",
)
async def create_department(
    department_in: DepartmentCreate, principal: Keeper, session: SessionDep
) -> DepartmentPublic:
    """Register a department of the street (street admins); its code is the street's next one."""
    department = await departments.create(session=session, principal=principal, department_in=department_in)
    return DepartmentPublic.model_validate(department, from_attributes=True)


@router.patch(
    "/{code}",
    response_model=DepartmentPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="修改职能部门 (Update Department)",
)
async def update_department(
    code: Code, department_in: DepartmentUpdate, principal: Keeper, session: SessionDep
) -> DepartmentPublic:
    """Rename a department, change its office line, take it out of service or back (street admins)."""
    department = await departments.update(session=session, principal=principal, code=code, department_in=department_in)
    return DepartmentPublic.model_validate(department, from_attributes=True)


# -- 吹哨报到 ---------------------------------------------------------------------------------------------


@calls_router.post(
    "/{order_id}/whistle",
    response_model=CallList,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="吹哨 (Whistle Departments)",
)
async def whistle(order_id: OrderId, whistle_in: WhistleIn, principal: Whistler, session: SessionDep) -> CallList:
    """Call departments of the street to a case (吹哨报到); those called before are not called again."""
    found = await calls.whistle(
        session=session,
        principal=principal,
        order_id=order_id,
        codes=whistle_in.department_codes,
        note=whistle_in.note,
    )
    return CallList(items=[CallPublic.model_validate(item) for item in found])


@calls_router.get(
    "/{order_id}/calls",
    response_model=CallList,
    responses=problem_responses(401, 403, 404, 422),
    summary="吹哨报到记录 (List Calls)",
)
async def list_calls(order_id: OrderId, principal: CallReader, session: SessionDep) -> CallList:
    """The departments called to a case, with the lights of their sign-for and report clocks."""
    found = await calls.list_calls(session=session, principal=principal, order_id=order_id)
    return CallList(items=[CallPublic.model_validate(item) for item in found])


@calls_router.post(
    "/{order_id}/calls/{call_id}/sign",
    response_model=CallPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="签到 (Sign Call)",
)
async def sign_call(
    order_id: OrderId, call_id: CallId, note_in: CallNote, principal: Called, session: SessionDep
) -> CallPublic:
    """The department called signs for the call (签到), once."""
    call = await calls.sign(session=session, principal=principal, order_id=order_id, call_id=call_id, note=note_in.note)
    return CallPublic.model_validate(call)


@calls_router.post(
    "/{order_id}/calls/{call_id}/report",
    response_model=CallPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="报到 (Report Call)",
)
async def report_call(
    order_id: OrderId, call_id: CallId, note_in: CallNote, principal: Called, session: SessionDep
) -> CallPublic:
    """The department called reports what it did (报到), once, after signing for the call."""
    call = await calls.report(
        session=session, principal=principal, order_id=order_id, call_id=call_id, note=note_in.note
    )
    return CallPublic.model_validate(call)
