"""HTTP endpoints of the case classes (案件分类): the national catalogue with the caller's street's limits, and
the street's own limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.orders.catalogue import service as catalogue
from services.orders.catalogue.access import Reader, StreetAdmin
from services.orders.catalogue.classes import CaseType, Stage
from services.orders.catalogue.schemas import CaseClassPage, CaseClassPublic, LimitsUpdate
from services.orders.orders.schemas import Urgency
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.places import STREET_PATTERN

router = APIRouter(prefix="/api/v1/case-classes", tags=["case-classes"])

StreetParam = Annotated[
    str | None,
    Query(
        pattern=STREET_PATTERN,
        description="the street (9-digit code); needed only by a caller who works in several streets",
    ),
]
CodeParam = Annotated[str, Path(max_length=12, description="the small class's code (小类编码), e.g. 20550")]


@router.get(
    "",
    response_model=CaseClassPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="案件分类 (List Case Classes)",
)
async def list_case_classes(
    principal: Reader,
    lane: FastLaneDep,
    type: Annotated[CaseType | None, Query(description="only 部件 (component) or 事件 (event)")] = None,
    q: Annotated[
        str | None, Query(max_length=20, description="a part of the small or large class's name, or a code's start")
    ] = None,
    street_code: StreetParam = None,
) -> Response:
    """The national catalogue of case classes with the limits of each stage as the caller's street has them."""
    page = await catalogue.list_classes(lane=lane, principal=principal, street_code=street_code, type=type, q=q)
    return json_response(page)


@router.get(
    "/{code}",
    response_model=CaseClassPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="查看案件分类 (Read Case Class)",
)
async def read_case_class(
    code: CodeParam, principal: Reader, session: SessionDep, street_code: StreetParam = None
) -> CaseClassPublic:
    """One small class with the limits of each stage as the caller's street has them."""
    return await catalogue.read_class(session=session, principal=principal, code=code, street_code=street_code)


@router.put(
    "/{code}/limits",
    response_model=CaseClassPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="设置处置时限 (Set Case Class Limits)",
)
async def set_case_class_limits(
    code: CodeParam,
    limits_in: LimitsUpdate,
    principal: StreetAdmin,
    session: SessionDep,
    street_code: StreetParam = None,
) -> CaseClassPublic:
    """Set the street's own limits of a class (street admins); cases started from now on count them."""
    return await catalogue.set_limits(
        session=session, principal=principal, code=code, street_code=street_code, limits_in=limits_in
    )


@router.delete(
    "/{code}/limits",
    response_model=CaseClassPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="恢复国家时限 (Reset Case Class Limits)",
)
async def reset_case_class_limits(
    code: CodeParam,
    principal: StreetAdmin,
    session: SessionDep,
    street_code: StreetParam = None,
    urgency: Annotated[Urgency | None, Query(description="only this urgency's limits; default: both")] = None,
    stage: Annotated[Stage | None, Query(description="only this stage's limits; default: every stage")] = None,
) -> CaseClassPublic:
    """Back to the national limits of a class (street admins): all of the street's own, or some."""
    return await catalogue.reset_limits(
        session=session, principal=principal, code=code, street_code=street_code, urgency=urgency, stage=stage
    )
