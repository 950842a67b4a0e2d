"""The case indicators (docs/DOMAIN.md "Indicators and the monthly bulletin"): one statement counts the
cases reported in a period per group, and per group and source (GROUPING SETS), with their dispatches,
their hotline tickets and the lights of those still open; the rates are made from those counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from sqlalchemy import ColumnElement, RowMapping, and_, case, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.catalogue.classes import CLASSES
from services.orders.indicators.access import counted
from services.orders.indicators.schemas import (
    CaseFigures,
    CaseSource,
    HotlineFigures,
    IndicatorGroup,
    IndicatorRow,
    Indicators,
    Lights,
)
from services.orders.models import OPEN_STATES, Department, HotlineTicket, OrderStep, ServiceOrder
from shared.errors import ValidationFailed
from shared.security import Principal

Order, Ticket, Step = ServiceOrder, HotlineTicket, OrderStep
SOURCES: tuple[str, ...] = get_args(CaseSource)
DEFAULT_PERIOD = timedelta(days=30)
DISPATCH_ACTIONS = ("dispatch", "reassign")
SATISFIED = ("satisfied", "basically_satisfied")


def source_of() -> Any:
    """A case's source, from its channel, or who placed it."""
    return case(
        (col(Order.channel) == "hotline", "hotline"),
        (col(Order.channel) == "open311", "open311"),
        (col(Order.channel) == "visit", "visit"),
        (or_(col(Order.channel) == "proxy", col(Order.placed_by_role) == "grid_worker"), "grid_worker"),
        else_="resident",
    )


def group_column(group_by: str) -> Any:
    return {
        "grid": col(Order.grid_code),
        "community": col(Order.community_code),
        "street": col(Order.street_code),
        "department": col(Order.department_code),
        "class": col(Order.class_code),
    }[group_by]


def period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """[since, until): until defaults to now, since to 30 days before until."""
    field = "since" if until is None else "until"
    until = until or datetime.now(UTC)
    try:
        since = since or until - DEFAULT_PERIOD
    except OverflowError:
        raise ValidationFailed.on("until", "too early for a period of 30 days before it") from None
    if since >= until:
        raise ValidationFailed.on(field, "since must come before until (default: now)")
    return since, until


