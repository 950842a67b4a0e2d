"""The demo's menu and history: every state of the loop is there, points match the ratings, and
loading twice adds nothing."""

from __future__ import annotations

import httpx

from deploy.demo import run_loader
from services.orders.demo import load
from services.orders.models import STATES
from shared.testing import TestKeys
from tests.orders.support import party_member, resident, staff
from tests.support import db


async def test_the_demo_has_every_state_and_loads_once(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await run_loader(load, database_urls["orders"])
    await run_loader(load, database_urls["orders"])
    url = database_urls["orders"]
    states = dict(await db.rows(url, "SELECT state, count(*) FROM service_order GROUP BY state"))
    kinds = dict(await db.rows(url, "SELECT kind, count(*) FROM service_order GROUP BY kind"))
    ledger = await db.value(url, "SELECT count(*) FROM point_entry")
    rated = await db.value(url, "SELECT count(*) FROM service_order WHERE state = 'rated'")
    orphan_steps = await db.value(
        url,
        "SELECT count(*) FROM service_order o WHERE NOT EXISTS (SELECT 1 FROM order_step s WHERE s.order_id = o.id)",
    )
    assert set(states) == set(STATES)  # the service loop's and the case loop's, every one
    assert sum(states.values()) > 360 + 200 and set(kinds) == {"service", "wish", "issue"}
    filed = await db.value(url, "SELECT count(*) FROM service_order WHERE filed_at IS NOT NULL")
    tickets = await db.value(url, "SELECT count(*) FROM hotline_ticket")
    departments = await db.rows(url, "SELECT name FROM department ORDER BY code")
    assert (
        filed > 150
        and tickets > 30
        and [r["name"] for r in departments] == ["示范街道城管执法队", "示范街道市场监管所"]
    )
    assert ledger == rated > 100 and orphan_steps == 0

    menu = (await orders.get("/api/v1/menu", headers=resident(keys))).json()["items"]
    assert {"代办", "上门认证", "义剪", "家电维修", "法律援助", "陪伴"} <= {i["name"] for i in menu if i["allowed"]}
    refused = {i["name"]: i["handled_by"] for i in menu if not i["allowed"]}
    assert refused["开具无犯罪记录证明"] == "户籍地派出所"
    board = (await orders.get("/api/v1/points/leaderboard?period=2026", headers=party_member(keys, 1))).json()
    assert board["items"] and board["items"][0]["rank"] == 1
    assert (await orders.get("/api/v1/orders?limit=100", headers=staff(keys))).json()["next_cursor"] is not None
