"""Points (积分): a ledger of credits, leaderboards per grid and community, and the pioneer index
(党员先锋系数) of party members.

A rated order credits its taker ``base × factor(stars)`` once (the ledger's unique key is the
source and the account); totals are always sums over the ledger, never a counter kept aside.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, Integer, String, bindparam, cast, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import PointEntry, ServiceOrder
from services.orders.points import access
from services.orders.points.schemas import PointsStats, PointsStatsRow
from shared.errors import ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.periods import CHINA, month_bounds, sql_month, year_bounds
from shared.places import community_of, street_of
from shared.scope import area_conditions, place_column
from shared.security import Principal

# How the resident's stars weigh the menu item's base points.
STAR_FACTORS = {1: 0.2, 2: 0.5, 3: 0.8, 4: 1.0, 5: 1.2}
# The pioneer index: 100 × (0.4 × average stars / 5 + 0.4 × on-time share + 0.2 × min(1, taken / 12)).
PIONEER_WEIGHTS = (0.4, 0.4, 0.2)
PIONEER_FULL_YEAR = 12


def order_points(base: int, stars: int) -> int:
    return round(base * STAR_FACTORS[stars])


async def credit_order(session: AsyncSession, order: ServiceOrder, *, at: datetime) -> None:
    """Credit the taker of a rated order (once, whatever happens after)."""
    if order.assignee_id is None or order.stars is None:
        return
    await session.execute(
        insert(PointEntry)
        .values(
            account_id=order.assignee_id,
            account_name=order.assignee_name,
            source="order",
            source_id=order.id,
            points=order_points(order.points_base, order.stars),
            base=order.points_base,
            stars=order.stars,
            grid_code=order.grid_code,
            community_code=order.community_code,
            street_code=order.street_code,
            earned_at=at,
        )
        .on_conflict_do_nothing()
    )


async def credit_case(session: AsyncSession, order: ServiceOrder, *, at: datetime) -> None:
    """Credit the person who handled a closed case its base points (once)."""
    if order.assignee_id is None:
        return
    await credit(
        session,
        account_id=order.assignee_id,
        account_name=order.assignee_name,
        source="order",
        source_id=order.id,
        points=order.points_base,
        grid_code=order.grid_code,
        at=at,
    )


async def credit(
    session: AsyncSession,
    *,
    account_id: str,
    source: str,
    source_id: uuid.UUID,
    points: int,
    grid_code: str,
    at: datetime,
    account_name: str | None = None,
) -> bool:
    """Credit an account for something other than an order (an activity served); False when this
    source credited the account already."""
    inserted = await session.scalar(
        insert(PointEntry)
        .values(
            account_id=account_id,
            account_name=account_name,
            source=source,
            source_id=source_id,
            points=points,
            base=points,
            grid_code=grid_code,
            community_code=community_of(grid_code),
            street_code=street_of(grid_code),
            earned_at=at,
        )
        .on_conflict_do_nothing()
        .returning(col(PointEntry.id))
    )
    return inserted is not None


# -- periods -----------------------------------------------------------------------------------


def period_bounds(period: str | None, today: datetime) -> tuple[str, datetime, datetime]:
    """``2026-11`` (a month) or ``2026`` (a year), in China's time; default this month."""
    local = today.astimezone(CHINA)
    period = period or f"{local.year:04d}-{local.month:02d}"
    try:
        if len(period) == 4:
            return period, *year_bounds(int(period))
        year, month = (int(part) for part in period.split("-"))
        return period, *month_bounds(year, month)
    except ValueError as exc:
        raise ValidationFailed.on("period", "a month (2026-11) or a year (2026)") from exc


def default_place(principal: Principal, level: str) -> str | None:
    grids = access.grid_places(principal)
    if level == "grid":
        return grids[0] if grids else None
    if communities := principal.places_of("community_staff"):
        return communities[0]
    return community_of(grids[0]) if grids else None


_POINTS = col(PointEntry.points)
_EARNED_AT = col(PointEntry.earned_at)


def _moment(name: str) -> Any:
    return bindparam(name, type_=DateTime(timezone=True))


