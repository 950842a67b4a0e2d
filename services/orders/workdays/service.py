"""A street's working calendar as its admins keep it and everyone who works cases reads it: each day with
whether it is worked and why, the street's hours and the limits of its own clocks. The case loop counts on
``services/orders/calendar.py`` (``calendar_of``), which reads the same rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.calendar import street_terms
from services.orders.models import CalendarDay, StreetCalendar
from services.orders.workdays import access
from services.orders.workdays.schemas import (
    MAX_DAYS,
    CalendarPublic,
    DayPublic,
    DayUpdate,
    TermsPublic,
    TermsUpdate,
)
from shared.errors import ValidationFailed
from shared.periods import CHINA
from shared.security import Principal
from shared.workcalendar import WorkCalendar, national_known, national_name, national_workday, parse_hours


def today() -> date:
    return datetime.now(CHINA).date()


def _day(day: date, own: CalendarDay | None) -> DayPublic:
    national = national_workday(day)
    return DayPublic(
        day=day,
        weekday=day.isoweekday(),
        workday=national if own is None else own.workday,
        national_workday=national,
        source="national" if own is None else "street",
        note=national_name(day) if own is None else own.note,
    )


def _terms(terms: StreetCalendar, own: bool) -> TermsPublic:
    return TermsPublic(
        street_code=terms.street_code,
        hours=terms.hours,
        minutes_per_day=WorkCalendar(hours=parse_hours(terms.hours)).minutes_per_day(),
        whistle_sign_minutes=terms.whistle_sign_minutes,
        whistle_report_minutes=terms.whistle_report_minutes,
        hotline_sign_minutes=terms.hotline_sign_minutes,
        own=own,
    )


async def read_calendar(
    *, session: AsyncSession, principal: Principal, since: date | None, until: date | None, street_code: str | None
) -> CalendarPublic:
    """The street's days from ``since`` to ``until`` (both included; default: today and the 30 days after),
    with its hours and clock limits."""
    street = access.street_for(principal, street_code)
    since = since or today()
    until = until or min(since, date.max - timedelta(days=30)) + timedelta(days=30)
    if until < since:
        raise ValidationFailed.on("until", "on or after since")
    if (until - since).days + 1 > MAX_DAYS:
        raise ValidationFailed.on("until", f"at most {MAX_DAYS} days from since")
    rows = await session.scalars(
        select(CalendarDay).where(
            col(CalendarDay.street_code) == street, col(CalendarDay.day) >= since, col(CalendarDay.day) <= until
        )
    )
    own = {row.day: row for row in rows}
    dates = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    days = [_day(day, own.get(day)) for day in dates]
    stored = await session.get(StreetCalendar, street)
    terms = _terms(stored or StreetCalendar(street_code=street), own=stored is not None)
    years = sorted({day.day.year for day in days if not national_known(day.day)})
    return CalendarPublic(**terms.model_dump(), unknown_years=years, days=days)


async def set_day(
    *, session: AsyncSession, principal: Principal, day: date, street_code: str | None, day_in: DayUpdate
) -> DayPublic:
    """A street admin makes a day of their street a workday or a rest day, whatever the national calendar says."""
    street = access.street_for(principal, street_code, keep=True)
    values: dict[str, Any] = {
        "street_code": street,
        "day": day,
        "workday": day_in.workday,
        "note": day_in.note,
        "set_by": principal.sub,
        "updated_at": datetime.now(UTC),
    }
    statement = insert(CalendarDay).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["street_code", "day"],
            set_={name: statement.excluded[name] for name in ("workday", "note", "set_by", "updated_at")},
        )
    )
    return _day(day, CalendarDay(**values))


async def clear_day(*, session: AsyncSession, principal: Principal, day: date, street_code: str | None) -> DayPublic:
    """The day goes back to the national calendar."""
    street = access.street_for(principal, street_code, keep=True)
    await session.execute(
        delete(CalendarDay).where(col(CalendarDay.street_code) == street, col(CalendarDay.day) == day)
    )
    return _day(day, None)


async def set_terms(
    *, session: AsyncSession, principal: Principal, street_code: str | None, terms_in: TermsUpdate
) -> TermsPublic:
    """A street admin sets the street's working hours and clock limits (those left out keep their value)."""
    street = access.street_for(principal, street_code, keep=True)
    current = await street_terms(session, street)
    changes = terms_in.model_dump(exclude_none=True)
    values: dict[str, Any] = {
        "street_code": street,
        "hours": current.hours,
        "whistle_sign_minutes": current.whistle_sign_minutes,
        "whistle_report_minutes": current.whistle_report_minutes,
        "hotline_sign_minutes": current.hotline_sign_minutes,
        **changes,
        "updated_at": datetime.now(UTC),
    }
    statement = insert(StreetCalendar).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["street_code"],
            set_={name: statement.excluded[name] for name in values if name != "street_code"},
        )
    )
    # The row in the session's identity map (read above) is stale now.
    session.expire_all()
    return _terms(StreetCalendar(**values), own=True)
