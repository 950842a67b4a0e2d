"""Order statistics for staff and street offices (docs/DOMAIN.md "Numbers that street offices ask for"):
per grid, community or street and month, in China time, computed by PostgreSQL in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, cast, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import KINDS, OPEN_STATES, STATES, ServiceOrder
from services.orders.orders.access import managed
from services.orders.orders.schemas import OrderStats, StatsRow
from shared.periods import sql_month
from shared.scope import any_of, place_column
from shared.security import Principal

Order = ServiceOrder


def _minutes(later: Any, earlier: Any) -> Any:
    return extract("epoch", later - earlier) / 60.0


def _median(expression: Any) -> Any:
    return func.percentile_cont(0.5).within_group(expression)


async def order_stats(
    *,
    session: AsyncSession,
    principal: Principal,
    group_by: str,
    since: datetime | None,
    until: datetime | None,
    community_code: str | None,
    grid_code: str | None,
) -> OrderStats:
    place = place_column(
        group_by, street=col(Order.street_code), community=col(Order.community_code), grid=col(Order.grid_code)
    )
    month = sql_month(col(Order.placed_at))
    columns = [
        place.label("place_code"),
        month.label("month"),
        func.count().label("placed"),
        *(func.count().filter(col(Order.state) == state).label(f"state_{state}") for state in STATES),
        *(func.count().filter(col(Order.kind) == kind).label(f"kind_{kind}") for kind in KINDS),
        _median(_minutes(col(Order.dispatched_at), col(Order.placed_at))).label("dispatch"),
        _median(_minutes(col(Order.accepted_at), col(Order.dispatched_at))).label("accept"),
        _median(_minutes(col(Order.completed_at), col(Order.accepted_at))).label("finish"),
        func.avg(cast(col(Order.stars), Float)).label("rating"),
        func.count(col(Order.stars)).label("rated"),
        func.count().filter(col(Order.was_overdue).is_(True)).label("overdue"),
        func.count()
        .filter(col(Order.overdue_at).is_not(None), any_of(col(Order.state), list(OPEN_STATES)))
        .label("open_overdue"),
        func.count()
        .filter(col(Order.needs_return_visit).is_(True), col(Order.return_visit_note).is_(None))
        .label("return_pending"),
        func.count().filter(col(Order.kind) == "issue").label("issues_found"),
        func.count()
        .filter(col(Order.kind) == "issue", any_of(col(Order.state), ["completed", "rated"]))
        .label("issues_solved"),
    ]
    statement = select(*columns).where(managed(principal))
    if since is not None:
        statement = statement.where(col(Order.placed_at) >= since)
    if until is not None:
        statement = statement.where(col(Order.placed_at) < until)
    if community_code:
        statement = statement.where(col(Order.community_code) == community_code)
    if grid_code:
        statement = statement.where(col(Order.grid_code) == grid_code)
    statement = statement.group_by(place, month).order_by(place, month)
    rows = (await session.execute(statement)).mappings().all()

    def rounded(value: Any, digits: int = 1) -> float | None:
        return round(float(value), digits) if value is not None else None

    return OrderStats(
        group_by=group_by,
        items=[
            StatsRow(
                place_code=row["place_code"],
                month=row["month"],
                placed=row["placed"],
                by_state={state: row[f"state_{state}"] for state in STATES},
                by_kind={kind: row[f"kind_{kind}"] for kind in KINDS},
                median_minutes_to_dispatch=rounded(row["dispatch"]),
                median_minutes_to_accept=rounded(row["accept"]),
                median_minutes_to_finish=rounded(row["finish"]),
                average_rating=rounded(row["rating"], 2),
                rated=row["rated"],
                overdue=row["overdue"],
                open_overdue=row["open_overdue"],
                return_visits_pending=row["return_pending"],
                issues_found=row["issues_found"],
                issues_solved=row["issues_solved"],
            )
            for row in rows
        ],
    )
