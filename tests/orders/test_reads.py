"""The reads on the fast lane (prepared statements, rows straight to JSON): one order reads as the
loop's steps answer it; who sees which orders in the lists, one order and its timeline; the filters
and pages of the list; leaderboards, the pioneer index and menus in the caller's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from shared.demo import COMMUNITY, GRIDS
from shared.testing import TestKeys
from tests.orders.support import account, add_menu_item, grid_worker, party_member, place, resident, staff, street
from tests.support.answers import ok
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET_COMMUNITY


def same_moments(value: Any) -> Any:
    """A JSON value with its date-times as instants: ``...Z`` and ``...+00:00`` are one moment."""
    if isinstance(value, dict):
        return {key: same_moments(item) for key, item in value.items()}
    if isinstance(value, list):
        return [same_moments(item) for item in value]
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


async def step(orders: httpx.AsyncClient, order_id: str, action: str, headers: dict[str, str], **body: Any) -> Any:
    return ok(await orders.post(f"/api/v1/orders/{order_id}/{action}", json=body, headers=headers))


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_one_order_reads_as_the_loop_answers_it(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys, points=10)
    placed = await place(orders, resident(keys), item["id"])
    answers = [placed]
    answers.append(await step(orders, placed["id"], "dispatch", staff(keys), mode="grab"))
    answers.append(await step(orders, placed["id"], "accept", party_member(keys, 1)))
    answers.append(await step(orders, placed["id"], "complete", party_member(keys, 1), note="理好了"))
    answers.append(await step(orders, placed["id"], "rate", resident(keys), stars=2, comment="晚了"))
    answers.append(await step(orders, placed["id"], "return-visit", staff(keys), note="已回访"))
    read = ok(await orders.get(f"/api/v1/orders/{placed['id']}", headers=resident(keys)))
    assert same_moments(read) == same_moments(answers[-1])
    assert read["rating"]["stars"] == 2 and read["rating"]["comment"] == "晚了" and read["assignee_name"] == "党员1"
    summary = ids(await orders.get("/api/v1/orders", headers=staff(keys)))
    assert summary == [placed["id"]]
    listed = (await orders.get("/api/v1/orders", headers=staff(keys))).json()["items"][0]
    assert same_moments(listed) == {key: same_moments(read)[key] for key in listed}

    timeline = ok(await orders.get(f"/api/v1/orders/{placed['id']}/timeline", headers=party_member(keys, 1)))
    assert timeline["order_id"] == placed["id"]
    assert [(s["action"], s["actor_id"], s["from_state"], s["to_state"]) for s in timeline["steps"]] == [
        ("place", account("13900000001"), None, "placed"),
        ("dispatch", account("staff"), "placed", "dispatched"),
        ("accept", account("pm1"), "dispatched", "accepted"),
        ("complete", account("pm1"), "accepted", "completed"),
        ("rate", account("13900000001"), "completed", "rated"),
        ("return_visit", account("staff"), "rated", "rated"),
    ]
    assert timeline["steps"][2]["actor_name"] == "党员1" and timeline["steps"][3]["note"] == "理好了"
    assert all(s["photo_ids"] == [] for s in timeline["steps"])
    assert datetime.fromisoformat(timeline["steps"][0]["at"]) == datetime.fromisoformat(placed["placed_at"])


async def test_who_sees_which_orders(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    pooled = await place(orders, resident(keys), item["id"])  # grid 1, open to its party members
    await step(orders, pooled["id"], "dispatch", staff(keys), mode="grab")
    neighbours = await place(orders, resident(keys, "13900000005"), item["id"])  # grid 1, not dispatched
    elsewhere = await place(orders, resident(keys, "13900000002"), item["id"])  # grid 2
    everything = {pooled["id"], neighbours["id"], elsewhere["id"]}

    seen = {
        "resident": resident(keys),
        "neighbour": resident(keys, "13900000005"),
        "grid 1's worker": grid_worker(keys, 1),
        "grid 2's worker": grid_worker(keys, 2),
        "grid 1's party member": party_member(keys, 2),
        "grid 2's party member": party_member(keys, 3),
        "staff": staff(keys),
        "another community's staff": staff(keys, NEIGHBOUR_COMMUNITY),
        "the street": street(keys),
    }
    expected = {
        "resident": {pooled["id"]},
        "neighbour": {neighbours["id"]},
        "grid 1's worker": {pooled["id"], neighbours["id"]},
        "grid 2's worker": {elsewhere["id"]},
        "grid 1's party member": {pooled["id"]},
        "grid 2's party member": set(),
        "staff": everything,
        "another community's staff": set(),
        "the street": everything,
    }
    for who, headers in seen.items():
        assert set(ids(await orders.get("/api/v1/orders", headers=headers))) == expected[who], who
        for order_id in everything:
            one = await orders.get(f"/api/v1/orders/{order_id}", headers=headers)
            timeline = await orders.get(f"/api/v1/orders/{order_id}/timeline", headers=headers)
            status = 200 if order_id in expected[who] else 404
            assert (one.status_code, timeline.status_code) == (status, status), (who, order_id)
            assert status == 404 or len(timeline.json()["steps"]) >= 1

    # The grab pool: grid 1's party members, open orders of a kind they take.
    assert ids(await orders.get("/api/v1/orders?grabbable=true", headers=party_member(keys, 2))) == [pooled["id"]]
    assert ids(await orders.get("/api/v1/orders?grabbable=true", headers=party_member(keys, 3))) == []
    assert ids(await orders.get("/api/v1/orders?grabbable=true", headers=grid_worker(keys, 1))) == []
    # Taken: the taker keeps seeing it (theirs), the other party members see who was faster.
    await step(orders, pooled["id"], "accept", party_member(keys, 1))
    assert ids(await orders.get("/api/v1/orders?mine=true", headers=party_member(keys, 1))) == [pooled["id"]]
    assert ids(await orders.get("/api/v1/orders?mine=true", headers=party_member(keys, 2))) == []
    assert ids(await orders.get("/api/v1/orders?grabbable=true", headers=party_member(keys, 2))) == []
    one_of_two_grids = keys.headers(
        sub=account("pm9"), roles=["party_member"], places={"party_member": [GRIDS[1], GRIDS[0]]}
    )
    assert ids(await orders.get("/api/v1/orders", headers=one_of_two_grids)) == [pooled["id"]]
    # One id or several, the same rule.
    two_grids = keys.headers(sub=account("gw9"), roles=["grid_worker"], places={"grid_worker": [GRIDS[1], GRIDS[2]]})
    assert set(ids(await orders.get("/api/v1/orders", headers=two_grids))) == {elsewhere["id"]}


async def test_the_lists_filters_and_pages(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    errand = await add_menu_item(orders, keys, name="代办", category="errand")
    first = await place(orders, resident(keys), item["id"])
    second = await place(orders, resident(keys, "13900000002"), errand["id"])
    third = await place(orders, resident(keys, "13900000005"), item["id"])
    wish = ok(
        await orders.post("/api/v1/orders", json={"kind": "wish", "description": "想要收音机"}, headers=resident(keys)),
        201,
    )
    await step(orders, second["id"], "dispatch", staff(keys), mode="grab")
    await step(orders, third["id"], "cancel", resident(keys, "13900000005"))
    newest_first = [wish["id"], third["id"], second["id"], first["id"]]

    def listed(query: str) -> Any:
        return orders.get(f"/api/v1/orders?{query}", headers=staff(keys))

    assert ids(await listed("")) == newest_first
    assert ids(await listed("state=placed")) == [wish["id"], first["id"]]
    assert ids(await listed("state=placed&state=dispatched")) == [wish["id"], second["id"], first["id"]]
    assert ids(await listed("kind=wish")) == [wish["id"]]
    assert ids(await listed(f"menu_item_id={errand['id']}")) == [second["id"]]
    assert ids(await listed(f"menu_item_id={errand['id']}&menu_item_id={item['id']}")) == newest_first[1:]
    assert ids(await listed(f"grid_code={GRIDS[1]}")) == [second["id"]]
    assert ids(await listed(f"community_code={COMMUNITY}&state=cancelled")) == [third["id"]]
    assert ids(await listed(f"resident_id={first['resident_id']}")) == [wish["id"], first["id"]]
    assert ids(await listed("overdue=false&kind=service")) == newest_first[1:]
    assert ids(await listed(f"assignee_id={account('pm1')}")) == []
    since = second["placed_at"].replace("+", "%2B")
    until = third["placed_at"].replace("+", "%2B")
    assert ids(await listed(f"since={since}&until={until}")) == [second["id"]]

    pages, cursor = [], None
    while True:
        answer = ok(await listed("limit=1" + (f"&cursor={cursor}" if cursor else "")))
        pages += [order["id"] for order in answer["items"]]
        if (cursor := answer["next_cursor"]) is None:
            break
    assert pages == newest_first
    after_two = ok(await listed("limit=2"))["next_cursor"]
    assert ids(await listed(f"limit=2&state=placed&cursor={after_two}")) == [first["id"]]
    bad = await listed("cursor=nonsense")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def rated_by(
    orders: httpx.AsyncClient, keys: TestKeys, item_id: str, taker: int, stars: int = 5, phone: str = "13900000001"
) -> None:
    """An order of the resident's (in grid 1 by default), taken from the pool by a party member of the grid."""
    order = await place(orders, resident(keys, phone), item_id)
    await step(orders, order["id"], "dispatch", staff(keys), mode="grab")
    await step(orders, order["id"], "accept", party_member(keys, taker))
    await step(orders, order["id"], "complete", party_member(keys, taker), note="好了")
    await step(orders, order["id"], "rate", resident(keys, phone), stars=stars)


