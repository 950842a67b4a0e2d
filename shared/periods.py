"""Months and years as the communities count them: in China's time (UTC+8), whatever the server's."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column

CHINA = ZoneInfo("Asia/Shanghai")


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month as [start, end) in China's time."""
    start = datetime(year, month, 1, tzinfo=CHINA)
    return start, datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=CHINA)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=CHINA), datetime(year + 1, 1, 1, tzinfo=CHINA)


def sql_month(column: Any) -> Any:
    """``YYYY-MM`` of a timestamp column in China's time, computed by PostgreSQL (statistics by month)."""
    return func.to_char(func.timezone(literal_column(f"'{CHINA.key}'"), column), literal_column("'YYYY-MM'"))
