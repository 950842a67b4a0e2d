"""The red-property joint meeting (联席会议): the community's party organisation, the property company
and its party branch, the owners' committee and others around one table; the problems they dealt
with, each an ``issue`` order of the orders service (checked there with the caller's token), what
they decided, and the count of problems solved per year."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, extract, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life
from services.grids.clients import CompoundFact, OrderFact
from services.grids.models import JointMeeting, MeetingProblem, outbox_event
from services.grids.property import access
from services.grids.property.schemas import (
    MeetingCreate,
    MeetingPublic,
    ProblemIn,
    ProblemPublic,
    PropertyStats,
    PropertyYear,
)
from shared import outbox
from shared.errors import NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.security import Principal

J = JointMeeting
P = MeetingProblem


def _scope(principal: Principal) -> ColumnElement[bool]:
    return access.scope(principal, J)


async def _public(session: AsyncSession, meeting: JointMeeting) -> MeetingPublic:
    problems = (
        await session.scalars(
            select(P).where(col(P.meeting_id) == meeting.id).order_by(col(P.category), col(P.order_id))
        )
    ).all()
    return MeetingPublic.model_validate(
        {**meeting.model_dump(), "problems": [ProblemPublic.model_validate(p, from_attributes=True) for p in problems]}
    )


async def _visible(session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, *, manage: bool = False) -> J:
    statement = select(J).where(col(J.id) == meeting_id, access.managed(principal, J) if manage else _scope(principal))
    meeting = await session.scalar(statement.with_for_update() if manage else statement)
    if meeting is None:
        raise NotFound(f"no joint meeting {meeting_id} in your scope")
    return meeting


async def get(*, session: AsyncSession, principal: Principal, meeting_id: uuid.UUID) -> MeetingPublic:
    return await _public(session, await _visible(session, principal, meeting_id))


async def list_meetings(
    *,
    session: AsyncSession,
    principal: Principal,
    compound_id: uuid.UUID | None,
    order_id: uuid.UUID | None,
    year: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[MeetingPublic], str | None]:
    """The newest first; by compound, by a problem's order, by year (China time)."""
    statement = select(J).where(_scope(principal))
    if compound_id is not None:
        statement = statement.where(col(J.compound_id) == compound_id)
    if order_id is not None:
        statement = statement.where(col(J.id).in_(select(col(P.meeting_id)).where(col(P.order_id) == order_id)))
    if year is not None:
        start, _ = life.month_bounds(f"{year:04d}-01")
        _, end = life.month_bounds(f"{year:04d}-12")
        statement = statement.where(col(J.held_at) >= start, col(J.held_at) < end)
    if cursor:
        after_at, after_id = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
        statement = statement.where(tuple_(col(J.held_at), col(J.id)) < tuple_(after_at, after_id))
    rows = (await session.scalars(statement.order_by(col(J.held_at).desc(), col(J.id).desc()).limit(limit + 1))).all()
    items, next_cursor = page_of(rows, limit, lambda meeting: (meeting.held_at.isoformat(), meeting.id))
    return [await _public(session, meeting) for meeting in items], next_cursor


def check_orders(
    problems: list[ProblemIn], orders: dict[uuid.UUID, OrderFact | None], community_code: str, field: str = "problems"
) -> None:
    """Each problem an ``issue`` order of the community, as the orders service showed the caller."""
    seen: set[uuid.UUID] = set()
    for index, problem in enumerate(problems):
        where = f"{field}.{index}.order_id" if field == "problems" else "order_id"
        order = orders.get(problem.order_id)
        if order is None:
            raise ValidationFailed.on(where, "no such order in your scope")
        if order.kind != "issue":
            raise ValidationFailed.on(where, "a joint meeting deals with issue orders (问题), not this kind")
        if order.community_code != community_code:
            raise ValidationFailed.on(where, "the order is of another community")
        if problem.order_id in seen:
            raise ValidationFailed.on(where, "the same order twice")
        seen.add(problem.order_id)


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    meeting_in: MeetingCreate,
    compound: CompoundFact | None,
    orders: dict[uuid.UUID, OrderFact | None],
) -> MeetingPublic:
    """``compound`` and ``orders``: what the residents and orders services answered the caller about
    the compound and the orders named."""
    community_code = meeting_in.community_code
    if meeting_in.compound_id is not None:
        place = access.managed_compound(principal, compound)
        community_code = community_code or place.community_code
        if place.community_code != community_code:
            raise ValidationFailed.on("compound_id", "the compound is of another community")
    community = await life.managed_community(session, principal, community_code)
    check_orders(meeting_in.problems, orders, community.code)
    meeting = J(
        **meeting_in.model_dump(exclude={"community_code", "problems"}),
        community_code=community.code,
        street_code=community.street_code,
        compound_name=compound.name if compound is not None and meeting_in.compound_id is not None else None,
        created_by=life.account_of(principal),
    )
    session.add(meeting)
    await session.flush()
    for problem in meeting_in.problems:
        session.add(_problem_row(meeting, problem, orders))
    await session.flush()
    await _emit(session, meeting, "property.meeting_held", problems=[str(p.order_id) for p in meeting_in.problems])
    return await _public(session, meeting)


