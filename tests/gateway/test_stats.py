"""The street's statistics at the gateway carry the case indicators: the orders service's own answer,
asked with the caller's token (so its scope holds), in the JSON, the CSV and the workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook

from shared.peers import Peers
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.support.cases import add_case
from tests.support.people import grid_worker, machine, street
from tests.support.places import COMMUNITY, NEIGHBOUR_COMMUNITY, OTHER_STREET


@pytest.fixture
async def gateway(start_app: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway, whose statistics reach the orders service in this process (the other services have
    no address here: their parts stay null with a note)."""
    orders_app, gateway_app = await start_app("orders"), await start_app("gateway")
    peers = Peers({"orders": "http://orders.test"}, transports={"orders": httpx.ASGITransport(app=orders_app)})
    usual, gateway_app.state.peers = gateway_app.state.peers, peers
    try:
        transport = httpx.ASGITransport(app=gateway_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield client
    finally:
        gateway_app.state.peers = usual
        await peers.close()


async def test_the_street_statistics_show_the_case_indicators(
    gateway: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    url = database_urls["orders"]
    for on_time in (True, True, False):
        await add_case(url, state="closed", on_time=on_time, handling_minutes=420)
    await add_case(url, state="dispatched")
    await add_case(url, state="closed", on_time=True, handling_minutes=60, grid=f"{NEIGHBOUR_COMMUNITY}001")

    answer = await gateway.get("/api/v1/stats", params={"group_by": "community"}, headers=street(keys))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = {row["code"]: row for row in body["indicators"]["items"]}
    assert set(rows) == {COMMUNITY, NEIGHBOUR_COMMUNITY}
    ours = rows[COMMUNITY]
    assert (ours["reported"], ours["filed"], ours["closed"], ours["closed_on_time"]) == (4, 4, 3, 2)
    assert (ours["closure_rate"], ours["on_time_rate"], ours["mean_handling_hours"]) == (0.75, 0.667, 7.0)
    assert ours["by_source"]["visit"]["reported"] == 4
    assert body["orders"] is not None and body["residents"] is None
    assert any(note.startswith("residents") for note in body["notes"])
    assert not any(note.startswith("indicators") for note in body["notes"])

    # A period passes through: nothing was reported a year ago.
    year_ago = datetime.now(UTC) - timedelta(days=365)
    period = {"since": year_ago.isoformat(), "until": (year_ago + timedelta(days=30)).isoformat()}
    assert (await gateway.get("/api/v1/stats", params=period, headers=street(keys))).json()["indicators"]["items"] == []
    # The orders service applies the caller's scope: another street's client sees none of it.
    elsewhere = machine(keys, ("stats:read",), street=OTHER_STREET)
    assert (await gateway.get("/api/v1/stats", headers=elsewhere)).json()["indicators"]["items"] == []

    exported = await gateway.get("/api/v1/stats", params={"format": "csv"}, headers=street(keys))
    lines = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert ["indicators", COMMUNITY, "", "closure_rate", "0.75"] in lines
    assert ["indicators", COMMUNITY, "", "by_source.visit.closed", "3"] in lines
    workbook = await gateway.get("/api/v1/stats", params={"format": "xlsx"}, headers=street(keys))
    sheet = load_workbook(io.BytesIO(workbook.content), read_only=True)["indicators"]
    header, *values = list(sheet.iter_rows(values_only=True))
    on_time = header.index("on_time_rate")
    assert {row[header.index("code")]: row[on_time] for row in values}[COMMUNITY] == 0.667
    assert (await gateway.get("/api/v1/stats", headers=grid_worker(keys, 1))).status_code == 403
