"""Statistics for staff and street offices: counts by state and kind, medians, ratings, overdue
orders, per grid, community or street and month, in the caller's scope only."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from shared.demo import COMMUNITY, GRIDS, STREET
from shared.periods import CHINA
from shared.testing import TestKeys
from tests.orders.support import add_menu_item, party_member, place, resident, staff, street
from tests.support import db
from tests.support.places import OTHER_STREET_COMMUNITY
from tests.support.problems import assert_problem


async def test_stats_per_grid_and_month(
    orders: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    item = await add_menu_item(orders, keys, points=10)
    done = await place(orders, resident(keys), item["id"])
    url = f"/api/v1/orders/{done['id']}"
    await orders.post(f"{url}/dispatch", json={"mode": "grab"}, headers=staff(keys))
    await orders.post(f"{url}/accept", headers=party_member(keys, 1))
    await orders.post(f"{url}/complete", json={"note": "好"}, headers=party_member(keys, 1))
    await orders.post(f"{url}/rate", json={"stars": 4}, headers=resident(keys))
    await place(orders, resident(keys, "13900000002"), item["id"])  # grid 2, still placed
    await orders.post("/api/v1/orders", json={"kind": "wish", "description": "收音机"}, headers=resident(keys))
    # Make the finished one's steps take known times: 10 minutes to dispatch, 20 to accept, 60 to finish.
    # Three hours ago, but never before this month began in China's time (the figures' months are
    # China's): in the first hours of a month three hours back would be last month's row.
    now = datetime.now(CHINA)
    placed = max(now - timedelta(hours=3), now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    await db.execute(
        database_urls["orders"],
        "UPDATE service_order SET placed_at = $2::timestamptz,"
        " dispatched_at = $2::timestamptz + interval '10 minutes',"
        " accepted_at = $2::timestamptz + interval '30 minutes',"
        " completed_at = $2::timestamptz + interval '90 minutes' WHERE id = $1::uuid",
        done["id"],
        placed,
    )

    by_grid = (await orders.get("/api/v1/orders/stats", headers=staff(keys))).json()
    rows = {row["place_code"]: row for row in by_grid["items"]}
    assert set(rows) == {GRIDS[0], GRIDS[1]}
    first = rows[GRIDS[0]]
    assert first["placed"] == 2 and first["by_state"]["rated"] == 1 and first["by_state"]["placed"] == 1
    assert first["by_kind"] == {"service": 1, "wish": 1, "issue": 0}
    assert (first["median_minutes_to_dispatch"], first["median_minutes_to_accept"]) == (10.0, 20.0)
    assert first["median_minutes_to_finish"] == 60.0 and first["average_rating"] == 4.0 and first["rated"] == 1
    assert first["month"] == now.strftime("%Y-%m")
    assert rows[GRIDS[1]]["placed"] == 1 and rows[GRIDS[1]]["median_minutes_to_dispatch"] is None

    by_street = (await orders.get("/api/v1/orders/stats?group_by=street", headers=street(keys))).json()["items"]
    assert [(r["place_code"], r["placed"]) for r in by_street] == [(STREET, 3)]
    client = keys.machine_token(street_code=STREET, scopes=["stats:read"])
    machine = await orders.get("/api/v1/orders/stats?group_by=community", headers={"Authorization": f"Bearer {client}"})
    assert [(r["place_code"], r["placed"]) for r in machine.json()["items"]] == [(COMMUNITY, 3)]
    elsewhere = keys.headers(roles=["community_staff"], places={"community_staff": [OTHER_STREET_COMMUNITY]})
    assert (await orders.get("/api/v1/orders/stats", headers=elsewhere)).json()["items"] == []
    assert (await orders.get("/api/v1/orders/stats", headers=resident(keys))).status_code == 403
    bad = await orders.get("/api/v1/orders/stats?group_by=household", headers=staff(keys))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "group_by"


async def test_a_period_is_bounded_by_date_times_not_numbers(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    for path in ("/api/v1/orders/stats", "/api/v1/points/stats"):
        for bound in ("until=0.0", "since=1700000000"):
            answer = await orders.get(f"{path}?{bound}", headers=staff(keys))
            assert_problem(answer, 422, bound.split("=")[0])  # not read as a Unix time
        ok = await orders.get(f"{path}?since=2026-01-01T00:00:00%2B08:00", headers=staff(keys))
        assert ok.status_code == 200, ok.text
