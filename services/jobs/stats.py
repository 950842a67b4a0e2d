"""``GET /api/v1/postings/stats``: what street offices ask for (DOMAIN.md), per community and month:
postings opened, applications made and hires, by the posting's community; training places taken, by
the community running the training. Months are China's (UTC+8), as the offices count them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access
from services.jobs.models import Application, Enrolment, Posting, Training
from services.jobs.schemas import StatsReport, StatsRow
from shared.errors import ValidationFailed
from shared.scope import any_of
from shared.security import Principal

TIME_ZONE = "Asia/Shanghai"
MAX_MONTHS = 36


CHINA = timezone(timedelta(hours=8))  # no daylight saving since 1991


def month_start(month: str, field: str) -> datetime:
    try:
        return datetime.strptime(month, "%Y-%m").replace(tzinfo=CHINA)
    except ValueError as exc:
        raise ValidationFailed.on(field, "a month as YYYY-MM") from exc


def _next_month(day: datetime) -> datetime:
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)


def _month(column: Any) -> Any:
    return func.to_char(func.timezone(literal_column(f"'{TIME_ZONE}'"), column), literal_column("'YYYY-MM'"))


async def report(
    *, session: AsyncSession, principal: Principal, since: str | None, until: str | None, community_code: str | None
) -> StatsReport:
    """Months from ``since`` to ``until`` (both YYYY-MM, included; default the last twelve)."""
    now = datetime.now(UTC)
    last = (
        month_start(until, "until")
        if until
        else now.astimezone(CHINA).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    if since:
        first = month_start(since, "since")
    else:
        index = last.year * 12 + last.month - 1 - 11  # the eleven months before the last one
        first = last.replace(year=index // 12, month=index % 12 + 1)
    if first > last:
        raise ValidationFailed.on("since", "after until")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise ValidationFailed.on("since", f"at most {MAX_MONTHS} months at a time")
    end = _next_month(last)

    def counted(
        kind: str, at: Any, community: Any, street: Any, *where: Any, join: Callable[[Any], Any] | None = None
    ) -> Any:
        statement = select(community, _month(at).label("month"), func.count())
        if join is not None:
            statement = join(statement)
        statement = statement.where(
            at >= first,
            at < end,
            access.any_condition(access.area(principal, community=community, street=street)),
            *where,
        )
        if community_code:
            statement = statement.where(community == community_code)
        return kind, statement.group_by(community, literal_column("month"))

    queries = [
        counted("postings", col(Posting.opened_at), col(Posting.community_code), col(Posting.street_code)),
        counted(
            "applications", col(Application.created_at), col(Application.community_code), col(Application.street_code)
        ),
        counted("hires", col(Application.hired_at), col(Application.community_code), col(Application.street_code)),
        counted(
            "trainees",
            col(Enrolment.created_at),
            col(Training.community_code),
            col(Training.street_code),
            any_of(col(Enrolment.state), ("enrolled", "completed")),
            join=lambda s: s.select_from(Enrolment).join(Training, col(Training.id) == col(Enrolment.training_id)),
        ),
    ]
    table: dict[tuple[str, str], dict[str, int]] = {}
    for kind, statement in queries:
        for community, month, count in (await session.execute(statement)).all():
            table.setdefault((community, month), {})[kind] = count
    return StatsReport(
        items=[
            StatsRow(
                community_code=community,
                month=month,
                **{k: counts.get(k, 0) for k in ("postings", "applications", "hires", "trainees")},
            )
            for (community, month), counts in sorted(table.items())
        ]
    )
