"""HTTP endpoints of points (积分): leaderboards, one's own ledger, the pioneer index."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from services.orders.points import service as points
from services.orders.points.access import Analyst, Anyone, Earner, Overseer
from services.orders.points.schemas import Board, MyPoints, PioneerPage, PointsStats
from shared.db import FastLaneDep, SessionDep
from shared.errors import problem_responses
from shared.fastlane import json_response
from shared.periods import Moment
from shared.places import COMMUNITY_OR_GRID_PATTERN, COMMUNITY_PATTERN, GRID_PATTERN, GroupBy

router = APIRouter(prefix="/api/v1/points", tags=["points"])


@router.get(
    "/leaderboard", response_model=Board, responses=problem_responses(401, 403, 422), summary="积分榜 (Leaderboard)"
)
async def leaderboard(
    principal: Anyone,
    lane: FastLaneDep,
    level: Annotated[Literal["grid", "community"], Query(description="a grid's or a community's board")] = "community",
    code: Annotated[str | None, Query(pattern=COMMUNITY_OR_GRID_PATTERN, description="default: the caller's")] = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2})?$", description="2026-11 or 2026")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="how many earners, 1-100")] = 20,
) -> Response:
    """积分榜: points earned in a month or a year in a grid or a community, highest first."""
    board = await points.leaderboard(lane=lane, principal=principal, level=level, code=code, period=period, limit=limit)
    return json_response(board)


@router.get(
    "/stats", response_model=PointsStats, responses=problem_responses(401, 403, 422), summary="积分统计 (Points Stats)"
)
async def points_stats(
    principal: Analyst,
    session: SessionDep,
    group_by: Annotated[GroupBy, Query(description="one row per grid, community or street (and month)")] = "community",
    since: Annotated[Moment | None, Query(description="earned at or after")] = None,
    until: Annotated[Moment | None, Query(description="earned before")] = None,
) -> PointsStats:
    """Points credited (orders, activities) per grid, community or street and month."""
    return await points.stats(session=session, principal=principal, group_by=group_by, since=since, until=until)


@router.get("/me", response_model=MyPoints, responses=problem_responses(401, 403), summary="我的积分 (My Points)")
async def my_points(principal: Earner, lane: FastLaneDep) -> Response:
    """The caller's points: total, this month, this year, and the latest credits."""
    return json_response(await points.mine(lane=lane, principal=principal))


@router.get(
    "/pioneers",
    response_model=PioneerPage,
    responses=problem_responses(401, 403, 422),
    summary="党员先锋系数 (Pioneers)",
)
async def pioneers(
    principal: Overseer,
    lane: FastLaneDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="default: this year, China time")] = None,
    community_code: Annotated[
        str | None,
        Query(pattern=COMMUNITY_PATTERN, description="only orders of this community (12-digit community code)"),
    ] = None,
    grid_code: Annotated[
        str | None, Query(pattern=GRID_PATTERN, description="only orders of this grid (15-digit grid code)")
    ] = None,
    account_id: Annotated[str | None, Query(max_length=64, description="only this taker (account id)")] = None,
) -> Response:
    """党员先锋系数: per taker, orders taken, average stars, on-time share, points and the index."""
    page = await points.pioneers(
        lane=lane,
        principal=principal,
        year=year,
        community_code=community_code,
        grid_code=grid_code,
        account_id=account_id,
    )
    return json_response(page)
