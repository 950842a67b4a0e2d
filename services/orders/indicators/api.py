"""The case indicators and the monthly bulletin (``/api/v1/orders/indicators``, ``/api/v1/orders/bulletin``);
registered before the orders' own router, whose ``/api/v1/orders/{order_id}`` would take these paths."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from services.orders.indicators import bulletin, service
from services.orders.indicators.access import Reader
from services.orders.indicators.schemas import Bulletin, BulletinFormat, IndicatorGroup, Indicators
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.periods import Moment

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/indicators",
    response_model=Indicators,
    responses=problem_responses(401, 403, 422),
    summary="案件指标 (Case Indicators)",
)
async def case_indicators(
    principal: Reader,
    session: SessionDep,
    group_by: Annotated[
        IndicatorGroup, Query(description="one row per grid, community, street, department or class of case")
    ] = "community",
    since: Annotated[
        Moment | None, Query(description="cases reported at or after; default: 30 days before until")
    ] = None,
    until: Annotated[Moment | None, Query(description="cases reported before; default: now")] = None,
) -> Indicators:
    """结案率, 按期结案率, 返工率, 准确派遣率, lights, hotline 响应率/解决率/满意率, per group and per source,
    of the cases reported in the period, in the caller's scope."""
    return await service.indicators(session=session, principal=principal, group_by=group_by, since=since, until=until)


@router.get(
    "/bulletin",
    response_model=Bulletin,
    responses={
        200: {"content": {XLSX: {}}, "description": "JSON, or with format=xlsx the same tables as a workbook"},
        **problem_responses(401, 403, 422),
    },
    summary="月度考核通报 (Monthly Bulletin)",
)
async def monthly_bulletin(
    principal: Reader,
    session: SessionDep,
    month: Annotated[
        str | None,
        Query(
            pattern=bulletin.MONTH_PATTERN,
            max_length=7,
            description="the month, YYYY-MM in China time; default: last month",
        ),
    ] = None,
    format: Annotated[BulletinFormat, Query(description="json, or an xlsx workbook")] = "json",  # noqa: A002
) -> Any:
    """The month's communities and departments ranked by a composite score (考核通报), as JSON or xlsx."""
    month = month or bulletin.last_month()
    report = await bulletin.bulletin(session=session, principal=principal, month=month)
    if format == "xlsx":
        return Response(
            bulletin.as_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{bulletin.filename_of(month)}"'},
        )
    return report
