"""吹哨报到 as a street meets it: staff call the street's departments to a case; each department signs for
its call and reports, within the street's limits in working time, with a light for each clock; every step on
the case's timeline and in the outbox, ids and codes only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.demo import STREET
from shared.testing import TestKeys
from shared.workcalendar import WorkCalendar, clock, parse_hours
from tests.orders.support import account, add_menu_item, grid_worker, place, resident, staff, street
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import outbox
from tests.support.people import department
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET
from tests.support.problems import assert_problem

pytestmark = pytest.mark.usefixtures("roster")

D01, D02, D03 = f"{STREET}D01", f"{STREET}D02", f"{STREET}D03"


async def a_case(orders: httpx.AsyncClient, keys: TestKeys) -> dict[str, Any]:
    """The street's departments (城管 D01, 市场监管 D02, 燃气 D03 out of service) and an order placed by a resident."""
    for name, kind in (("城管执法队", "urban_management"), ("市场监管所", "market_regulation"), ("燃气公司", "gas")):
        ok(await orders.post("/api/v1/departments", json={"name": name, "kind": kind}, headers=street(keys)), 201)
    ok(await orders.patch(f"/api/v1/departments/{D03}", json={"active": False}, headers=street(keys)))
    item = await add_menu_item(orders, keys)
    return await place(orders, resident(keys), item["id"])


async def whistle(
    orders: httpx.AsyncClient, order_id: str, codes: list[str], by: dict[str, str], note: str | None = "请到场处置"
) -> httpx.Response:
    body = {"department_codes": codes, "note": note}
    return await orders.post(f"/api/v1/orders/{order_id}/whistle", json=body, headers=by)