@dataclass(frozen=True, slots=True)
class Counts:
    """A group's counts, as the statement answers them; the figures are made from them."""

    reported: int
    filed: int
    refused: int
    voided: int
    closed: int
    closed_on_time: int
    handled: int
    reworked: int
    dispatches: int
    returns: int
    handling_minutes: float | None
    green: int
    yellow: int
    red: int
    tickets: int
    signed_on_time: int
    followed_up: int
    resolved: int
    satisfied: int

    @classmethod
    def of(cls, row: Mapping[str, Any] | RowMapping) -> Counts:
        # PostgreSQL's sum and avg answer numeric (Decimal): the counts as int, the mean as float.
        minutes = row["handling_minutes"]
        return cls(
            **{field.name: int(row[field.name]) for field in fields(cls) if field.name != "handling_minutes"},
            handling_minutes=None if minutes is None else float(minutes),
        )


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole, unrounded; None when whole is zero."""
    return part / whole if whole else None


def accuracy(counts: Counts) -> float | None:
    """准确派遣率, unrounded: 1 − returns ÷ dispatches."""
    returned = ratio(counts.returns, counts.dispatches)
    return None if returned is None else 1 - returned


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def figures(counts: Counts) -> dict[str, Any]:
    """A group's counts and rates (``CaseFigures``' fields)."""
    hours = counts.handling_minutes / 60 if counts.handling_minutes is not None else None
    return {
        "reported": counts.reported,
        "filed": counts.filed,
        "refused": counts.refused,
        "voided": counts.voided,
        "closed": counts.closed,
        "closed_on_time": counts.closed_on_time,
        "handled": counts.handled,
        "reworked": counts.reworked,
        "dispatches": counts.dispatches,
        "returns": counts.returns,
        "closure_rate": rounded(ratio(counts.closed, counts.filed)),
        "on_time_rate": rounded(ratio(counts.closed_on_time, counts.closed)),
        "rework_rate": rounded(ratio(counts.reworked, counts.handled)),
        "accurate_dispatch_rate": rounded(accuracy(counts)),
        "mean_handling_hours": rounded(hours, 2),
        "lights": Lights(green=counts.green, yellow=counts.yellow, red=counts.red),
        "hotline": HotlineFigures(
            tickets=counts.tickets,
            signed_on_time=counts.signed_on_time,
            followed_up=counts.followed_up,
            resolved=counts.resolved,
            satisfied=counts.satisfied,
            response_rate=rounded(ratio(counts.signed_on_time, counts.tickets)),
            resolution_rate=rounded(ratio(counts.resolved, counts.followed_up)),
            satisfaction_rate=rounded(ratio(counts.satisfied, counts.followed_up)),
        ),
    }


NONE = Counts.of({field.name: 0 for field in fields(Counts)} | {"handling_minutes": None})


async def count(
    *,
    session: AsyncSession,
    principal: Principal,
    group_by: str,
    since: datetime,
    until: datetime,
    now: datetime,
) -> list[tuple[str | None, Counts, dict[str, Counts]]]:
    """Per group (by code, null last): its counts, and its counts per source."""
    dispatches = (
        select(func.count())
        .where(col(Step.order_id) == col(Order.id), col(Step.action).in_(DISPATCH_ACTIONS))
        .scalar_subquery()
    )
    open_now = col(Order.state).in_(OPEN_STATES)
    light = case(
        (~open_now, None),
        (col(Order.due_at) < now, "red"),
        (col(Order.yellow_at) <= now, "yellow"),
        else_="green",
    )
    cases = (
        select(
            group_column(group_by).label("code"),
            source_of().label("source"),
            col(Order.state).label("state"),
            col(Order.filed_at).label("filed_at"),
            col(Order.handled_at).label("handled_at"),
            col(Order.closed_on_time).label("closed_on_time"),
            col(Order.rework_count).label("rework_count"),
            col(Order.return_count).label("return_count"),
            col(Order.handling_minutes).label("handling_minutes"),
            light.label("light"),
            dispatches.label("dispatches"),
            col(Ticket.order_id).label("ticket"),
            col(Ticket.signed_at).label("signed_at"),
            col(Ticket.sign_due_at).label("sign_due_at"),
            col(Ticket.followed_up_at).label("followed_up_at"),
            col(Ticket.resolved).label("resolved"),
            col(Ticket.satisfaction).label("satisfaction"),
        )
        .select_from(Order)
        .outerjoin(Ticket, col(Ticket.order_id) == col(Order.id))
        .where(
            col(Order.kind) == "issue",
            col(Order.placed_at) >= since,
            col(Order.placed_at) < until,
            counted(principal),
        )
        .subquery("cases")
    )
    c = cases.c
    followed_up = c.followed_up_at.is_not(None)

    def where(*conditions: ColumnElement[bool]) -> Any:
        return func.count().filter(and_(*conditions))

    statement = select(
        c.code,
        c.source,
        func.grouping(c.source).label("all_sources"),
        func.count().label("reported"),
        where(c.filed_at.is_not(None)).label("filed"),
        where(c.state == "refused").label("refused"),
        where(c.state == "voided").label("voided"),
        where(c.state == "closed").label("closed"),
        where(c.closed_on_time.is_(True)).label("closed_on_time"),
        where(c.handled_at.is_not(None)).label("handled"),
        where(c.rework_count > 0).label("reworked"),
        func.coalesce(func.sum(c.dispatches), 0).label("dispatches"),
        func.coalesce(func.sum(c.return_count), 0).label("returns"),
        func.avg(c.handling_minutes).filter(c.state == "closed").label("handling_minutes"),
        where(c.light == "green").label("green"),
        where(c.light == "yellow").label("yellow"),
        where(c.light == "red").label("red"),
        func.count(c.ticket).label("tickets"),
        where(c.signed_at.is_not(None), or_(c.sign_due_at.is_(None), c.signed_at <= c.sign_due_at)).label(
            "signed_on_time"
        ),
        where(followed_up).label("followed_up"),
        where(followed_up, c.resolved.is_(True)).label("resolved"),
        where(followed_up, c.satisfaction.in_(SATISFIED)).label("satisfied"),
    ).group_by(func.grouping_sets(tuple_(c.code), tuple_(c.code, c.source)))
    statement = statement.order_by(c.code.asc().nulls_last())
    found: dict[str | None, tuple[Counts, dict[str, Counts]]] = {}
    for row in (await session.execute(statement)).mappings():
        counts = Counts.of(row)
        total, by_source = found.setdefault(row["code"], (NONE, {}))
        if row["all_sources"]:
            found[row["code"]] = (counts, by_source)
        else:
            by_source[row["source"]] = counts
    return [(code, total, by_source) for code, (total, by_source) in found.items()]


async def department_names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    statement = select(col(Department.code), col(Department.name)).where(col(Department.code).in_(codes))
    rows = await session.execute(statement)
    return {code: name for code, name in rows}


async def indicators(
    *,
    session: AsyncSession,
    principal: Principal,
    group_by: IndicatorGroup,
    since: datetime | None,
    until: datetime | None,
) -> Indicators:
    since, until = period(since, until)
    now = datetime.now(UTC)
    groups = await count(session=session, principal=principal, group_by=group_by, since=since, until=until, now=now)
    names: dict[str, str] = {}
    if group_by == "department":
        names = await department_names(session, [code for code, _, _ in groups if code is not None])
    elif group_by == "class":
        names = {code: CLASSES[code].name for code, _, _ in groups if code is not None and code in CLASSES}
    items = [
        IndicatorRow(
            code=code,
            name=names.get(code) if code is not None else None,
            **figures(total),
            by_source={source: CaseFigures(**figures(by_source.get(source, NONE))) for source in SOURCES},
        )
        for code, total, by_source in groups
    ]
    return Indicators(group_by=group_by, since=since, until=until, generated_at=now, items=items)
