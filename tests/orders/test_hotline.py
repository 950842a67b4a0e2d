"""12345 hotline tickets (接诉即办) as the hotline's client and the street meet them: a ticket becomes a
case where its point is, is signed for, returned (the hotline answers), handled round the case loop, its
result fed back by event, its follow-up recorded; the caller's phone never in clear."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.demo import GRIDS, STREET
from shared.testing import TestKeys
from tests.orders.support import account, party_member, staff
from tests.orders.test_cases import class_code, inside, step
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import outbox
from tests.support.people import machine

pytestmark = pytest.mark.usefixtures("roster")

PHONE = "13766661234"


def hotline(keys: TestKeys, street: str = STREET) -> dict[str, str]:
    return machine(keys, ("hotline",), street=street)


def ticket(number: str = "GD20261201000123", **fields: Any) -> dict[str, Any]:
    return (
        {
            "number": number,
            "caller_phone": PHONE,
            "address": "朝阳路与东三环交叉口西南角",
            "content": f"路口早晚高峰有商贩占道摆摊，来电人{PHONE}希望尽快处理",
            "deadline": "2026-12-08T17:30:00+08:00",
        }
        | inside()
        | fields
    )


async def post(orders: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> httpx.Response:
    return await orders.post("/api/v1/hotline/tickets", json=ticket(**fields), headers=hotline(keys))


async def test_a_ticket_becomes_a_case_where_it_is_and_the_caller_phone_is_never_in_clear(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    posted = ok(await post(orders, keys), 201)
    assert posted["grid_code"] == GRIDS[0] and posted["state"] == "placed"
    assert posted["caller_phone_masked"] == "137****1234" and posted["sign_light"] == "green"
    again = ok(await post(orders, keys), 200)
    assert again["order_id"] == posted["order_id"]  # the same number answers the ticket posted before

    case = ok(await orders.get(f"/api/v1/orders/{posted['order_id']}", headers=staff(keys)))
    assert case["channel"] == "hotline" and case["kind"] == "issue" and PHONE not in case["description"]

    dump = await db.rows(database_urls["orders"], "SELECT t::text AS row FROM hotline_ticket t")
    dump += await db.rows(database_urls["orders"], "SELECT o::text AS row FROM service_order o")
    dump += await db.rows(database_urls["orders"], "SELECT e::text AS row FROM outbox_event e")
    dump += await db.rows(database_urls["orders"], "SELECT s::text AS row FROM order_step s")
    assert dump and not any(PHONE in r["row"] for r in dump)
    placed = await outbox(database_urls["orders"], "order.placed")
    assert placed[0].payload["hotline_number"] == "GD20261201000123" and placed[0].payload["channel"] == "hotline"

    other_street = await orders.get(
        "/api/v1/hotline/tickets/GD20261201000123", headers=hotline(keys, street="110105002")
    )
    assert other_street.status_code == 404
    far = await post(orders, keys, number="GD2", lat=31.23, lng=121.47)
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "lat"
    bad = await post(orders, keys, number="GD 3!")
    assert bad.status_code == 422 and "number" in bad.text
    by_person = await orders.post("/api/v1/hotline/tickets", json=ticket(number="GD4"), headers=staff(keys))
    assert by_person.status_code == 403


async def test_signed_returned_refused_handled_fed_back_and_followed_up(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    posted = ok(await post(orders, keys), 201)
    number, order_id = posted["number"], posted["order_id"]
    url = f"/api/v1/hotline/tickets/{number}"

    unsigned = await step(orders, order_id, "verify", staff(keys))
    assert unsigned.status_code == 409  # sign for it first
    assert (await orders.post(f"{url}/sign", headers=hotline(keys))).status_code == 403
    signed = ok(await orders.post(f"{url}/sign", headers=staff(keys)))
    assert signed["signed_at"] is not None and signed["sign_light"] == "none"
    assert (await orders.post(f"{url}/sign", headers=staff(keys))).status_code == 409

    asked = ok(await orders.post(f"{url}/return", json={"reason": "该路口属邻街道管辖"}, headers=staff(keys)))
    assert asked["return_state"] == "requested" and asked["return_count"] == 1
    twice = await orders.post(f"{url}/return", json={"reason": "再退"}, headers=staff(keys))
    assert twice.status_code == 409
    by_staff = await orders.post(f"{url}/return-answer", json={"accepted": True}, headers=staff(keys))
    assert by_staff.status_code == 403
    refused = ok(
        await orders.post(f"{url}/return-answer", json={"accepted": False, "note": "属地管理"}, headers=hotline(keys))
    )
    assert refused["return_state"] == "refused" and refused["state"] == "placed"

    ok(await step(orders, order_id, "verify", staff(keys)))
    code = await class_code(orders, keys, "占道经营")
    ok(await step(orders, order_id, "file", staff(keys), {"class_code": code, "urgency": "urgent"}))
    ok(await step(orders, order_id, "dispatch", staff(keys), {"assignee_id": account("pm1")}))
    early = await orders.post(
        f"{url}/follow-up", json={"resolved": True, "satisfaction": "satisfied"}, headers=hotline(keys)
    )
    assert early.status_code == 409
    ok(await step(orders, order_id, "handle", party_member(keys, 1), {"note": "已清理占道摊点"}))
    ok(await step(orders, order_id, "check", staff(keys), {"passed": True}))
    ok(await step(orders, order_id, "close", staff(keys)))

    results = await outbox(database_urls["orders"], "hotline.result")
    assert len(results) == 1 and results[0].payload["hotline_number"] == number
    assert results[0].payload["result"] == "已清理占道摊点" and results[0].payload["street_code"] == STREET
    every = await outbox(database_urls["orders"])
    assert all(e.payload.get("hotline_number") == number for e in every if e.aggregate_id == order_id)

    followed = ok(
        await orders.post(
            f"{url}/follow-up",
            json={"resolved": True, "satisfaction": "basically_satisfied", "note": "路口已畅通"},
            headers=hotline(keys),
        )
    )
    assert followed["resolved"] is True and followed["satisfaction"] == "basically_satisfied"
    assert followed["result"] == "已清理占道摊点"
    again = await orders.post(
        f"{url}/follow-up", json={"resolved": False, "satisfaction": "dissatisfied"}, headers=hotline(keys)
    )
    assert again.status_code == 409
    timeline = ok(await orders.get(f"/api/v1/orders/{order_id}/timeline", headers=staff(keys)))
    actions = [s["action"] for s in timeline["steps"]]
    assert actions[:4] == ["place", "hotline_sign", "hotline_return", "return_refused"]
    assert actions[-1] == "hotline_follow_up"


async def test_an_accepted_return_ends_the_case(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    posted = ok(await post(orders, keys, number="GD9"), 201)
    url = "/api/v1/hotline/tickets/GD9"
    ok(await orders.post(f"{url}/sign", headers=staff(keys)))
    ok(await orders.post(f"{url}/return", json={"reason": "不属于本街道职责"}, headers=staff(keys)))
    accepted = ok(await orders.post(f"{url}/return-answer", json={"accepted": True}, headers=hotline(keys)))
    assert accepted["return_state"] == "accepted" and accepted["state"] == "refused"
    case = ok(await orders.get(f"/api/v1/orders/{posted['order_id']}", headers=staff(keys)))
    assert case["state"] == "refused" and case["closed_at"] is not None
