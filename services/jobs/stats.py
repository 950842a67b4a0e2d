"""``GET /api/v1/postings/stats``: what street offices ask for (docs/DOMAIN.md), per grid, community or
street and month (China time), as the other services' statistics are shaped (the gateway's
``/api/v1/stats`` combines them): postings opened, applications made and hires, at the posting's place;
training places taken, at the community running the training. Trainings and postings without a grid
count at their community's code when grouped by grid."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access
from services.jobs.models import Application, Enrolment, Posting, Training
from services.jobs.schemas import JobStats, StatsRow
from shared.periods import sql_month
from shared.places import GroupBy
from shared.scope import any_of, place_column
from shared.security import Principal

FIGURES = ("postings", "applications", "hires", "trainees")


def _posting_place(group_by: str) -> Any:
    return place_column(
        group_by,
        street=col(Posting.street_code),
        community=col(Posting.community_code),
        grid=func.coalesce(col(Posting.grid_code), col(Posting.community_code)),
    )


async def report(
    *,
    session: AsyncSession,
    principal: Principal,
    group_by: GroupBy,
    since: datetime | None,
    until: datetime | None,
    community_code: str | None,
) -> JobStats:
    """Figures in the caller's scope (staff: their communities; street admins and integration clients:
    their street), from ``since`` (included) to ``until`` (excluded)."""
    training_place = {
        "grid": col(Training.community_code),
        "community": col(Training.community_code),
        "street": col(Training.street_code),
    }[group_by]

    def counted(at: Any, place: Any, community: Any, street: Any, shape: Callable[[Any], Any], *where: Any) -> Any:
        statement = shape(select(place.label("place_code"), sql_month(at).label("month"), func.count())).where(
            at.is_not(None), access.any_condition(access.area(principal, community=community, street=street)), *where
        )
        if since is not None:
            statement = statement.where(at >= since)
        if until is not None:
            statement = statement.where(at < until)
        if community_code:
            statement = statement.where(community == community_code)
        return statement.group_by(literal_column("place_code"), literal_column("month"))

    def postings(s: Any) -> Any:
        return s.select_from(Posting)

    def applications(s: Any) -> Any:
        return s.select_from(Application).join(Posting, col(Posting.id) == col(Application.posting_id))

    def enrolments(s: Any) -> Any:
        return s.select_from(Enrolment).join(Training, col(Training.id) == col(Enrolment.training_id))

    place = _posting_place(group_by)
    area = (col(Posting.community_code), col(Posting.street_code))
    queries = {
        "postings": counted(col(Posting.opened_at), place, *area, postings),
        "applications": counted(col(Application.created_at), place, *area, applications),
        "hires": counted(col(Application.hired_at), place, *area, applications),
        "trainees": counted(
            col(Enrolment.created_at),
            training_place,
            col(Training.community_code),
            col(Training.street_code),
            enrolments,
            any_of(col(Enrolment.state), ("enrolled", "completed")),
        ),
    }
    table: dict[tuple[str, str], dict[str, int]] = {}
    for figure, statement in queries.items():
        for code, month, count in (await session.execute(statement)).all():
            table.setdefault((code, month), {})[figure] = count
    return JobStats(
        group_by=group_by,
        items=[
            StatsRow(place_code=code, month=month, **{f: counts.get(f, 0) for f in FIGURES})
            for (code, month), counts in sorted(table.items())
        ],
    )