@functools.lru_cache(maxsize=64)
def _board_query(level: str, scope: access.BoardScope) -> PreparedQuery:
    """One prepared statement per level and shape of the caller's honour rolls."""
    place = col(PointEntry.grid_code) if level == "grid" else col(PointEntry.community_code)
    total = func.sum(_POINTS)
    statement = (
        select(
            # The rank of ties is the same, the next one skips as many (1, 2, 2, 4).
            func.rank().over(order_by=total.desc()).label("rank"),
            col(PointEntry.account_id),
            func.max(col(PointEntry.account_name)).label("name"),
            total.label("points"),
            func.count().filter(col(PointEntry.source) == "order").label("orders"),
        )
        .where(
            place == bindparam("code", type_=String()),
            _EARNED_AT >= _moment("start"),
            _EARNED_AT < _moment("end"),
            access.board_clause(scope, street=col(PointEntry.street_code), community=col(PointEntry.community_code)),
        )
        .group_by(col(PointEntry.account_id))
        .order_by(total.desc(), col(PointEntry.account_id))
        .limit(bindparam("limit", type_=Integer()))
    )
    return PreparedQuery(statement)


async def leaderboard(
    *, lane: FastLane, principal: Principal, level: str, code: str | None, period: str | None, limit: int
) -> dict[str, Any]:
    """Points earned in a month or a year, per account, in a grid or a community, as ``Board``'s fields."""
    code = code or default_place(principal, level)
    if code is None:
        raise ValidationFailed.on("code", "say which grid or community")
    period, start, end = period_bounds(period, datetime.now(CHINA))
    scope, values = access.board_scope_of(principal)
    values.update(code=code, start=start, end=end, limit=limit)
    rows = await lane.fetch_prepared(_board_query(level, scope), values)
    return {"level": level, "code": code, "period": period, "items": [dict(row) for row in rows]}


_LEDGER = ("source", "source_id", "points", "base", "stars", "grid_code", "earned_at")


@functools.cache
def _mine_query() -> PreparedQuery:
    """The caller's totals and their latest credits, in one statement: one row of totals with no
    credit when there is none."""
    mine_only = col(PointEntry.account_id) == bindparam("account_id", type_=String())
    totals = (
        select(
            func.coalesce(func.sum(_POINTS), 0).label("total"),
            func.coalesce(func.sum(_POINTS).filter(_EARNED_AT >= _moment("month_start")), 0).label("this_month"),
            func.coalesce(func.sum(_POINTS).filter(_EARNED_AT >= _moment("year_start")), 0).label("this_year"),
        )
        .where(mine_only)
        .subquery("totals")
    )
    latest = (
        select(col(PointEntry.id), *(getattr(PointEntry, name) for name in _LEDGER))
        .where(mine_only)
        .order_by(_EARNED_AT.desc(), col(PointEntry.id).desc())
        .limit(bindparam("limit", type_=Integer()))
        .subquery("latest")
    )
    statement = (
        select(totals.c.total, totals.c.this_month, totals.c.this_year, *(latest.c[name] for name in _LEDGER))
        .select_from(totals.outerjoin(latest, true()))
        .order_by(latest.c.earned_at.desc(), latest.c.id.desc())
    )
    return PreparedQuery(statement)


async def mine(*, lane: FastLane, principal: Principal, limit: int = 20) -> dict[str, Any]:
    """The caller's points, as ``MyPoints``' fields."""
    now = datetime.now(CHINA)
    _, month_start, _ = period_bounds(None, now)
    _, year_start, _ = period_bounds(str(now.year), now)
    values = {"account_id": principal.sub, "month_start": month_start, "year_start": year_start, "limit": limit}
    rows = await lane.fetch_prepared(_mine_query(), values)
    first = rows[0]
    return {
        "account_id": principal.sub,
        "total": first["total"],
        "this_month": first["this_month"],
        "this_year": first["this_year"],
        "entries": [{name: row[name] for name in _LEDGER} for row in rows if row["source"] is not None],
    }


# -- the pioneer index ---------------------------------------------------------------------------


def pioneer_index(average_stars: float | None, on_time_share: float | None, taken: int) -> float:
    stars_part = (average_stars or 0.0) / 5
    on_time_part = on_time_share or 0.0
    volume_part = min(1.0, taken / PIONEER_FULL_YEAR)
    w_stars, w_time, w_volume = PIONEER_WEIGHTS
    return round(100 * (w_stars * stars_part + w_time * on_time_part + w_volume * volume_part), 1)


@functools.lru_cache(maxsize=4096)
def _figures(average: float | None, share: float | None, taken: int) -> tuple[float | None, float | None, float]:
    """A taker's average stars and on-time share as shown, and their index: remembered, since most
    takers of a year share a few combinations (a whole community's hundreds of rows a request)."""
    return (
        round(average, 2) if average is not None else None,
        round(share, 4) if share is not None else None,
        pioneer_index(average, share, taken),
    )


_PIONEER_FILTERS = {
    "community_code": lambda: col(ServiceOrder.community_code) == bindparam("community_code", type_=String()),
    "grid_code": lambda: col(ServiceOrder.grid_code) == bindparam("grid_code", type_=String()),
    "account_id": lambda: col(ServiceOrder.assignee_id) == bindparam("account_id", type_=String()),
}


