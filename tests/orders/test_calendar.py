"""The working calendar (工作日历): working minutes on the national calendar (holidays off, 调休 days worked),
hours with a lunch break, a street's own days and hours; the API that shows and keeps them, and what the case
clocks then count (``calendar_of``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.orders.calendar import calendar_of
from shared.testing import TestKeys
from shared.workcalendar import (
    CHINA,
    WorkCalendar,
    clock,
    light,
    national_known,
    national_name,
    national_workday,
    parse_hours,
)
from tests.conftest import AppFactory
from tests.orders.support import grid_worker, staff, street
from tests.support.answers import ok
from tests.support.people import machine
from tests.support.places import OTHER_STREET, STREET
from tests.support.problems import assert_problem


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHINA)


NATIONAL = WorkCalendar()


# -- the calendar itself ------------------------------------------------------------------------------------


@pytest.mark.no_db
def test_national_day_2026_stops_the_clock_and_the_make_up_days_run_it() -> None:
    assert all(not NATIONAL.is_workday(date(2026, 10, day)) for day in range(1, 8))
    assert NATIONAL.is_workday(date(2026, 9, 20)) and date(2026, 9, 20).weekday() == 6  # a Sunday worked
    assert NATIONAL.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5  # a Saturday worked
    assert not NATIONAL.is_workday(date(2026, 10, 11))
    assert national_name(date(2026, 10, 3)) == "国庆节" and national_name(date(2026, 10, 10)) == "国庆节调休"
    start = at(2026, 9, 30, 15, 0)
    # 150 minutes are left of 30 September; the 151st is on 8 October, after the holiday.
    assert NATIONAL.add(start, 150) == at(2026, 9, 30, 17, 30)
    assert NATIONAL.add(start, 151) == at(2026, 10, 8, 8, 31)
    assert NATIONAL.add(start, 420) == at(2026, 10, 8, 15, 0)  # a day's limit (docs/DOMAIN.md)
    # Three more days of 420 minutes: 8, 9 and the make-up Saturday 10 October; then Monday 12 October.
    assert NATIONAL.add(start, 150 + 3 * 420) == at(2026, 10, 10, 17, 30)
    assert NATIONAL.add(start, 150 + 3 * 420 + 1) == at(2026, 10, 12, 8, 31)
    assert NATIONAL.minutes_between(start, at(2026, 10, 12, 8, 31)) == 150 + 3 * 420 + 1
    # 10 working hours: 150 minutes on 30 September, 420 on 8 October, 30 on 9 October; yellow after 480.
    yellow, due = clock(NATIONAL, start, 600)
    assert due == at(2026, 10, 9, 9, 0) and yellow == at(2026, 10, 8, 16, 0)
    assert light(now=at(2026, 10, 5, 12), started_at=start, due_at=due, yellow_at=yellow) == "green"
    assert light(now=at(2026, 10, 8, 16, 30), started_at=start, due_at=due, yellow_at=yellow) == "yellow"
    assert light(now=at(2026, 10, 9, 9, 1), started_at=start, due_at=due, yellow_at=yellow) == "red"
    assert light(now=at(2026, 10, 9, 9, 1), started_at=None, due_at=None, yellow_at=None) == "none"


@pytest.mark.no_db
def test_hours_with_a_lunch_break() -> None:
    monday = (2026, 11, 2)
    assert NATIONAL.add(at(*monday, 11, 30), 60) == at(*monday, 14, 30)  # 30 before noon, 30 after two
    assert NATIONAL.add(at(*monday, 12, 30), 10) == at(*monday, 14, 10)  # started at lunch: counts from two
    assert NATIONAL.add(at(*monday, 7, 0), 0) == at(*monday, 8, 30)
    assert NATIONAL.add(at(*monday, 18, 0), 30) == at(2026, 11, 3, 9, 0)
    assert NATIONAL.minutes_between(at(*monday, 11, 0), at(*monday, 15, 0)) == 120
    assert NATIONAL.minutes_between(at(*monday, 12, 0), at(*monday, 14, 0)) == 0
    assert NATIONAL.minutes_per_day() == 420
    short = WorkCalendar(hours=parse_hours("09:00-12:00, 13:30-17:00"))
    assert short.minutes_per_day() == 390 and short.add(at(*monday, 11, 0), 90) == at(*monday, 14, 0)
    for bad in ("17:00-09:00", "08:00-12:00,11:00-14:00", "14:00-17:00,08:00-12:00", "", "8 to 5"):
        with pytest.raises(ValueError):
            parse_hours(bad)


@pytest.mark.no_db
def test_a_street_works_a_saturday_and_rests_a_monday() -> None:
    saturday, monday = date(2026, 11, 7), date(2026, 11, 9)
    calendar = WorkCalendar(overrides={saturday: True, monday: False})
    assert calendar.is_workday(saturday) and not calendar.is_workday(monday)
    assert calendar.add(at(2026, 11, 6, 17, 0), 60) == at(2026, 11, 7, 9, 0)  # Friday → Saturday
    assert NATIONAL.add(at(2026, 11, 6, 17, 0), 60) == at(2026, 11, 9, 9, 0)  # nationally: Monday
    # From Saturday afternoon: Sunday and the Monday off, Tuesday morning.
    assert calendar.add(at(2026, 11, 7, 17, 0), 60) == at(2026, 11, 10, 9, 0)
    assert calendar.minutes_between(at(2026, 11, 6, 8, 30), at(2026, 11, 10, 17, 30)) == 3 * 420


@pytest.mark.no_db
def test_minutes_between_undoes_add() -> None:
    calendar = WorkCalendar(overrides={date(2026, 11, 7): True, date(2026, 11, 9): False})
    starts = [
        at(2026, 9, 30, 15, 0),
        at(2026, 9, 30, 20, 0),
        at(2026, 10, 3, 10, 0),
        at(2026, 11, 6, 12, 15),
        at(2026, 11, 7, 8, 0),
        at(2026, 12, 31, 17, 0),
    ]
    for cal in (NATIONAL, calendar):
        for start in starts:
            for minutes in (1, 59, 210, 420, 1000, 4321, 20_000):
                end = cal.add(start, minutes)
                assert end > start
                assert cal.minutes_between(start, end) == pytest.approx(minutes), (start, minutes)
    assert NATIONAL.minutes_between(at(2026, 10, 2), at(2026, 10, 1)) == 0


@pytest.mark.no_db
def test_a_year_the_calendar_does_not_know_counts_monday_to_friday(caplog: pytest.LogCaptureFixture) -> None:
    far = date(2099, 1, 1)  # a Thursday, New Year's Day
    assert not national_known(far) and national_known(date(2026, 1, 1))
    assert national_workday(far) is True and national_workday(date(2099, 1, 3)) is False
    assert national_name(far) is None


# -- the API --------------------------------------------------------------------------------------------------


def day_of(calendar: dict[str, Any], day: str) -> dict[str, Any]:
    return next(item for item in calendar["days"] if item["day"] == day)


async def read(orders: httpx.AsyncClient, headers: dict[str, str], since: str, until: str) -> dict[str, Any]:
    return ok(await orders.get("/api/v1/calendar", params={"since": since, "until": until}, headers=headers))


def other_street_admin(keys: TestKeys) -> dict[str, str]:
    return keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [OTHER_STREET]})


async def test_the_calendar_shows_the_national_days_and_the_terms(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    calendar = await read(orders, grid_worker(keys, 1), "2026-09-28", "2026-10-11")
    assert calendar["street_code"] == STREET and len(calendar["days"]) == 14
    assert calendar["hours"] == "08:30-12:00,14:00-17:30" and calendar["minutes_per_day"] == 420
    assert (calendar["whistle_sign_minutes"], calendar["whistle_report_minutes"]) == (60, 1260)
    assert calendar["hotline_sign_minutes"] == 60 and calendar["own"] is False and calendar["unknown_years"] == []
    assert day_of(calendar, "2026-10-01") == {
        "day": "2026-10-01",
        "weekday": 4,
        "workday": False,
        "national_workday": False,
        "source": "national",
        "note": "国庆节",
    }
    assert day_of(calendar, "2026-10-10")["workday"] is True and day_of(calendar, "2026-10-10")["weekday"] == 6
    assert day_of(calendar, "2026-09-30")["workday"] is True and day_of(calendar, "2026-09-30")["note"] is None
    for headers in (staff(keys), street(keys), machine(keys, ("orders:read",)), machine(keys, ("hotline",))):
        ok(await orders.get("/api/v1/calendar", headers=headers))
    future = await read(orders, street(keys), "2099-12-20", "2100-01-10")
    assert future["unknown_years"] == [2099, 2100]


async def test_a_street_overrides_days_and_the_clocks_count_them(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory
) -> None:
    rest = {"workday": False, "note": "街道集中培训"}
    changed = ok(await orders.put("/api/v1/calendar/2026-10-10", json=rest, headers=street(keys)))
    assert changed == {
        "day": "2026-10-10",
        "weekday": 6,
        "workday": False,
        "national_workday": True,
        "source": "street",
        "note": "街道集中培训",
    }
    ok(await orders.put("/api/v1/calendar/2026-10-11", json={"workday": True}, headers=street(keys)))
    mine = await read(orders, grid_worker(keys, 1), "2026-10-09", "2026-10-12")
    assert [d["workday"] for d in mine["days"]] == [True, False, True, True]
    assert [d["source"] for d in mine["days"]] == ["national", "street", "street", "national"]
    theirs = await read(orders, other_street_admin(keys), "2026-10-09", "2026-10-12")
    assert [d["workday"] for d in theirs["days"]] == [True, True, False, True]

    app = await start_app("orders")
    start = at(2026, 10, 9, 17, 0)
    async with app.state.db.sessionmaker() as session:
        counted = await calendar_of(session, STREET, around=date(2026, 10, 1))
        elsewhere = await calendar_of(session, OTHER_STREET, around=date(2026, 10, 1))
    assert not counted.is_workday(date(2026, 10, 10)) and counted.is_workday(date(2026, 10, 11))
    assert counted.add(start, 60) == at(2026, 10, 11, 9, 0)  # Saturday off, Sunday worked
    assert elsewhere.add(start, 60) == at(2026, 10, 10, 9, 0)

    back = ok(await orders.delete("/api/v1/calendar/2026-10-10", headers=street(keys)))
    assert back["source"] == "national" and back["workday"] is True and back["note"] == "国庆节调休"
    again = await read(orders, grid_worker(keys, 1), "2026-10-10", "2026-10-10")
    assert again["days"][0]["workday"] is True and again["days"][0]["source"] == "national"
    async with app.state.db.sessionmaker() as session:
        counted = await calendar_of(session, STREET, around=date(2026, 10, 1))
    assert counted.add(start, 60) == at(2026, 10, 10, 9, 0)


async def test_a_street_sets_its_hours_and_clock_limits(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory
) -> None:
    terms = {"hours": "09:00-12:00, 13:30-17:00", "whistle_sign_minutes": 30, "hotline_sign_minutes": 45}
    answer = ok(await orders.put("/api/v1/calendar/terms", json=terms, headers=street(keys)))
    assert answer == {
        "street_code": STREET,
        "hours": "09:00-12:00,13:30-17:00",
        "minutes_per_day": 390,
        "whistle_sign_minutes": 30,
        "whistle_report_minutes": 1260,
        "hotline_sign_minutes": 45,
        "own": True,
    }
    ok(await orders.put("/api/v1/calendar/terms", json={"whistle_report_minutes": 780}, headers=street(keys)))
    shown = await read(orders, staff(keys), "2026-11-02", "2026-11-02")
    assert shown["hours"] == "09:00-12:00,13:30-17:00" and shown["whistle_report_minutes"] == 780
    assert shown["whistle_sign_minutes"] == 30 and shown["own"] is True
    theirs = await read(orders, other_street_admin(keys), "2026-11-02", "2026-11-02")
    assert theirs["hours"] == "08:30-12:00,14:00-17:30" and theirs["own"] is False
    app = await start_app("orders")
    async with app.state.db.sessionmaker() as session:
        counted = await calendar_of(session, STREET)
    assert counted.add(at(2026, 11, 2, 11, 0), 90) == at(2026, 11, 2, 14, 0)


async def test_only_street_admins_keep_the_calendar(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    for headers in (staff(keys), grid_worker(keys, 1), machine(keys, ("orders:read",))):
        answer = await orders.put("/api/v1/calendar/2026-11-07", json={"workday": True}, headers=headers)
        assert_problem(answer, 403)
        assert_problem(await orders.delete("/api/v1/calendar/2026-11-07", headers=headers), 403)
        assert_problem(await orders.put("/api/v1/calendar/terms", json={"hours": "08:00-12:00"}, headers=headers), 403)
    calendar = await read(orders, staff(keys), "2026-11-07", "2026-11-07")
    assert calendar["days"][0]["workday"] is False and calendar["own"] is False


async def test_bad_calendar_input_is_refused_naming_the_field(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    since = date(2026, 1, 1)
    too_long = {"since": since.isoformat(), "until": (since + timedelta(days=366)).isoformat()}
    assert_problem(await orders.get("/api/v1/calendar", params=too_long, headers=staff(keys)), 422, "until")
    longest = {"since": since.isoformat(), "until": (since + timedelta(days=365)).isoformat()}
    assert len(ok(await orders.get("/api/v1/calendar", params=longest, headers=staff(keys)))["days"]) == 366
    backwards = {"since": "2026-10-10", "until": "2026-10-01"}
    assert_problem(await orders.get("/api/v1/calendar", params=backwards, headers=staff(keys)), 422, "until")
    assert_problem(await orders.get("/api/v1/calendar?since=2026-13-01", headers=staff(keys)), 422, "since")
    last = ok(await orders.get("/api/v1/calendar?since=9999-12-31", headers=staff(keys)))
    assert [day["day"] for day in last["days"]] == ["9999-12-31"] and last["unknown_years"] == [9999]
    assert_problem(
        await orders.put("/api/v1/calendar/2026-02-30", json={"workday": True}, headers=street(keys)), 422, "day"
    )
    assert_problem(
        await orders.put("/api/v1/calendar/2026-11-07", json={"workday": "often"}, headers=street(keys)), 422, "workday"
    )
    assert_problem(
        await orders.put("/api/v1/calendar/2026-11-07", json={"note": "x"}, headers=street(keys)), 422, "workday"
    )
    many = ",".join(f"{hour:02}-{hour:02}:30" for hour in range(9))  # nine periods
    for hours in ("17:00-09:00", "08:00-12:00,11:00-14:00", "all day", many):
        answer = await orders.put("/api/v1/calendar/terms", json={"hours": hours}, headers=street(keys))
        assert hours not in assert_problem(answer, 422, "hours")["errors"][0]["message"]
    answer = await orders.put("/api/v1/calendar/terms", json={"whistle_sign_minutes": 0}, headers=street(keys))
    assert_problem(answer, 422, "whistle_sign_minutes")
    both = keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [STREET, OTHER_STREET]})
    assert_problem(
        await orders.put("/api/v1/calendar/2026-11-07", json={"workday": True}, headers=both), 422, "street_code"
    )
    ok(
        await orders.put(
            f"/api/v1/calendar/2026-11-07?street_code={OTHER_STREET}", json={"workday": True}, headers=both
        )
    )
    assert (await read(orders, other_street_admin(keys), "2026-11-07", "2026-11-07"))["days"][0]["workday"] is True
    assert (await read(orders, street(keys), "2026-11-07", "2026-11-07"))["days"][0]["workday"] is False