async def test_honour_rolls_are_open_within_the_community(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys, points=10)
    await rated_by(orders, keys, item["id"], 1)
    await rated_by(orders, keys, item["id"], 2)
    await rated_by(orders, keys, item["id"], 1, stars=1)

    def board(headers: dict[str, str], query: str = "") -> Any:
        return orders.get(f"/api/v1/points/leaderboard?{query}", headers=headers)

    ranks = [(e["rank"], e["account_id"], e["points"], e["orders"]) for e in ok(await board(staff(keys)))["items"]]
    assert ranks == [(1, account("pm1"), 14, 2), (2, account("pm2"), 12, 1)]
    assert ok(await board(staff(keys)))["code"] == COMMUNITY
    assert len(ok(await board(staff(keys), "limit=1"))["items"]) == 1
    for headers in (street(keys), resident(keys, "13900000002"), party_member(keys, 3), grid_worker(keys, 4)):
        assert len(ok(await board(headers, f"code={COMMUNITY}"))["items"]) == 2
    outsider = keys.headers(roles=["resident"], resident_id=account("x"), grid_code=f"{OTHER_STREET_COMMUNITY}001")
    for headers in (staff(keys, NEIGHBOUR_COMMUNITY), outsider):
        assert ok(await board(headers, f"code={COMMUNITY}"))["items"] == []
    assert ok(await board(party_member(keys, 2), "level=grid"))["code"] == GRIDS[0]
    assert [e["account_id"] for e in ok(await board(party_member(keys, 2), "level=grid"))["items"]] == [
        account("pm1"),
        account("pm2"),
    ]
    assert (await board(street(keys))).status_code == 422  # a street admin names the community

    tie_item = await add_menu_item(orders, keys, name="陪伴", category="companionship", points=12)
    await rated_by(orders, keys, tie_item["id"], 3, stars=4, phone="13900000002")  # grid 2: 12 points, as pm2's
    tied = [(e["rank"], e["points"]) for e in ok(await board(staff(keys)))["items"]]
    assert tied == [(1, 14), (2, 12), (2, 12)]

    pioneers = ok(await orders.get("/api/v1/points/pioneers", headers=staff(keys)))["items"]
    assert [(p["account_id"], p["taken"], p["points"]) for p in pioneers] == [
        (account("pm2"), 1, 12),
        (account("pm3"), 1, 12),
        (account("pm1"), 2, 14),
    ]
    # The street sees its communities' takers once each (not once per credit of the street).
    assert ok(await orders.get("/api/v1/points/pioneers", headers=street(keys)))["items"] == pioneers
    assert ok(await orders.get("/api/v1/points/pioneers", headers=party_member(keys, 3)))["items"] == pioneers
    elsewhere = staff(keys, NEIGHBOUR_COMMUNITY)
    assert ok(await orders.get("/api/v1/points/pioneers", headers=elsewhere))["items"] == []
    one = ok(await orders.get(f"/api/v1/points/pioneers?account_id={account('pm1')}", headers=staff(keys)))
    assert [p["account_id"] for p in one["items"]] == [account("pm1")]
    grid_two = ok(await orders.get(f"/api/v1/points/pioneers?grid_code={GRIDS[1]}", headers=staff(keys)))
    assert [p["account_id"] for p in grid_two["items"]] == [account("pm3")]

    mine = ok(await orders.get("/api/v1/points/me", headers=party_member(keys, 1)))
    assert (mine["account_id"], mine["total"]) == (account("pm1"), 14)
    assert [(e["source"], e["points"], e["base"], e["stars"]) for e in mine["entries"]] == [
        ("order", 2, 10, 1),
        ("order", 12, 10, 5),
    ]
    nothing = ok(await orders.get("/api/v1/points/me", headers=party_member(keys, 4)))
    assert (nothing["total"], nothing["this_month"], nothing["this_year"], nothing["entries"]) == (0, 0, 0, [])


