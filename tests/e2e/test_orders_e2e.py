"""The orders issue's "done when" through the gateway, with real processes on loopback and the demo
accounts: 居民点单、社区派单、党员接单、居民评单, grab mode with two party members, and a visit's
follow-up arriving as an issue order through the grids service's relay."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared import demo
from shared.demo import GRIDS
from tests.support.live import order_from_the_menu
from tests.support.signin import as_user

# On the shared platform's own databases; under pytest-xdist, in the worker that runs that platform
# (tests/support/scheduling.py).
pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables]


async def test_the_closed_loop_with_the_demo_accounts(gateway: httpx.AsyncClient) -> None:
    resident, staff = await as_user(gateway, "13900000001"), await as_user(gateway, "staff")
    pm1 = await as_user(gateway, "pm1")

    menu = (await gateway.get("/api/v1/menu", headers=resident)).json()["items"]
    haircut = next(item for item in menu if item["name"] == "义剪")
    placed = await gateway.post(
        "/api/v1/orders",
        json={"kind": "service", "menu_item_id": haircut["id"], "description": "奶奶行动不便, 想在家理发"},
        headers=resident | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["state"] == "placed" and order["grid_code"] == GRIDS[0]

    # Staff find pm1 on the roster and dispatch to them.
    found = (await gateway.get("/api/v1/members", params={"q": "党员1", "grid_code": GRIDS[0]}, headers=staff)).json()
    pm1_account = next(m["account_id"] for m in found["items"] if m["name"] == "党员1")
    before = (await gateway.get("/api/v1/points/me", headers=pm1)).json()["total"]
    url = f"/api/v1/orders/{order['id']}"
    dispatched = await gateway.post(f"{url}/dispatch", json={"assignee_id": pm1_account}, headers=staff)
    assert dispatched.status_code == 200, dispatched.text
    assert (await gateway.post(f"{url}/accept", headers=pm1)).json()["state"] == "accepted"
    done = await gateway.post(f"{url}/complete", json={"note": "已上门理发"}, headers=pm1)
    assert done.json()["state"] == "completed"
    rated = await gateway.post(f"{url}/rate", json={"stars": 5, "comment": "谢谢"}, headers=resident)
    assert rated.status_code == 200 and rated.json()["rating"]["stars"] == 5

    after = (await gateway.get("/api/v1/points/me", headers=pm1)).json()
    assert after["total"] == before + round(haircut["points"] * 1.2)
    assert after["entries"][0]["source_id"] == order["id"]
    timeline = (await gateway.get(f"{url}/timeline", headers=resident)).json()["steps"]
    assert [(s["action"], s["to_state"]) for s in timeline] == [
        ("place", "placed"),
        ("dispatch", "dispatched"),
        ("accept", "accepted"),
        ("complete", "completed"),
        ("rate", "rated"),
    ]
    assert timeline[2]["actor_id"] == pm1_account and timeline[2]["actor_name"] == "党员1"
    # Another resident does not see it; a grid-2 party member neither.
    assert (await gateway.get(url, headers=await as_user(gateway, "13900000002"))).status_code == 404
    assert (await gateway.get(url, headers=await as_user(gateway, "pm3"))).status_code == 404


async def test_grab_mode_with_two_party_members(gateway: httpx.AsyncClient) -> None:
    resident, staff = await as_user(gateway, "13900000001"), await as_user(gateway, "staff")
    pm1, pm2 = await as_user(gateway, "pm1"), await as_user(gateway, "pm2")
    order = await order_from_the_menu(gateway, resident, "家电维修")
    url = f"/api/v1/orders/{order['id']}"
    assert (await gateway.post(f"{url}/dispatch", json={"mode": "grab"}, headers=staff)).status_code == 200
    for headers in (pm1, pm2):
        pool = (await gateway.get("/api/v1/orders", params={"grabbable": "true"}, headers=headers)).json()
        assert order["id"] in [o["id"] for o in pool["items"]]
    first, second = await asyncio.gather(
        gateway.post(f"{url}/accept", headers=pm1), gateway.post(f"{url}/accept", headers=pm2)
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["state"] == "accepted" and loser.headers["content-type"] == "application/problem+json"


async def test_a_follow_up_visit_arrives_as_an_issue_order(gateway: httpx.AsyncClient) -> None:
    worker = await as_user(gateway, "gw1")
    visit = {
        "id": str(uuid.uuid4()),
        "household_id": str(demo.households_of_grid(GRIDS[0])[7].id),
        "kind": "accident",
        "visited_at": datetime.now(UTC).isoformat(),
        "notes": "楼道电动车飞线充电, 需处理",
        "follow_up": True,
    }
    started = datetime.now(UTC) - timedelta(seconds=1)
    assert (await gateway.post("/api/v1/visits", json=visit, headers=worker)).status_code == 201
    deadline = time.monotonic() + 15
    while True:
        # the demo's year of cases has visit-made ones too: this one was placed just now
        params: dict[str, str | int] = {"kind": "issue", "limit": 100, "since": started.isoformat()}
        issues = (await gateway.get("/api/v1/orders", params=params, headers=worker)).json()
        mine = [o for o in issues["items"] if o["channel"] == "visit"]
        if mine:
            break
        assert time.monotonic() < deadline, "the follow-up never became an order"
        await asyncio.sleep(0.3)
    order = (await gateway.get(f"/api/v1/orders/{mine[0]['id']}", headers=worker)).json()
    assert order["visit_id"] == visit["id"] and order["state"] == "placed"
