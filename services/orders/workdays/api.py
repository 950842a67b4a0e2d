"""HTTP endpoints of a street's working calendar (工作日历): its days, hours and clock limits."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.orders.workdays import service as workdays
from services.orders.workdays.access import Reader, StreetAdmin
from services.orders.workdays.schemas import CalendarPublic, DayPublic, DayUpdate, TermsPublic, TermsUpdate
from shared.db import SessionDep
from shared.errors import problem_responses
from shared.places import STREET_PATTERN

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])

StreetParam = Annotated[
    str | None,
    Query(
        pattern=STREET_PATTERN,
        description="the street (9-digit code); needed only by a caller who works in several streets",
    ),
]
DayParam = Annotated[dt.date, Path(description="the day, YYYY-MM-DD")]


@router.get(
    "",
    response_model=CalendarPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="工作日历 (Read Calendar)",
)
async def read_calendar(
    principal: Reader,
    session: SessionDep,
    since: Annotated[dt.date | None, Query(description="the first day, YYYY-MM-DD; default: today (China)")] = None,
    until: Annotated[
        dt.date | None, Query(description="the last day, YYYY-MM-DD, at most 366 days on; default: 30 days on")
    ] = None,
    street_code: StreetParam = None,
) -> CalendarPublic:
    """The street's working calendar: each day worked or not and why, its working hours and clock limits."""
    return await workdays.read_calendar(
        session=session, principal=principal, since=since, until=until, street_code=street_code
    )


@router.put(
    "/terms",
    response_model=TermsPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="设置工作时间 (Set Calendar Terms)",
)
async def set_calendar_terms(
    terms_in: TermsUpdate, principal: StreetAdmin, session: SessionDep, street_code: StreetParam = None
) -> TermsPublic:
    """Set the street's working hours and the limits of its 吹哨报到 and hotline clocks (street admins)."""
    return await workdays.set_terms(session=session, principal=principal, street_code=street_code, terms_in=terms_in)


@router.put(
    "/{day}",
    response_model=DayPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="设置街道工作日 (Set Calendar Day)",
)
async def set_calendar_day(
    day: DayParam, day_in: DayUpdate, principal: StreetAdmin, session: SessionDep, street_code: StreetParam = None
) -> DayPublic:
    """Make a day of the street a workday or a rest day, whatever the national calendar says (street admins)."""
    return await workdays.set_day(session=session, principal=principal, day=day, street_code=street_code, day_in=day_in)


@router.delete(
    "/{day}",
    response_model=DayPublic,
    responses=problem_responses(401, 403, 404, 422),
    summary="恢复国家日历 (Clear Calendar Day)",
)
async def clear_calendar_day(
    day: DayParam, principal: StreetAdmin, session: SessionDep, street_code: StreetParam = None
) -> DayPublic:
    """The day goes back to the national calendar (street admins)."""
    return await workdays.clear_day(session=session, principal=principal, day=day, street_code=street_code)