async def call_step(
    orders: httpx.AsyncClient, order_id: str, call_id: str, step: str, by: dict[str, str], note: str | None = None
) -> httpx.Response:
    return await orders.post(f"/api/v1/orders/{order_id}/calls/{call_id}/{step}", json={"note": note}, headers=by)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_staff_call_departments_whose_clocks_start_at_the_call(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    order = await a_case(orders, keys)
    calls = ok(await whistle(orders, order["id"], [D01, D02, D01], staff(keys)))["items"]
    assert [(c["department_code"], c["department_name"]) for c in calls] == [(D01, "城管执法队"), (D02, "市场监管所")]
    first = calls[0]
    called_at = at(first["called_at"])
    # 签到 within 60 working minutes, 报到 within 1,260 (the defaults), on the national working calendar.
    assert at(first["sign_due_at"]) == clock(WorkCalendar(), called_at, 60)[1]
    assert at(first["report_due_at"]) == clock(WorkCalendar(), called_at, 1260)[1]
    assert first["signed_at"] is None and first["note"] == "请到场处置"
    assert first["called_by"] == account("staff")
    assert first["sign_light"] in ("green", "yellow", "red") and first["report_light"] in ("green", "yellow", "red")

    # Called twice, a department is not called again.
    again = ok(await whistle(orders, order["id"], [D02], street(keys)))["items"]
    assert [c["id"] for c in again] == [c["id"] for c in calls]
    listed = ok(await orders.get(f"/api/v1/orders/{order['id']}/calls", headers=resident(keys)))["items"]
    assert [c["id"] for c in listed] == [c["id"] for c in calls]

    timeline = ok(await orders.get(f"/api/v1/orders/{order['id']}/timeline", headers=staff(keys)))["steps"]
    assert [(s["action"], s["actor_role"], s["from_state"], s["to_state"]) for s in timeline] == [
        ("place", "resident", None, "placed"),
        ("whistle", "community_staff", "placed", "placed"),
    ]
    events = await outbox(database_urls["orders"], "case.whistled")
    assert [e.payload["department_code"] for e in events] == [D01, D02]
    assert events[0].payload == {
        "order_id": order["id"],
        "call_id": first["id"],
        "department_code": D01,
        "state": "placed",
        "call_state": "called",
        "grid_code": order["grid_code"],
        "community_code": order["community_code"],
        "street_code": STREET,
    }
    assert "请到场处置" not in str([e.payload for e in events])


async def test_the_streets_own_limits_and_working_hours_set_the_clocks(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await db.execute(
        database_urls["orders"],
        "INSERT INTO street_calendar (street_code, hours, whistle_sign_minutes, whistle_report_minutes,"
        " hotline_sign_minutes, updated_at) VALUES ($1, '09:00-12:00,13:00-18:00', 30, 480, 60, now())",
        STREET,
    )
    order = await a_case(orders, keys)
    (call,) = ok(await whistle(orders, order["id"], [D01], staff(keys)))["items"]
    calendar = WorkCalendar(hours=parse_hours("09:00-12:00,13:00-18:00"))
    assert at(call["sign_due_at"]) == calendar.add(at(call["called_at"]), 30)
    assert at(call["report_due_at"]) == calendar.add(at(call["called_at"]), 480)


async def test_only_departments_of_the_orders_street_in_service_are_called(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    order = await a_case(orders, keys)
    for codes in ([f"{OTHER_STREET}D01"], [D01, f"{STREET}D09"], [D03]):
        assert_problem(await whistle(orders, order["id"], codes, staff(keys)), 422, "department_codes")
    assert_problem(await whistle(orders, order["id"], ["110105001"], staff(keys)), 422)
    assert_problem(await whistle(orders, order["id"], [], staff(keys)), 422, "department_codes")
    assert ok(await orders.get(f"/api/v1/orders/{order['id']}/calls", headers=staff(keys)))["items"] == []


async def test_only_staff_who_manage_an_open_case_blow_the_whistle(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    order = await a_case(orders, keys)
    assert_problem(await whistle(orders, order["id"], [D01], grid_worker(keys, 1)), 403)
    assert_problem(await whistle(orders, order["id"], [D01], department(keys, D01)), 403)
    assert_problem(await whistle(orders, order["id"], [D01], staff(keys, NEIGHBOUR_COMMUNITY)), 404)
    assert_problem(await whistle(orders, str(uuid.uuid4()), [D01], staff(keys)), 404)

    ok(await orders.post(f"/api/v1/orders/{order['id']}/cancel", json={}, headers=resident(keys)))
    closed = assert_problem(await whistle(orders, order["id"], [D01], staff(keys)), 409)
    assert closed["state"] == "cancelled"


async def test_a_called_department_sees_the_case_signs_and_reports_once_each(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    order = await a_case(orders, keys)
    cg, scjg = department(keys, D01), department(keys, D02)
    assert_problem(await orders.get(f"/api/v1/orders/{order['id']}", headers=cg), 404)
    first, second = ok(await whistle(orders, order["id"], [D01, D02], staff(keys)))["items"]
    # Called, each department sees the case and its calls; another street's department does not.
    assert ok(await orders.get(f"/api/v1/orders/{order['id']}", headers=cg))["id"] == order["id"]
    assert [o["id"] for o in ok(await orders.get("/api/v1/orders", headers=scjg))["items"]] == [order["id"]]
    assert len(ok(await orders.get(f"/api/v1/orders/{order['id']}/calls", headers=cg))["items"]) == 2
    stranger = department(keys, f"{OTHER_STREET}D01")
    assert_problem(await orders.get(f"/api/v1/orders/{order['id']}/calls", headers=stranger), 404)

    # Only the department called answers its call.
    assert_problem(await call_step(orders, order["id"], first["id"], "sign", scjg), 404)
    assert_problem(await call_step(orders, order["id"], first["id"], "sign", staff(keys)), 403)
    assert_problem(await call_step(orders, order["id"], str(uuid.uuid4()), "sign", cg), 404)
    early = assert_problem(await call_step(orders, order["id"], first["id"], "report", cg, "已处置"), 409)
    assert early["call_state"] == "called" and early["state"] == "placed"

    signed = ok(await call_step(orders, order["id"], first["id"], "sign", cg, "已到场"))
    assert signed["signed_by"] and signed["signed_at"] and signed["sign_light"] == "done_on_time"
    twice = assert_problem(await call_step(orders, order["id"], first["id"], "sign", cg), 409)
    assert twice["call_state"] == "signed"
    reported = ok(await call_step(orders, order["id"], first["id"], "report", cg, "已取缔占道经营摊点"))
    assert reported["report"] == "已取缔占道经营摊点" and reported["report_light"] == "done_on_time"
    assert_problem(await call_step(orders, order["id"], first["id"], "report", cg), 409)
    # The other department's call is untouched.
    calls = ok(await orders.get(f"/api/v1/orders/{order['id']}/calls", headers=staff(keys)))["items"]
    assert [c["signed_at"] is not None for c in calls] == [True, False]
    assert calls[1]["id"] == second["id"] and calls[1]["sign_light"] in ("green", "yellow", "red")

    timeline = ok(await orders.get(f"/api/v1/orders/{order['id']}/timeline", headers=cg))["steps"]
    assert [(s["action"], s["actor_role"], s["from_state"], s["to_state"], s["note"]) for s in timeline][1:] == [
        ("whistle", "community_staff", "placed", "placed", "请到场处置"),
        ("call_sign", "department", "placed", "placed", "已到场"),
        ("call_report", "department", "placed", "placed", "已取缔占道经营摊点"),
    ]
    events = [e for e in await outbox(database_urls["orders"]) if e.type.startswith("case.")]
    assert [(e.type, e.payload["department_code"], e.payload["call_state"]) for e in events] == [
        ("case.whistled", D01, "called"),
        ("case.whistled", D02, "called"),
        ("case.call_signed", D01, "signed"),
        ("case.call_reported", D01, "reported"),
    ]
    assert "取缔" not in str([e.payload for e in events])


async def lights_of(orders: httpx.AsyncClient, keys: TestKeys, order_id: str) -> list[tuple[str, str]]:
    calls = ok(await orders.get(f"/api/v1/orders/{order_id}/calls", headers=staff(keys)))["items"]
    return [(c["sign_light"], c["report_light"]) for c in calls]


async def test_each_clock_shows_its_light_and_how_it_ended(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    order = await a_case(orders, keys)
    (call,) = ok(await whistle(orders, order["id"], [D01], staff(keys)))["items"]
    url, now = database_urls["orders"], datetime.now(UTC)

    async def clocks(sign: tuple[timedelta, timedelta], report: tuple[timedelta, timedelta]) -> None:
        """Move the clocks: (yellow, due) of each, from now."""
        await db.execute(
            url,
            "UPDATE case_call SET sign_yellow_at = $1, sign_due_at = $2, report_yellow_at = $3, report_due_at = $4"
            " WHERE id = $5",
            now + sign[0],
            now + sign[1],
            now + report[0],
            now + report[1],
            uuid.UUID(call["id"]),
        )

    hour = timedelta(hours=1)
    await clocks((hour, 2 * hour), (3 * hour, 4 * hour))
    assert await lights_of(orders, keys, order["id"]) == [("green", "green")]
    await clocks((-hour, hour), (hour, 2 * hour))
    assert await lights_of(orders, keys, order["id"]) == [("yellow", "green")]
    await clocks((-2 * hour, -hour), (-hour, hour))
    assert await lights_of(orders, keys, order["id"]) == [("red", "yellow")]

    # Signed after its limit: done late; the report clock runs on, and reported in time it is done on time.
    signed = ok(await call_step(orders, order["id"], call["id"], "sign", department(keys, D01)))
    assert (signed["sign_light"], signed["report_light"]) == ("done_late", "yellow")
    reported = ok(await call_step(orders, order["id"], call["id"], "report", department(keys, D01), "已处置"))
    assert (reported["sign_light"], reported["report_light"]) == ("done_late", "done_on_time")


async def test_a_clock_left_undone_stops_with_the_case(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    order = await a_case(orders, keys)
    ok(await whistle(orders, order["id"], [D01], staff(keys)))
    await db.execute(
        database_urls["orders"],
        "UPDATE case_call SET sign_yellow_at = now() - interval '2 hours', sign_due_at = now() - interval '1 hour'",
    )
    assert await lights_of(orders, keys, order["id"]) == [("red", "green")]
    ok(await orders.post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "不属于本社区"}, headers=staff(keys)))
    assert await lights_of(orders, keys, order["id"]) == [("none", "none")]
