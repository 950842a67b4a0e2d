"""Volunteers who served at an activity earn points in the one ledger, the orders service's: the grids
service's relay delivers ``activity.volunteer_served``, signed, at least once; the orders service
credits once per activity and account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from shared.demo import GRIDS
from shared.events import EVENTS_PATH, signed_headers, signer
from shared.settings import DEVELOPMENT_SECRET
from shared.testing import TestKeys
from tests.conftest import AppFactory, ClientFactory
from tests.grids.life_support import account, party_member, publish, staff
from tests.orders.test_events import relay_for
from tests.support import db

pytestmark = pytest.mark.usefixtures("roster")  # the demo roster, for every test here


async def test_a_volunteer_checked_in_earns_the_activitys_points_once(
    grids: httpx.AsyncClient,
    client_for: ClientFactory,
    keys: TestKeys,
    start_app: AppFactory,
    database_urls: dict[str, str],
) -> None:
    orders = await client_for("orders")
    pm1, pm2 = party_member(keys, 1), party_member(keys, 2)
    assert (await orders.get("/api/v1/points/me", headers=pm1)).json()["total"] == 0
    starts = datetime.now(UTC) + timedelta(minutes=20)
    activity = await publish(
        grids, keys, kind="haircut", title="义剪进社区", points=6,
        starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=3)).isoformat(),
    )  # fmt: skip
    base = f"/api/v1/activities/{activity['id']}"
    signups = [
        (await grids.post(f"{base}/signups", json={"role": "volunteer"}, headers=headers)).json()
        for headers in (pm1, pm2)
    ]
    checked = await grids.post(f"{base}/signups/{signups[0]['id']}/check-in", headers=staff(keys))
    assert checked.status_code == 200

    relay = relay_for(await start_app("grids"), await start_app("orders"), await start_app("gateway"))
    await relay.run_once()
    mine = (await orders.get("/api/v1/points/me", headers=pm1)).json()
    assert mine["total"] == 6 and mine["this_month"] == 6
    assert [(e["source"], e["source_id"], e["points"]) for e in mine["entries"]] == [("activity", activity["id"], 6)]
    # pm2 signed up but was not checked in: nothing.
    assert (await orders.get("/api/v1/points/me", headers=pm2)).json()["total"] == 0

    # Delivered again (a relay that died before recording the delivery): still credited once.
    await db.rows(database_urls["grids"], "UPDATE outbox_event SET delivered_at = NULL")
    assert (await relay.run_once()).delivered >= 1
    assert (await orders.get("/api/v1/points/me", headers=pm1)).json()["total"] == 6
    board = (
        await orders.get("/api/v1/points/leaderboard", params={"level": "grid", "code": GRIDS[0]}, headers=pm1)
    ).json()
    assert [(e["account_id"], e["name"], e["points"]) for e in board["items"]] == [(account("pm1"), "党员1", 6)]
    entries = await db.rows(database_urls["orders"], "SELECT source, grid_code, account_name FROM point_entry")
    assert [(e["source"], e["grid_code"], e["account_name"]) for e in entries] == [("activity", GRIDS[0], "党员1")]


async def test_a_served_event_without_its_facts_is_refused(
    client_for: ClientFactory, database_urls: dict[str, str]
) -> None:
    orders = await client_for("orders")
    event_id = str(uuid.uuid4())
    body = orjson.dumps(
        {
            "id": event_id,
            "type": "activity.volunteer_served",
            "aggregate_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": {"activity_id": str(uuid.uuid4()), "points": 5},
        }
    )
    answer = await orders.post(
        EVENTS_PATH, content=body, headers=signed_headers(signer(DEVELOPMENT_SECRET), event_id, body)
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "payload"
    assert (await db.rows(database_urls["orders"], "SELECT count(*) AS n FROM inbox_event"))[0]["n"] == 0
