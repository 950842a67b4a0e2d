"""Working time (工作时间) on the national working calendar: which days are workdays, the hours of a working
day, and how to count a time limit in working minutes.

Workdays are the national ones of the ``chinesecalendar`` package (PyPI ``chinesecalendar``, import
``chinese_calendar``): Monday to Friday, less the public holidays, plus the make-up workdays (调休) the State
Council announces each year. The package is pinned in pyproject.toml and a new release is taken when the
next year's schedule is published (each November); a year it does not know yet is counted Monday to Friday
and logged once. A street may override single days (``overrides``: a day to work or to rest) and its hours.

All times are aware datetimes; the working hours are China time (UTC+8, no daylight saving).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
Period = tuple[time, time]
DEFAULT_HOURS: tuple[Period, ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
# More working days than this with no working minute in between means the calendar is broken (every
# day overridden to rest): stop rather than loop for ever.
MAX_DAYS = 3660


@functools.cache
def _warn_unknown_year(year: int) -> None:
    log.warning("the working calendar does not know %d yet: counting Monday to Friday; update chinesecalendar", year)


def national_workday(day: date) -> bool:
    """Whether the State Council's calendar makes ``day`` a workday (holidays off, 调休 days on)."""
    import chinese_calendar

    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


def national_known(day: date) -> bool:
    """Whether the installed ``chinesecalendar`` knows the State Council's schedule of ``day``'s year."""
    import chinese_calendar

    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def national_name(day: date) -> str | None:
    """The national calendar's word for ``day``: the holiday it belongs to (国庆节), ``<holiday>调休`` for a
    make-up workday (a weekend day worked), None for an ordinary day or a year it does not know."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if name is None:
        return None
    try:
        chinese = str(Holiday(name).chinese)
    except ValueError:
        chinese = str(name)
    return chinese if on_holiday else f"{chinese}调休"


def parse_hours(text: str) -> tuple[Period, ...]:
    """``"08:30-12:00,14:00-17:30"`` as periods; ValueError when malformed, overlapping or out of order."""
    periods: list[Period] = []
    for part in text.split(","):
        start_text, _, end_text = part.strip().partition("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        if not start < end:
            raise ValueError(f"{part.strip()}: a period ends after it starts")
        if periods and not periods[-1][1] <= start:
            raise ValueError(f"{part.strip()}: periods go in order and do not overlap")
        periods.append((start, end))
    if not periods:
        raise ValueError("at least one period")
    return tuple(periods)


def format_hours(periods: Iterable[Period]) -> str:
    return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in periods)


@dataclass(frozen=True)
class WorkCalendar:
    """A street's working time: its hours on a workday and its own days (True: work, False: rest)."""

    hours: tuple[Period, ...] = DEFAULT_HOURS
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        found = self.overrides.get(day)
        return national_workday(day) if found is None else found

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, start, CHINA), datetime.combine(day, end, CHINA)) for start, end in self.hours]

    def minutes_per_day(self) -> int:
        return sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds // 60
            for start, end in self.hours
        )

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` working minutes after ``start`` (``start`` itself when 0 and inside hours;
        else the next working moment carries on)."""
        left = timedelta(minutes=minutes)
        at = start.astimezone(CHINA)
        day = at.date()
        for _ in range(MAX_DAYS):
            for begin, end in self._periods(day):
                if end <= at:
                    continue
                begin = max(begin, at)
                if left <= end - begin:
                    return (begin + left).astimezone(UTC)
                left -= end - begin
            day += timedelta(days=1)
        raise ValueError("no working time in ten years: the calendar rests every day")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        a, b = start.astimezone(CHINA), end.astimezone(CHINA)
        total = timedelta()
        day = a.date()
        while day <= b.date():
            for begin, finish in self._periods(day):
                lo, hi = max(begin, a), min(finish, b)
                if lo < hi:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds() / 60


def light(*, now: datetime, started_at: datetime | None, due_at: datetime | None, yellow_at: datetime | None) -> str:
    """The traffic light of a running clock: red past its limit, yellow from 80 % of it, else green;
    "none" when no clock runs."""
    if due_at is None or started_at is None:
        return "none"
    if now > due_at:
        return "red"
    if yellow_at is not None and now >= yellow_at:
        return "yellow"
    return "green"


YELLOW_SHARE = 0.8


def clock(calendar: WorkCalendar, start: datetime, minutes: float) -> tuple[datetime, datetime]:
    """When a stage of ``minutes`` working minutes begun at ``start`` turns yellow, and when it is due."""
    return calendar.add(start, minutes * YELLOW_SHARE), calendar.add(start, minutes)