def _problem_row(meeting: JointMeeting, problem: ProblemIn, orders: dict[uuid.UUID, OrderFact | None]) -> P:
    order = orders[problem.order_id]
    return P(meeting_id=meeting.id, grid_code=order.grid_code if order else None, **problem.model_dump())


async def add_problem(
    *,
    session: AsyncSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    problem: ProblemIn,
    orders: dict[uuid.UUID, OrderFact | None],
) -> tuple[ProblemPublic, bool]:
    """Link one more order to a meeting; False when it was linked already."""
    meeting = await _visible(session, principal, meeting_id, manage=True)
    existing = await session.get(P, (meeting.id, problem.order_id))
    if existing is not None:
        return ProblemPublic.model_validate(existing, from_attributes=True), False
    check_orders([problem], orders, meeting.community_code, field="order_id")
    row = _problem_row(meeting, problem, orders)
    session.add(row)
    await session.flush()
    await _emit(session, meeting, "property.problem_linked", order_id=str(problem.order_id))
    return ProblemPublic.model_validate(row, from_attributes=True), True


async def set_solved(
    *, session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, order_id: uuid.UUID, solved_on: Any
) -> ProblemPublic:
    meeting = await _visible(session, principal, meeting_id, manage=True)
    problem = await session.get(P, (meeting.id, order_id))
    if problem is None:
        raise NotFound(f"order {order_id} is not among the meeting's problems")
    problem.solved_on = solved_on
    await session.flush()
    return ProblemPublic.model_validate(problem, from_attributes=True)


async def stats(*, session: AsyncSession, principal: Principal, community_code: str | None) -> PropertyStats:
    """Per year (China time): meetings held, problems dealt with at them, problems solved."""
    held = extract("year", func.timezone(life.CHINA.key, col(J.held_at)))
    conditions = [_scope(principal)]
    if community_code is not None:
        conditions.append(col(J.community_code) == community_code)
    meetings = _by_year(await session.execute(select(held, func.count()).where(*conditions).group_by(held)))
    problems = _by_year(
        await session.execute(
            select(held, func.count())
            .select_from(P)
            .join(J, col(J.id) == col(P.meeting_id))
            .where(*conditions)
            .group_by(held)
        )
    )
    solved_year = extract("year", col(P.solved_on))
    solved = _by_year(
        await session.execute(
            select(solved_year, func.count(func.distinct(col(P.order_id))))
            .select_from(P)
            .join(J, col(J.id) == col(P.meeting_id))
            .where(*conditions, col(P.solved_on).is_not(None))
            .group_by(solved_year)
        )
    )
    years = sorted({*meetings, *problems, *solved})
    return PropertyStats(
        years=[
            PropertyYear(
                year=year,
                meetings=meetings.get(year, 0),
                problems=problems.get(year, 0),
                solved=solved.get(year, 0),
            )
            for year in years
        ]
    )


def _by_year(rows: Any) -> dict[int, int]:
    return {int(year): int(count) for year, count in rows}


async def _emit(session: AsyncSession, meeting: JointMeeting, type: str, **extra: Any) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=type,
        aggregate_id=str(meeting.id),
        payload={
            "meeting_id": str(meeting.id),
            "community_code": meeting.community_code,
            "street_code": meeting.street_code,
            "compound_id": str(meeting.compound_id) if meeting.compound_id else None,
            **extra,
        },
    )
