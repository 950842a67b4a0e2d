"""Points (积分): a ledger of credits, leaderboards per grid and community, and the pioneer index
(党员先锋系数) of party members.

A rated order credits its taker ``base × factor(stars)`` once (the ledger's unique key is the
source and the account); totals are always sums over the ledger, never a counter kept aside.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, and_, false, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import PointEntry, ServiceOrder
from services.orders.points import access
from services.orders.points.schemas import (
    Board,
    BoardEntry,
    LedgerEntry,
    MyPoints,
    Pioneer,
    PioneerPage,
    PointsStats,
    PointsStatsRow,
)
from shared.errors import ValidationFailed
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


async def leaderboard(
    *, session: AsyncSession, principal: Principal, level: str, code: str | None, period: str | None, limit: int
) -> Board:
    """Points earned in a month or a year, per account, in a grid or a community."""
    code = code or default_place(principal, level)
    if code is None:
        raise ValidationFailed.on("code", "say which grid or community")
    period, start, end = period_bounds(period, datetime.now(CHINA))
    place = col(PointEntry.grid_code) if level == "grid" else col(PointEntry.community_code)
    total = func.sum(col(PointEntry.points))
    rows = (
        await session.execute(
            select(
                col(PointEntry.account_id),
                func.max(col(PointEntry.account_name)),
                total,
                func.count().filter(col(PointEntry.source) == "order"),
            )
            .where(
                place == code,
                col(PointEntry.earned_at) >= start,
                col(PointEntry.earned_at) < end,
                access.board_scope(principal, community=col(PointEntry.community_code)),
            )
            .group_by(col(PointEntry.account_id))
            .order_by(total.desc(), col(PointEntry.account_id))
            .limit(limit)
        )
    ).all()
    entries: list[BoardEntry] = []
    for account_id, name, points, orders in rows:
        rank = entries[-1].rank if entries and entries[-1].points == points else len(entries) + 1
        entries.append(BoardEntry(rank=rank, account_id=account_id, name=name, points=int(points), orders=orders))
    return Board(level=level, code=code, period=period, items=entries)


async def mine(*, session: AsyncSession, principal: Principal, limit: int = 20) -> MyPoints:
    now = datetime.now(CHINA)
    _, month_start, _ = period_bounds(None, now)
    _, year_start, _ = period_bounds(str(now.year), now)
    mine_only = col(PointEntry.account_id) == principal.sub
    total, month, year = (
        await session.execute(
            select(
                func.coalesce(func.sum(col(PointEntry.points)), 0),
                func.coalesce(func.sum(col(PointEntry.points)).filter(col(PointEntry.earned_at) >= month_start), 0),
                func.coalesce(func.sum(col(PointEntry.points)).filter(col(PointEntry.earned_at) >= year_start), 0),
            ).where(mine_only)
        )
    ).one()
    entries = (
        await session.scalars(
            select(PointEntry)
            .where(mine_only)
            .order_by(col(PointEntry.earned_at).desc(), col(PointEntry.id).desc())
            .limit(limit)
        )
    ).all()
    return MyPoints(
        account_id=principal.sub,
        total=int(total),
        this_month=int(month),
        this_year=int(year),
        entries=[LedgerEntry.model_validate(e, from_attributes=True) for e in entries],
    )


# -- the pioneer index ---------------------------------------------------------------------------


def pioneer_index(average_stars: float | None, on_time_share: float | None, taken: int) -> float:
    stars_part = (average_stars or 0.0) / 5
    on_time_part = on_time_share or 0.0
    volume_part = min(1.0, taken / PIONEER_FULL_YEAR)
    w_stars, w_time, w_volume = PIONEER_WEIGHTS
    return round(100 * (w_stars * stars_part + w_time * on_time_part + w_volume * volume_part), 1)


async def pioneers(
    *,
    session: AsyncSession,
    principal: Principal,
    year: int | None,
    community_code: str | None,
    grid_code: str | None,
    account_id: str | None = None,
    limit: int = 100,
) -> PioneerPage:
    """Per taker in the caller's scope for a year: orders taken, completed, average stars, on-time
    share, points and the pioneer index, best first."""
    year = year or datetime.now(CHINA).year
    _, start, end = period_bounds(str(year), datetime.now(CHINA))
    o = ServiceOrder
    taken = func.count()
    completed = func.count().filter(col(o.completed_at).is_not(None))
    on_time = func.count().filter(col(o.completed_at).is_not(None), col(o.completed_at) <= col(o.finish_due_at))
    conditions = [
        col(o.assignee_id).is_not(None),
        col(o.accepted_at) >= start,
        col(o.accepted_at) < end,
        access.board_scope(principal, community=col(o.community_code)).self_group(),
    ]
    if community_code:
        conditions.append(col(o.community_code) == community_code)
    if grid_code:
        conditions.append(col(o.grid_code) == grid_code)
    if account_id:
        conditions.append(col(o.assignee_id) == account_id)
    orders = (
        select(
            col(o.assignee_id).label("account_id"),
            func.max(col(o.assignee_name)).label("name"),
            taken.label("taken"),
            completed.label("completed"),
            func.avg(col(o.stars)).label("average_stars"),
            (func.cast(on_time, Integer) * 1.0 / func.nullif(completed, 0)).label("on_time_share"),
        )
        .where(*conditions)
        .group_by(col(o.assignee_id))
        .subquery()
    )
    earned = (
        select(col(PointEntry.account_id), func.sum(col(PointEntry.points)).label("points"))
        .where(col(PointEntry.earned_at) >= start, col(PointEntry.earned_at) < end)
        .group_by(col(PointEntry.account_id))
        .subquery()
    )
    rows = (
        await session.execute(
            select(orders, func.coalesce(earned.c.points, 0))
            .outerjoin(earned, and_(earned.c.account_id == orders.c.account_id))
            .order_by(orders.c.account_id)
        )
    ).all()
    items = []
    for row in rows:
        average = float(row.average_stars) if row.average_stars is not None else None
        share = float(row.on_time_share) if row.on_time_share is not None else None
        items.append(
            Pioneer(
                account_id=row.account_id,
                name=row.name,
                year=year,
                taken=row.taken,
                completed=row.completed,
                average_stars=round(average, 2) if average is not None else None,
                on_time_share=round(share, 4) if share is not None else None,
                points=int(row[-1]),
                pioneer_index=pioneer_index(average, share, row.taken),
            )
        )
    items.sort(key=lambda p: (-p.pioneer_index, -p.points, p.account_id))
    return PioneerPage(year=year, items=items[:limit])


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
