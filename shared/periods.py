"""Months and years as the communities count them: in China's time (UTC+8), whatever the server's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from sqlalchemy import func, literal_column

CHINA = ZoneInfo("Asia/Shanghai")

_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")


def _iso_only(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE_TIME.match(value):
        # pydantic would read "0.0" or "1700000000" as a Unix time: a bound is written as a date-time.
        raise ValueError("an ISO 8601 date-time with its offset, e.g. 2026-11-30T08:00:00+08:00")
    return value


def _in_range(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+14:00 is before year 1 in UTC: the database could not take it.
        raise ValueError("a date-time between the years 1 and 9999 in UTC") from None
    return value


# A period's bound in a query (``since``, ``until``): an ISO 8601 date-time with its offset.
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_in_range)]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month as [start, end) in China's time."""
    start = datetime(year, month, 1, tzinfo=CHINA)
    return start, datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=CHINA)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=CHINA), datetime(year + 1, 1, 1, tzinfo=CHINA)


def sql_month(column: Any) -> Any:
    """``YYYY-MM`` of a timestamp column in China's time, computed by PostgreSQL (statistics by month)."""
    return func.to_char(func.timezone(literal_column(f"'{CHINA.key}'"), column), literal_column("'YYYY-MM'"))
