"""What the calendar API takes and answers: a street's days, hours and clock limits."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.orders.catalogue.classes import MAX_MINUTES
from services.orders.schemas import TEXT, Input
from shared.vocabularies import DAY_SOURCES, listed
from shared.workcalendar import format_hours, parse_hours

DaySource = Literal["national", "street"]
# The longest stretch of days one call reads.
MAX_DAYS = 366
# The most periods in a working day (the stored text holds 100 characters: 8 periods of 11 and their commas).
MAX_PERIODS = 8


class DayPublic(BaseModel):
    day: dt.date = Field(description="the day (China time), YYYY-MM-DD")
    weekday: int = Field(description="1 Monday ... 7 Sunday")
    workday: bool = Field(description="whether the street works that day: the case clocks run only on workdays")
    national_workday: bool = Field(description="whether the national calendar makes it a workday (调休 included)")
    source: DaySource = Field(description="whose rule decides the day: " + listed(DAY_SOURCES))
    note: str | None = Field(
        description="the street's note on its own day, or the national holiday (国庆节, 国庆节调休); null: none"
    )


class TermsPublic(BaseModel):
    street_code: str = Field(description="the street (街道), 9-digit code")
    hours: str = Field(description="working hours of a workday, China time, e.g. 08:30-12:00,14:00-17:30")
    minutes_per_day: int = Field(description="working minutes in a workday")
    whistle_sign_minutes: int = Field(description="吹哨报到: working minutes a called department has to sign (签到)")
    whistle_report_minutes: int = Field(description="吹哨报到: working minutes a called department has to report")
    hotline_sign_minutes: int = Field(description="12345: working minutes to sign for a hotline ticket (签收)")
    own: bool = Field(description="true: the street set its own terms; false: the defaults")


class CalendarPublic(TermsPublic):
    unknown_years: list[int] = Field(
        description="years of the range the national calendar does not know yet: counted Monday to Friday"
    )
    days: list[DayPublic] = Field(description="every day from since to until, in order")


class DayUpdate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"workday": True, "note": "防汛值守，周六照常上班"},
                {"workday": False, "note": "街道集中培训"},
            ]
        },
    )

    workday: bool = Field(description="true: the street works that day; false: it rests")
    note: str | None = Field(default=None, max_length=100, pattern=TEXT, description="why; null: no note")


class TermsUpdate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "hours": "08:30-12:00,14:00-17:30",
                    "whistle_sign_minutes": 60,
                    "whistle_report_minutes": 1260,
                    "hotline_sign_minutes": 60,
                }
            ]
        },
    )

    hours: str | None = Field(
        default=None,
        max_length=100,
        description="working hours, China time: periods HH:MM-HH:MM in order, comma-separated; left out: kept",
    )
    whistle_sign_minutes: int | None = Field(
        default=None, ge=1, le=MAX_MINUTES, description="吹哨报到 sign-for limit, working minutes; left out: kept"
    )
    whistle_report_minutes: int | None = Field(
        default=None, ge=1, le=MAX_MINUTES, description="吹哨报到 report limit, working minutes; left out: kept"
    )
    hotline_sign_minutes: int | None = Field(
        default=None, ge=1, le=MAX_MINUTES, description="12345 sign-for limit, working minutes; left out: kept"
    )

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: str | None) -> str | None:
        if hours is None:
            return None
        try:
            periods = parse_hours(hours)
        except ValueError:
            # The parser's own message would quote the input back: say what is wanted instead.
            raise ValueError("periods HH:MM-HH:MM, each ending after it starts, in order, not overlapping") from None
        if len(periods) > MAX_PERIODS:
            raise ValueError(f"at most {MAX_PERIODS} periods")
        return format_hours(periods)
