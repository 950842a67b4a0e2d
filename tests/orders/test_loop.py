"""The closed loop 居民点单、社区派单、党员接单、居民评单 as its people meet it: each step by the right
person from the right state, the timeline, the events, and the taker's points."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from shared.demo import COMMUNITY, GRIDS, demo_uuid
from shared.testing import TestKeys
from tests.orders.support import (
    account,
    add_menu_item,
    grid_worker,
    party_member,
    place,
    resident,
    staff,
)
from tests.support.outbox import outbox
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET_COMMUNITY


async def step(
    orders: httpx.AsyncClient, order_id: str, action: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await orders.post(f"/api/v1/orders/{order_id}/{action}", json=body or {}, headers=headers)


@pytest.mark.usefixtures("roster")
async def test_the_whole_loop_credits_the_taker_and_keeps_every_step(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    item = await add_menu_item(orders, keys, points=10)
    order = await place(orders, resident(keys), item["id"])
    assert order["state"] == "placed" and order["kind"] == "service" and order["channel"] == "app"
    assert order["grid_code"] == GRIDS[0] and order["resident_id"] == str(demo_uuid("resident", "13900000001"))
    assert order["due_at"] is not None and order["overdue"] is False

    dispatched = await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")})
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["state"] == "dispatched" and dispatched.json()["assignee_id"] == account("pm1")

    accepted = await step(orders, order["id"], "accept", party_member(keys, 1))
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    completed = await step(orders, order["id"], "complete", party_member(keys, 1), {"note": "已上门理发"})
    assert completed.status_code == 200 and completed.json()["completion_note"] == "已上门理发"
    rated = await step(orders, order["id"], "rate", resident(keys), {"stars": 5, "comment": "很满意"})
    assert rated.status_code == 200, rated.text
    assert rated.json()["state"] == "rated" and rated.json()["rating"]["stars"] == 5

    mine = await orders.get("/api/v1/points/me", headers=party_member(keys, 1))
    assert mine.json()["total"] == 12 and mine.json()["entries"][0]["source_id"] == order["id"]
    board = await orders.get("/api/v1/points/leaderboard?level=grid", headers=party_member(keys, 2))
    assert [(e["account_id"], e["points"], e["name"]) for e in board.json()["items"]] == [(account("pm1"), 12, "党员1")]

    timeline = (await orders.get(f"/api/v1/orders/{order['id']}/timeline", headers=resident(keys))).json()
    assert [(s["action"], s["actor_role"], s["from_state"], s["to_state"]) for s in timeline["steps"]] == [
        ("place", "resident", None, "placed"),
        ("dispatch", "community_staff", "placed", "dispatched"),
        ("accept", "party_member", "dispatched", "accepted"),
        ("complete", "party_member", "accepted", "completed"),
        ("rate", "resident", "completed", "rated"),
    ]
    assert timeline["steps"][2]["actor_id"] == account("pm1") and timeline["steps"][3]["note"] == "已上门理发"

    events = await outbox(database_urls["orders"])
    assert [e.type for e in events] == [
        "order.placed",
        "order.dispatched",
        "order.accepted",
        "order.completed",
        "order.rated",
    ]
    assert {e.aggregate_id for e in events} == {order["id"]}
    for event in events:  # ids, codes and states: nothing anyone wrote
        assert "已上门理发" not in str(event.payload) and "很满意" not in str(event.payload)


@pytest.mark.usefixtures("roster")
async def test_a_step_from_the_wrong_state_answers_409_with_the_state_and_the_wrong_person_403_or_404(
    orders: httpx.AsyncClient, keys: TestKeys
) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    early = await step(orders, order["id"], "rate", resident(keys), {"stars": 5})
    assert early.status_code == 409 and early.json()["state"] == "placed"
    assert early.headers["content-type"] == "application/problem+json"

    by_resident = await step(orders, order["id"], "dispatch", resident(keys), {"mode": "grab"})
    assert by_resident.status_code == 403
    other_community = await step(
        orders, order["id"], "dispatch", staff(keys, NEIGHBOUR_COMMUNITY), {"assignee_id": account("pm1")}
    )
    assert other_community.status_code == 404

    await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")})
    not_assignee = await step(orders, order["id"], "accept", party_member(keys, 2))
    assert not_assignee.status_code == 404  # pm2 does not see an order assigned to pm1
    assert (await orders.get(f"/api/v1/orders/{order['id']}", headers=party_member(keys, 2))).status_code == 404
    assert (await orders.get(f"/api/v1/orders/{order['id']}", headers=resident(keys, "13900000005"))).status_code == 404
    assert (await orders.get(f"/api/v1/orders/{order['id']}", headers=grid_worker(keys, 2))).status_code == 404
    assert (await orders.get(f"/api/v1/orders/{order['id']}", headers=grid_worker(keys, 1))).status_code == 200

    await step(orders, order["id"], "accept", party_member(keys, 1))
    too_late = await step(orders, order["id"], "cancel", resident(keys))
    assert too_late.status_code == 409 and too_late.json()["state"] == "accepted"
    by_other = await step(orders, order["id"], "complete", grid_worker(keys, 1), {"note": "x"})
    assert by_other.status_code == 403
    await step(orders, order["id"], "complete", party_member(keys, 1), {"note": "好了"})
    not_theirs = await step(orders, order["id"], "rate", party_member(keys, 1), {"stars": 5})
    assert not_theirs.status_code == 403
    assert (await step(orders, order["id"], "rate", resident(keys), {"stars": 4})).status_code == 200
    again = await step(orders, order["id"], "rate", resident(keys), {"stars": 1})
    assert again.status_code == 409 and again.json()["state"] == "rated"


@pytest.mark.usefixtures("roster")
async def test_dispatch_only_to_a_taker_of_the_orders_grid(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    grid_two = await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": account("pm3")})
    assert grid_two.status_code == 422 and grid_two.json()["errors"][0]["field"] == "assignee_id"
    nobody = await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": str(uuid.uuid4())})
    assert nobody.status_code == 422
    shapeless = await step(orders, order["id"], "dispatch", staff(keys), {})
    assert shapeless.status_code == 422
    current = await orders.get(f"/api/v1/orders/{order['id']}", headers=staff(keys))
    assert current.json()["state"] == "placed" and current.json()["assignee_id"] is None


async def test_twenty_party_members_grabbing_at_once_one_wins(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    grabbed = await step(orders, order["id"], "dispatch", staff(keys), {"mode": "grab"})
    assert grabbed.status_code == 200 and grabbed.json()["dispatch_mode"] == "grab"
    takers = [party_member(keys, 200 + n, grid=GRIDS[0]) for n in range(20)]
    pool = await orders.get("/api/v1/orders?grabbable=true", headers=takers[0])
    assert [o["id"] for o in pool.json()["items"]] == [order["id"]]
    answers = await asyncio.gather(*(step(orders, order["id"], "accept", headers) for headers in takers))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 19
    winner = next(a for a in answers if a.status_code == 200).json()["assignee_id"]
    assert all(a.json()["state"] == "accepted" for a in answers if a.status_code == 409)
    final = (await orders.get(f"/api/v1/orders/{order['id']}", headers=staff(keys))).json()
    assert final["assignee_id"] == winner and final["state"] == "accepted"
    # Another grid's party member never saw it in their pool, and cannot take it.
    outsider = party_member(keys, 300, grid=GRIDS[1])
    assert (await orders.get("/api/v1/orders?grabbable=true", headers=outsider)).json()["items"] == []


@pytest.mark.usefixtures("roster")
async def test_decline_puts_the_order_back_and_staff_reassign(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")})
    reassigned = await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": account("pm2")})
    assert reassigned.status_code == 200 and reassigned.json()["assignee_id"] == account("pm2")
    assert (await step(orders, order["id"], "accept", party_member(keys, 1))).status_code == 404
    declined = await step(orders, order["id"], "decline", party_member(keys, 2), {"reason": "这周出差"})
    assert declined.status_code == 200
    assert declined.json()["state"] == "placed" and declined.json()["assignee_id"] is None
    timeline = (await orders.get(f"/api/v1/orders/{order['id']}/timeline", headers=staff(keys))).json()
    assert [s["action"] for s in timeline["steps"]] == ["place", "dispatch", "reassign", "decline"]
    assert timeline["steps"][-1]["note"] == "这周出差"


async def test_cancel_and_reject_close_the_order(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    first = await place(orders, resident(keys), item["id"])
    by_neighbour = await step(orders, first["id"], "cancel", resident(keys, "13900000005"))
    assert by_neighbour.status_code == 404
    cancelled = await step(orders, first["id"], "cancel", resident(keys), {"reason": "不需要了"})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["close_reason"] == "不需要了" and cancelled.json()["due_at"] is None
    second = await place(orders, resident(keys), item["id"])
    rejected = await step(orders, second["id"], "reject", staff(keys), {"reason": "重复下单"})
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    no_reason = await step(orders, second["id"], "reject", staff(keys), {})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"


@pytest.mark.usefixtures("roster")
async def test_a_poor_rating_asks_for_a_return_visit(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys, points=10)
    order = await place(orders, resident(keys), item["id"])
    await step(orders, order["id"], "dispatch", staff(keys), {"assignee_id": account("pm1")})
    await step(orders, order["id"], "accept", party_member(keys, 1))
    await step(orders, order["id"], "complete", party_member(keys, 1), {"note": "好了"})
    rated = await step(orders, order["id"], "rate", resident(keys), {"stars": 2, "comment": "迟到了两个小时"})
    assert rated.json()["needs_return_visit"] is True
    pending = await orders.get("/api/v1/orders?return_visit_pending=true", headers=staff(keys))
    assert [o["id"] for o in pending.json()["items"]] == [order["id"]]
    visit = await step(orders, order["id"], "return-visit", staff(keys), {"note": "已电话回访, 致歉"})
    assert visit.status_code == 200 and visit.json()["return_visit_note"] == "已电话回访, 致歉"
    assert (await step(orders, order["id"], "return-visit", staff(keys), {"note": "again"})).status_code == 409
    pending = await orders.get("/api/v1/orders?return_visit_pending=true", headers=staff(keys))
    assert pending.json()["items"] == []
    mine = await orders.get("/api/v1/points/me", headers=party_member(keys, 1))
    assert mine.json()["total"] == 5  # 10 x 0.5 for two stars


async def test_the_community_must_not_do_answers_422_with_the_office(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    refused = await add_menu_item(
        orders,
        keys,
        name="开具亲属关系证明",
        category="certificate",
        allowed=False,
        refusal_reason="社区不再开具亲属关系证明",
        handled_by="派出所或公证处",
    )
    answer = await orders.post(
        "/api/v1/orders", json={"kind": "service", "menu_item_id": refused["id"]}, headers=resident(keys)
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["errors"][0]["field"] == "menu_item_id" and "派出所或公证处" in problem["errors"][0]["message"]
    assert problem["handled_by"] == "派出所或公证处"
    elsewhere = await orders.post(
        "/api/v1/menu",
        json={"name": "义剪", "category": "haircut", "community_code": NEIGHBOUR_COMMUNITY},
        headers=staff(keys),
    )
    assert elsewhere.status_code == 404
    unknown = await orders.post(
        "/api/v1/orders", json={"kind": "service", "menu_item_id": str(uuid.uuid4())}, headers=resident(keys)
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "menu_item_id"
    assert await outbox(database_urls["orders"]) == []
    listed = await orders.get("/api/v1/orders", headers=staff(keys))
    assert listed.json()["items"] == []


async def test_menu_is_the_callers_community(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    await add_menu_item(orders, keys, name="义剪")
    await add_menu_item(orders, keys, name="代办", category="errand")
    menu = await orders.get("/api/v1/menu", headers=resident(keys))
    assert sorted(i["name"] for i in menu.json()["items"]) == ["义剪", "代办"]
    assert all(i["community_code"] == COMMUNITY for i in menu.json()["items"])
    outsider = keys.headers(roles=["resident"], resident_id=str(uuid.uuid4()), grid_code=f"{OTHER_STREET_COMMUNITY}001")
    assert (await orders.get("/api/v1/menu", headers=outsider)).json()["items"] == []
    duplicate = await orders.post("/api/v1/menu", json={"name": "义剪", "category": "haircut"}, headers=staff(keys))
    assert duplicate.status_code == 409
