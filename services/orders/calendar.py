"""A street's working calendar as the case loop counts it: the national calendar (``shared.workcalendar``)
with the street's own hours and days (``street_calendar``, ``calendar_day``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import CalendarDay, StreetCalendar
from shared.workcalendar import CHINA, WorkCalendar, parse_hours

# Days a street's overrides are read around today: a clock that runs longer than this counts the days
# beyond it on the national calendar alone.
WINDOW_DAYS = 400


async def street_terms(session: AsyncSession, street_code: str) -> StreetCalendar:
    """The street's hours and clock limits; the defaults (not stored) when it set none."""
    row = await session.get(StreetCalendar, street_code)
    return row if row is not None else StreetCalendar(street_code=street_code)


async def calendar_of(session: AsyncSession, street_code: str, *, around: date | None = None) -> WorkCalendar:
    """The street's working calendar: its hours and its own days within ``WINDOW_DAYS`` of ``around``."""
    terms = await street_terms(session, street_code)
    middle = around or datetime.now(CHINA).date()
    rows = (
        await session.execute(
            select(col(CalendarDay.day), col(CalendarDay.workday)).where(
                col(CalendarDay.street_code) == street_code,
                col(CalendarDay.day) >= middle - timedelta(days=WINDOW_DAYS),
                col(CalendarDay.day) <= middle + timedelta(days=WINDOW_DAYS),
            )
        )
    ).all()
    return WorkCalendar(hours=parse_hours(terms.hours), overrides={day: workday for day, workday in rows})
