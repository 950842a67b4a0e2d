"""SLA timers: the tests move the clock, the scheduler marks overdue orders and escalates them grid →
community → street; moving on restarts the clock. Replicas never handle an order twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.orders.orders import sla
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.orders.support import add_menu_item, party_member, place, resident, staff, street
from tests.support.outbox import outbox


async def run_scheduler(app: FastAPI, at: datetime) -> sla.TickResult:
    async with app.state.db.sessionmaker() as session, session.begin():
        return await sla.tick(session, now=at, steps=(0, 1440))


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_an_order_past_its_sla_is_overdue_and_climbs_to_the_street(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory, database_urls: dict[str, str]
) -> None:
    app = await start_app("orders")
    item = await add_menu_item(orders, keys, sla_dispatch_minutes=60)
    order = await place(orders, resident(keys), item["id"])
    due = parse(order["due_at"])
    assert due - parse(order["placed_at"]) == timedelta(minutes=60)

    assert await run_scheduler(app, due - timedelta(seconds=1)) == sla.TickResult()
    assert (await orders.get("/api/v1/orders?overdue=true", headers=staff(keys))).json()["items"] == []

    first = await run_scheduler(app, due + timedelta(minutes=1))
    assert first == sla.TickResult(overdue=1, escalated=1)  # escalated to the community at once (step 0)
    listed = (await orders.get("/api/v1/orders?overdue=true", headers=staff(keys))).json()["items"]
    assert [(o["id"], o["overdue"], o["escalation_level"]) for o in listed] == [(order["id"], True, "community")]
    assert await run_scheduler(app, due + timedelta(hours=2)) == sla.TickResult()  # nothing new until a day on

    later = await run_scheduler(app, due + timedelta(days=1, minutes=1))
    assert later == sla.TickResult(overdue=0, escalated=1)
    at_street = (await orders.get("/api/v1/orders?escalation_level=street", headers=street(keys))).json()["items"]
    assert [o["id"] for o in at_street] == [order["id"]]
    assert await run_scheduler(app, due + timedelta(days=30)) == sla.TickResult()  # the street is the top

    events = await outbox(database_urls["orders"])
    assert [(e.type, e.payload.get("escalation_level")) for e in events] == [
        ("order.placed", "grid"),
        ("order.overdue", "grid"),
        ("order.escalated", "community"),
        ("order.escalated", "street"),
    ]
    timeline = (await orders.get(f"/api/v1/orders/{order['id']}/timeline", headers=staff(keys))).json()["steps"]
    assert [(s["action"], s["actor_role"]) for s in timeline] == [
        ("place", "resident"),
        ("overdue", "system"),
        ("escalate", "system"),
        ("escalate", "system"),
    ]


async def test_moving_on_restarts_the_clock_and_stats_remember_the_overrun(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory
) -> None:
    app = await start_app("orders")
    item = await add_menu_item(orders, keys, sla_dispatch_minutes=30, sla_accept_minutes=120)
    order = await place(orders, resident(keys), item["id"])
    await run_scheduler(app, parse(order["due_at"]) + timedelta(minutes=5))
    dispatched = await orders.post(f"/api/v1/orders/{order['id']}/dispatch", json={"mode": "grab"}, headers=staff(keys))
    body = dispatched.json()
    assert body["overdue"] is False and body["escalation_level"] == "grid" and body["was_overdue"] is True
    assert parse(body["due_at"]) - parse(body["dispatched_at"]) == timedelta(minutes=120)
    assert (await orders.get("/api/v1/orders?overdue=true", headers=staff(keys))).json()["items"] == []
    stats = (await orders.get("/api/v1/orders/stats", headers=staff(keys))).json()["items"]
    assert len(stats) == 1 and stats[0]["overdue"] == 1 and stats[0]["open_overdue"] == 0
    accepted = await orders.post(f"/api/v1/orders/{order['id']}/accept", headers=party_member(keys, 1))
    assert accepted.status_code == 200


async def test_two_replicas_never_handle_the_same_order(
    orders: httpx.AsyncClient, keys: TestKeys, start_app: AppFactory
) -> None:
    app = await start_app("orders")
    item = await add_menu_item(orders, keys, sla_dispatch_minutes=10)
    placed = [await place(orders, resident(keys), item["id"]) for _ in range(30)]
    at = max(parse(o["due_at"]) for o in placed) + timedelta(minutes=1)
    results = await asyncio.gather(*(run_scheduler(app, at) for _ in range(3)))
    assert sum(r.overdue for r in results) == 30
    assert sum(r.escalated for r in results) == 30


@pytest.mark.parametrize("stars, points", [(5, 12), (3, 8), (1, 2)])
async def test_points_weigh_the_stars(orders: httpx.AsyncClient, keys: TestKeys, stars: int, points: int) -> None:
    item = await add_menu_item(orders, keys, points=10)
    order = await place(orders, resident(keys), item["id"])
    await orders.post(f"/api/v1/orders/{order['id']}/dispatch", json={"mode": "grab"}, headers=staff(keys))
    await orders.post(f"/api/v1/orders/{order['id']}/accept", headers=party_member(keys, 1))
    await orders.post(f"/api/v1/orders/{order['id']}/complete", json={"note": "好"}, headers=party_member(keys, 1))
    await orders.post(f"/api/v1/orders/{order['id']}/rate", json={"stars": stars}, headers=resident(keys))
    mine = (await orders.get("/api/v1/points/me", headers=party_member(keys, 1))).json()
    assert mine["total"] == points == mine["this_month"] == mine["this_year"]
    pioneers = (await orders.get("/api/v1/points/pioneers", headers=staff(keys))).json()["items"]
    assert [
        (p["account_id"], p["taken"], p["completed"], p["average_stars"], p["on_time_share"]) for p in pioneers
    ] == [(mine["account_id"], 1, 1, float(stars), 1.0)]
    assert pioneers[0]["pioneer_index"] == round(100 * (0.4 * stars / 5 + 0.4 * 1.0 + 0.2 / 12), 1)
