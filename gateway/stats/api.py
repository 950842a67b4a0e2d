"""The street's statistics (``GET /api/v1/stats``), as JSON or as a CSV or xlsx file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from gateway.stats import service
from gateway.stats.access import Analyst
from gateway.stats.schemas import StreetStats
from shared.errors import problem_responses
from shared.periods import Moment
from shared.places import GroupBy

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "",
    response_model=StreetStats,
    responses={
        200: {
            "content": {"text/csv": {}, XLSX: {}},
            "description": "JSON, or with format=csv / xlsx the same figures as a file",
        },
        **problem_responses(401, 403, 422),
    },
    summary="街道统计 (Street Stats)",
)
async def street_stats(
    principal: Analyst,
    request: Request,
    group_by: Annotated[GroupBy, Query(description="figures per grid, community or street")] = "community",
    since: Annotated[Moment | None, Query(description="from (orders placed, visits made, points earned)")] = None,
    until: Annotated[Moment | None, Query(description="until, exclusive")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a file")] = "json",  # noqa: A002
) -> Any:
    """The street's figures from every service, per grid, community or street and month."""
    stats = await service.collect(request, group_by=group_by, since=since, until=until)
    if format == "csv":
        return Response(
            service.as_csv(stats),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="street-stats.csv"'},
        )
    if format == "xlsx":
        return Response(
            service.as_xlsx(stats),
            media_type=XLSX,
            headers={"Content-Disposition": 'attachment; filename="street-stats.xlsx"'},
        )
    return stats
