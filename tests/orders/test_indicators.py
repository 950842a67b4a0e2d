"""Case indicators (结案率, 按期结案率, 返工率, 准确派遣率, lights, 12345's 响应率/解决率/满意率) of hand-built
cases with known answers, per each of the five groupings and per source, in the caller's scope only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.testing import TestKeys
from tests.orders.support import resident, staff, street
from tests.support.cases import add_case, add_department, add_ticket
from tests.support.people import grid_worker, machine
from tests.support.places import COMMUNITY, GRIDS, NEIGHBOUR_COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY, STREET
from tests.support.problems import assert_problem

URL = "/api/v1/orders/indicators"
HOUR = timedelta(hours=1)


def department_token(keys: TestKeys, code: str) -> dict[str, str]:
    return keys.headers(roles=["department"], places={"department": [code]}, name="城管执法队")


@pytest.fixture
async def cases(database_urls: dict[str, str]) -> dict[str, Any]:
    """Eight cases of the demo community, reported two days ago (one more in its neighbour, one too old,
    one service order that is no case):

    A closed on time, 12345, grid 1, D01, class 0101, 7 h; ticket signed on time, resolved, 基本满意
    B closed on time, visit, grid 1, D01, class 0101, 14 h, dispatched twice and returned once
    C closed late, resident's app, grid 2, D02, class 0102, 21 h, reworked once
    D dispatched (yellow), a grid worker's app, grid 2, D02, class 0102
    E refused filing, 12345, grid 1; ticket signed late, not resolved, 不满意
    F voided, Open311, grid 1
    G placed (red), by phone, grid 2
    H verified (green), 12345, grid 1; ticket not yet signed, not followed up
    """
    url = database_urls["orders"]
    now = datetime.now(UTC)
    d01 = await add_department(url, 1, "城管执法队")
    d02 = await add_department(url, 2, "市场监管所")
    a = await add_case(
        url, state="closed", channel="hotline", placed_by_role="system", department_code=d01, class_code="0101",
        on_time=True, handling_minutes=420,
    )  # fmt: skip
    await add_ticket(url, a, signed=True, resolved=True, satisfaction="basically_satisfied")
    await add_case(
        url, state="closed", channel="visit", department_code=d01, class_code="0101", on_time=True,
        handling_minutes=840, dispatches=2, returns=1,
    )  # fmt: skip
    await add_case(
        url, state="closed", channel="app", placed_by_role="resident", grid=GRIDS[1], department_code=d02,
        class_code="0102", on_time=False, handling_minutes=1260, reworks=1,
    )  # fmt: skip
    await add_case(
        url, state="dispatched", channel="app", placed_by_role="grid_worker", grid=GRIDS[1], department_code=d02,
        class_code="0102", yellow_at=now - HOUR, due_at=now + HOUR,
    )  # fmt: skip
    e = await add_case(url, state="refused", channel="hotline", placed_by_role="system")
    await add_ticket(url, e, signed=True, signed_late=True, resolved=False, satisfaction="dissatisfied")
    await add_case(url, state="voided", channel="open311", placed_by_role="open311")
    await add_case(
        url, state="placed", channel="phone", placed_by_role="community_staff", grid=GRIDS[1],
        yellow_at=now - 2 * HOUR, due_at=now - HOUR,
    )  # fmt: skip
    h = await add_case(
        url, state="verified", channel="hotline", placed_by_role="system", yellow_at=now + HOUR, due_at=now + 2 * HOUR
    )
    await add_ticket(url, h, signed=False)
    # Beside them: the neighbour community's case, placed by proxy; one reported 40 days ago; a service order.
    await add_case(url, state="filed", channel="proxy", grid=f"{NEIGHBOUR_COMMUNITY}001")
    await add_case(url, state="closed", on_time=True, handling_minutes=60, placed_at=now - timedelta(days=40))
    await add_case(url, state="placed", kind="service", channel="app", placed_by_role="resident")
    return {"d01": d01, "d02": d02}


def by_code(answer: httpx.Response) -> dict[str | None, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {row["code"]: row for row in answer.json()["items"]}


async def test_the_communitys_figures_and_their_sources(
    orders: httpx.AsyncClient, keys: TestKeys, cases: dict[str, Any]
) -> None:
    answer = await orders.get(URL, headers=staff(keys))
    body = answer.json()
    assert body["group_by"] == "community"
    until = datetime.fromisoformat(body["until"])
    assert until - datetime.fromisoformat(body["since"]) == timedelta(days=30)  # the last 30 days
    assert abs(until - datetime.now(UTC)) < timedelta(minutes=1)
    rows = by_code(answer)
    assert list(rows) == [COMMUNITY]
    row = rows[COMMUNITY]
    assert row["name"] is None  # communities are known by code only here
    counts = {name: row[name] for name in ("reported", "filed", "refused", "voided", "closed", "closed_on_time")}
    assert counts == {"reported": 8, "filed": 4, "refused": 1, "voided": 1, "closed": 3, "closed_on_time": 2}
    assert (row["handled"], row["reworked"], row["dispatches"], row["returns"]) == (3, 1, 5, 1)
    assert row["closure_rate"] == 0.75 and row["on_time_rate"] == 0.667  # 3 ÷ 4, 2 ÷ 3
    assert row["rework_rate"] == 0.333 and row["accurate_dispatch_rate"] == 0.8  # 1 ÷ 3, 1 − 1 ÷ 5
    assert row["mean_handling_hours"] == 14.0  # (7 + 14 + 21) ÷ 3
    assert row["lights"] == {"green": 1, "yellow": 1, "red": 1}  # H, D, G
    assert row["hotline"] == {
        "tickets": 3,
        "signed_on_time": 1,
        "followed_up": 2,
        "resolved": 1,
        "satisfied": 1,
        "response_rate": 0.333,
        "resolution_rate": 0.5,
        "satisfaction_rate": 0.5,
    }

    sources = row["by_source"]
    assert set(sources) == {"hotline", "open311", "visit", "resident", "grid_worker"}
    assert {source: figures["reported"] for source, figures in sources.items()} == {
        "hotline": 3,  # A, E, H
        "open311": 1,  # F
        "visit": 1,  # B
        "resident": 2,  # C (app), G (phone)
        "grid_worker": 1,  # D (a grid worker in the app)
    }
    hotline = sources["hotline"]
    assert (hotline["filed"], hotline["closed"], hotline["refused"], hotline["closure_rate"]) == (1, 1, 1, 1.0)
    assert hotline["hotline"]["response_rate"] == 0.333 and hotline["lights"] == {"green": 1, "yellow": 0, "red": 0}
    assert sources["visit"]["accurate_dispatch_rate"] == 0.5 and sources["visit"]["mean_handling_hours"] == 14.0
    resident_cases = sources["resident"]
    assert (resident_cases["on_time_rate"], resident_cases["rework_rate"]) == (0.0, 1.0)
    assert resident_cases["lights"]["red"] == 1
    # A rate with nothing to divide by is null, never 0.
    open311 = sources["open311"]
    assert open311["closure_rate"] is None and open311["accurate_dispatch_rate"] is None
    assert open311["mean_handling_hours"] is None and open311["hotline"]["response_rate"] is None


async def test_each_grouping(orders: httpx.AsyncClient, keys: TestKeys, cases: dict[str, Any]) -> None:
    grids = by_code(await orders.get(URL, params={"group_by": "grid"}, headers=staff(keys)))
    assert {code: row["reported"] for code, row in grids.items()} == {GRIDS[0]: 5, GRIDS[1]: 3}
    assert grids[GRIDS[1]]["closure_rate"] == 0.5 and grids[GRIDS[1]]["rework_rate"] == 1.0

    streets = by_code(await orders.get(URL, params={"group_by": "street"}, headers=street(keys)))
    assert {code: row["reported"] for code, row in streets.items()} == {STREET: 9}  # the neighbour's too
    assert streets[STREET]["filed"] == 5 and streets[STREET]["by_source"]["grid_worker"]["reported"] == 2

    departments = await orders.get(URL, params={"group_by": "department"}, headers=staff(keys))
    rows = by_code(departments)
    assert list(rows) == [cases["d01"], cases["d02"], None]  # by code, the cases of no department last
    assert (rows[cases["d01"]]["name"], rows[cases["d02"]]["name"], rows[None]["name"]) == (
        "城管执法队",
        "市场监管所",
        None,
    )
    assert [rows[code]["reported"] for code in rows] == [2, 2, 4]
    assert rows[cases["d01"]]["on_time_rate"] == 1.0 and rows[cases["d01"]]["accurate_dispatch_rate"] == 0.667
    assert rows[cases["d02"]]["closure_rate"] == 0.5 and rows[cases["d02"]]["lights"]["yellow"] == 1

    classes = by_code(await orders.get(URL, params={"group_by": "class"}, headers=staff(keys)))
    assert {code: row["reported"] for code, row in classes.items()} == {"0101": 2, "0102": 2, None: 4}
    assert classes["0101"]["name"] is None and classes["0101"]["mean_handling_hours"] == 10.5


async def test_the_period(orders: httpx.AsyncClient, keys: TestKeys, cases: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    params = {"since": (now - timedelta(days=60)).isoformat(), "until": now.isoformat()}
    rows = by_code(await orders.get(URL, params=params, headers=staff(keys)))
    assert rows[COMMUNITY]["reported"] == 9 and rows[COMMUNITY]["closed"] == 4  # the old one is in
    before = {"until": (now - timedelta(days=3)).isoformat()}
    assert by_code(await orders.get(URL, params=before, headers=staff(keys))) == {}  # 30 days up to 3 days ago
    only_since = by_code(await orders.get(URL, params={"since": params["since"]}, headers=staff(keys)))
    assert only_since[COMMUNITY]["reported"] == 9  # until now
    backwards = await orders.get(URL, params={"since": now.isoformat(), "until": params["since"]}, headers=staff(keys))
    assert_problem(backwards, 422, "until")
    assert_problem(await orders.get(URL, params={"since": "1700000000"}, headers=staff(keys)), 422, "since")
    # Bounds beyond what the database takes are refused, not a 500.
    assert_problem(
        await orders.get(URL, params={"since": "0001-01-01T00:00:00+14:00"}, headers=staff(keys)), 422, "since"
    )
    assert_problem(
        await orders.get(URL, params={"until": "9999-12-31T23:59:59-14:00"}, headers=staff(keys)), 422, "until"
    )
    assert_problem(
        await orders.get(URL, params={"until": "0001-01-02T00:00:00+00:00"}, headers=staff(keys)), 422, "until"
    )
    earliest = {"since": "0001-01-01T00:00:00+00:00", "until": "9999-12-31T00:00:00+00:00"}
    assert by_code(await orders.get(URL, params=earliest, headers=staff(keys)))[COMMUNITY]["reported"] == 9


async def test_scope(orders: httpx.AsyncClient, keys: TestKeys, cases: dict[str, Any]) -> None:
    # Staff of the neighbour community see their one case, not ours; of another street, nothing.
    neighbour = by_code(await orders.get(URL, headers=staff(keys, NEIGHBOUR_COMMUNITY)))
    assert {code: row["reported"] for code, row in neighbour.items()} == {NEIGHBOUR_COMMUNITY: 1}
    assert by_code(await orders.get(URL, headers=staff(keys, OTHER_STREET_COMMUNITY))) == {}
    # A department sees the cases dispatched to it, whatever the grouping.
    d01 = department_token(keys, cases["d01"])
    own = by_code(await orders.get(URL, params={"group_by": "department"}, headers=d01))
    assert list(own) == [cases["d01"]] and own[cases["d01"]]["reported"] == 2
    by_community = by_code(await orders.get(URL, headers=d01))
    assert by_community[COMMUNITY]["reported"] == 2 and by_community[COMMUNITY]["dispatches"] == 3
    # Street offices' systems: their street.
    client = by_code(await orders.get(URL, params={"group_by": "street"}, headers=machine(keys, ("orders:read",))))
    assert client[STREET]["reported"] == 9
    stats_client = machine(keys, ("stats:read",), street=OTHER_STREET)
    assert by_code(await orders.get(URL, headers=stats_client)) == {}
    # Nobody else.
    assert (await orders.get(URL, headers=resident(keys))).status_code == 403
    assert (await orders.get(URL, headers=grid_worker(keys, 1))).status_code == 403
    assert (await orders.get(URL, headers=machine(keys, ("open311",)))).status_code == 403
    assert (await orders.get(URL)).status_code == 401


async def test_bad_grouping(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    assert_problem(await orders.get(URL, params={"group_by": "household"}, headers=staff(keys)), 422, "group_by")
    # The path is the indicators', not an order's id.
    assert (await orders.get(URL, headers=staff(keys))).json()["items"] == []