@functools.lru_cache(maxsize=128)
def _pioneers_query(scope: access.BoardScope, filters: tuple[str, ...]) -> PreparedQuery:
    """Per taker of orders accepted in the year, in the caller's honour rolls, with the points earned."""
    o = ServiceOrder
    taken = func.count()
    completed = func.count().filter(col(o.completed_at).is_not(None))
    on_time = func.count().filter(col(o.completed_at).is_not(None), col(o.completed_at) <= col(o.finish_due_at))
    conditions = [
        col(o.assignee_id).is_not(None),
        col(o.accepted_at) >= _moment("start"),
        col(o.accepted_at) < _moment("end"),
        access.board_clause(scope, street=col(o.street_code), community=col(o.community_code)).self_group(),
        *(_PIONEER_FILTERS[name]() for name in filters),
    ]
    orders = (
        select(
            col(o.assignee_id).label("account_id"),
            func.max(col(o.assignee_name)).label("name"),
            taken.label("taken"),
            completed.label("completed"),
            # Exact in SQL, then as floats: what Python rounds and weighs (``_figures``).
            cast(func.avg(col(o.stars)), Float).label("average_stars"),
            cast(func.cast(on_time, Integer) * 1.0 / func.nullif(completed, 0), Float).label("on_time_share"),
        )
        .where(*conditions)
        .group_by(col(o.assignee_id))
        .subquery()
    )
    earned = (
        select(col(PointEntry.account_id), func.sum(_POINTS).label("points"))
        .where(_EARNED_AT >= _moment("start"), _EARNED_AT < _moment("end"))
        .group_by(col(PointEntry.account_id))
        .subquery()
    )
    statement = (
        select(orders, func.coalesce(earned.c.points, 0).label("points"))
        .outerjoin(earned, earned.c.account_id == orders.c.account_id)
        .order_by(orders.c.account_id)
    )
    return PreparedQuery(statement)


async def pioneers(
    *,
    lane: FastLane,
    principal: Principal,
    year: int | None,
    community_code: str | None,
    grid_code: str | None,
    account_id: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Per taker in the caller's scope for a year: orders taken, completed, average stars, on-time
    share, points and the pioneer index, best first; as ``PioneerPage``'s fields."""
    year = year or datetime.now(CHINA).year
    _, start, end = period_bounds(str(year), datetime.now(CHINA))
    scope, values = access.board_scope_of(principal)
    given = {"community_code": community_code, "grid_code": grid_code, "account_id": account_id}
    filters = tuple(name for name, value in given.items() if value)
    values.update({name: given[name] for name in filters}, start=start, end=end)
    items = []
    for row in await lane.fetch_prepared(_pioneers_query(scope, filters), values):
        average, share, index = _figures(row["average_stars"], row["on_time_share"], row["taken"])
        items.append(
            {
                "account_id": row["account_id"],
                "name": row["name"],
                "year": year,
                "taken": row["taken"],
                "completed": row["completed"],
                "average_stars": average,
                "on_time_share": share,
                "points": row["points"],
                "pioneer_index": index,
            }
        )
    items.sort(key=lambda p: (-p["pioneer_index"], -p["points"], p["account_id"]))
    return {"year": year, "items": items[:limit]}


async def stats(
    *, session: AsyncSession, principal: Principal, group_by: str, since: datetime | None, until: datetime | None
) -> PointsStats:
    """Points credited per place and month (China time), in the street or community overseen."""
    place = place_column(
        group_by,
        street=col(PointEntry.street_code),
        community=col(PointEntry.community_code),
        grid=col(PointEntry.grid_code),
    )
    month = sql_month(col(PointEntry.earned_at))
    conditions, _ = area_conditions(
        principal, street=col(PointEntry.street_code), community=col(PointEntry.community_code)
    )
    statement = select(
        place,
        month,
        func.sum(col(PointEntry.points)),
        func.count(func.distinct(col(PointEntry.account_id))),
        func.count(),
    ).where(or_(*conditions) if conditions else false())
    if since is not None:
        statement = statement.where(col(PointEntry.earned_at) >= since)
    if until is not None:
        statement = statement.where(col(PointEntry.earned_at) < until)
    rows = (await session.execute(statement.group_by(place, month).order_by(place, month))).all()
    return PointsStats(
        group_by=group_by,
        items=[
            PointsStatsRow(place_code=code, month=m, points=int(total), earners=earners, credits=credits)
            for code, m, total, earners, credits in rows
        ],
    )
