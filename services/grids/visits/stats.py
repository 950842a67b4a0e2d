"""Visit figures per grid, community or street and month (China time), for staff and street
offices: visits, must-visits (五必访), follow-ups (problems found), households reached, visitors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids.models import Visit
from services.grids.visits.schemas import VisitStats, VisitStatsRow
from shared.periods import sql_month
from shared.places import GroupBy
from shared.scope import place_column, place_scope
from shared.security import Principal


async def visit_stats(
    *, session: AsyncSession, principal: Principal, group_by: GroupBy, since: datetime | None, until: datetime | None
) -> VisitStats:
    place = place_column(
        group_by, street=col(Visit.street_code), community=col(Visit.community_code), grid=col(Visit.grid_code)
    )
    month = sql_month(col(Visit.visited_at))
    scope = place_scope(
        principal, street=col(Visit.street_code), community=col(Visit.community_code), grid=col(Visit.grid_code)
    )
    statement = select(
        place,
        month,
        func.count(),
        func.count().filter(col(Visit.kind) != "routine"),
        func.count().filter(col(Visit.follow_up).is_(True)),
        func.count(func.distinct(col(Visit.household_id))),
        func.count(func.distinct(col(Visit.member_id))),
    ).where(scope)
    if since is not None:
        statement = statement.where(col(Visit.visited_at) >= since)
    if until is not None:
        statement = statement.where(col(Visit.visited_at) < until)
    rows = (await session.execute(statement.group_by(place, month).order_by(place, month))).all()
    return VisitStats(
        group_by=group_by,
        items=[
            VisitStatsRow(
                place_code=code, month=m, visits=n, must_visits=must, follow_ups=follow, households=homes, visitors=who
            )
            for code, m, n, must, follow, homes, who in rows
        ],
    )