async def test_menus_taken_off_are_for_their_keepers_only(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    kept = await add_menu_item(orders, keys, name="义剪")
    dropped = await add_menu_item(orders, keys, name="代办", category="errand")
    ok(await orders.patch(f"/api/v1/menu/{dropped['id']}", json={"active": False}, headers=staff(keys)))

    def names(answer: httpx.Response) -> set[str]:
        assert answer.status_code == 200, answer.text
        return {i["name"] for i in answer.json()["items"]}

    assert names(await orders.get("/api/v1/menu", headers=resident(keys))) == {"义剪"}
    assert names(await orders.get("/api/v1/menu?include_inactive=true", headers=resident(keys))) == {"义剪"}
    assert names(await orders.get("/api/v1/menu", headers=staff(keys))) == {"义剪"}
    assert names(await orders.get("/api/v1/menu?include_inactive=true", headers=staff(keys))) == {"义剪", "代办"}
    query = f"community_code={COMMUNITY}&include_inactive=true"
    assert names(await orders.get(f"/api/v1/menu?{query}", headers=street(keys))) == {"义剪", "代办"}
    assert names(await orders.get(f"/api/v1/menu?{query}", headers=staff(keys, NEIGHBOUR_COMMUNITY))) == set()
    assert names(await orders.get(f"/api/v1/menu?{query}", headers=party_member(keys, 1))) == {"义剪"}
    one = (await orders.get("/api/v1/menu", headers=party_member(keys, 1))).json()["items"]
    assert one == [kept | {"active": True}]
