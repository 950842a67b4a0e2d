"""Households as the grids service learns of them: events with the head masked (the form, the registry,
the import), moves and removals, the resync's internal page, the grid checked where a building is
written, and the lists of compounds, buildings and households, scoped in the SQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET
from shared.households import HouseholdFact
from shared.testing import TestKeys
from tests.residents.conftest import CountingTransport
from tests.residents.ids import id_number
from tests.residents.test_import import GOOD, register, upload
from tests.residents.test_registry import HOME, staff, worker
from tests.support import db
from tests.support.answers import ok
from tests.support.outbox import outbox, payloads
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET_COMMUNITY

HOUSEHOLD_EVENTS = ("household.created", "household.updated", "household.moved", "household.removed")


def internal(keys: TestKeys) -> dict[str, str]:
    return keys.headers(sub="service:resync", aud="grid-platform-integrations", scope="internal")


def other_staff(keys: TestKeys) -> dict[str, str]:
    return keys.headers(
        sub=str(uuid.uuid4()), roles=["community_staff"], places={"community_staff": [OTHER_STREET_COMMUNITY]}
    )


async def household_events(url: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.type, e.aggregate_id, e.payload) for e in await outbox(url) if e.type in HOUSEHOLD_EVENTS]


async def new_household(client: httpx.AsyncClient, keys: TestKeys, *, grid: str = GRIDS[2]) -> dict[str, Any]:
    headers = staff(keys)
    compound = ok(
        await client.post("/api/v1/compounds", json={"name": "新苑小区", "community_code": COMMUNITY}, headers=headers),
        201,
    )
    building = ok(
        await client.post(
            "/api/v1/buildings",
            json={"compound_id": compound["id"], "name": "1号楼", "grid_code": grid},
            headers=headers,
        ),
        201,
    )
    flat = {"building_id": building["id"], "unit": "1单元", "room": "101"}
    household: dict[str, Any] = ok(await client.post("/api/v1/households", json=flat, headers=headers), 201)
    return household


async def test_household_events_tell_the_head_only_masked(
    residents: httpx.AsyncClient, keys: TestKeys, demo_grids: None, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    household = await new_household(residents, keys)
    number = id_number("19700505")
    head = {
        "household_id": household["id"],
        "name": "欧阳娜娜",
        "id_number": number,
        "phone": "13812341234",
        "relation": "head",
        "residence_type": "registered",
    }
    created = ok(await residents.post("/api/v1/residents", json=head, headers=staff(keys)), 201)
    spouse = head | {"name": "李四", "id_number": id_number("19710606"), "phone": "13955556666", "relation": "spouse"}
    ok(await residents.post("/api/v1/residents", json=spouse, headers=staff(keys)), 201)  # not the head: no event
    ok(await residents.patch(f"/api/v1/residents/{created['id']}", json={"phone": "13677778888"}, headers=staff(keys)))

    found = await household_events(url)
    assert [(kind, aggregate) for kind, aggregate, _ in found] == [
        ("household.created", household["id"]),
        ("household.updated", household["id"]),
        ("household.updated", household["id"]),
    ]
    facts = [HouseholdFact.model_validate(payload) for _, _, payload in found]
    assert facts[0].contact_name is None and facts[0].contact_phone is None
    assert (facts[1].contact_name, facts[1].contact_phone) == ("欧***", "138****1234")
    assert (facts[2].contact_name, facts[2].contact_phone) == ("欧***", "136****8888")
    assert {(f.compound_name, f.address, f.grid_code, f.community_code, f.street_code) for f in facts} == {
        ("新苑小区", "新苑小区1号楼1单元101", GRIDS[2], COMMUNITY, STREET)
    }
    text = json.dumps([payload for _, _, payload in found], ensure_ascii=False)
    for clear in ("13812341234", "13677778888", "13955556666", "欧阳娜娜", "李四", number, number[6:14]):
        assert clear not in text


async def test_a_head_moving_households_updates_both(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    home = ok(await residents.get(f"/api/v1/households/{HOME.id}", headers=staff(keys)))
    head = next(r for r in home["residents"] if r["relation"] == "head")
    flat = {"building_id": home["building_id"], "unit": "9单元", "room": "999"}
    there = ok(await residents.post("/api/v1/households", json=flat, headers=staff(keys)), 201)
    ok(
        await residents.patch(
            f"/api/v1/residents/{head['id']}", json={"household_id": there["id"]}, headers=staff(keys)
        )
    )
    updated = {
        aggregate: payload for kind, aggregate, payload in await household_events(url) if kind == "household.updated"
    }
    assert set(updated) == {str(HOME.id), there["id"]}
    assert updated[str(HOME.id)]["contact_name"] is None  # no head lives there any more
    assert updated[there["id"]]["contact_name"] == head["name"][0] + "*" * (len(head["name"]) - 1)
    assert updated[there["id"]]["contact_phone"] == head["phone"]  # the mask the registry answers


async def test_an_import_tells_of_every_household_it_creates_and_of_heads_it_sets(
    residents_asking: tuple[httpx.AsyncClient, CountingTransport],
    keys: TestKeys,
    demo_grids: None,
    database_urls: dict[str, str],
) -> None:
    client, grids = residents_asking
    url = database_urls["residents"]
    ok(await upload(client, keys, register(GOOD[1])))  # a spouse only: a household without a head
    assert grids.asked == [f"/api/v1/grids/{GRIDS[0]}"]
    first = await household_events(url)
    assert [(kind, payload["contact_name"]) for kind, _, payload in first] == [("household.created", None)]

    grids.asked.clear()
    report = ok(await upload(client, keys, register(GOOD[0], GOOD[2], GOOD[3])))
    assert report["created"] == 3 and report["errors"] == []
    assert sorted(grids.asked) == [f"/api/v1/grids/{GRIDS[1]}"]  # 1号楼 exists: only 2号楼's grid is new
    found = (await household_events(url))[1:]
    assert sorted(
        (kind, payload["address"], payload["contact_name"], payload["contact_phone"]) for kind, _, payload in found
    ) == [
        ("household.created", "幸福小区2号楼2单元502", "张**", "139****5678"),
        ("household.updated", "幸福小区1号楼1单元101", "王**", "139****1234"),
    ]
    created = next(payload for kind, _, payload in found if kind == "household.created")
    stored = await db.row(
        url, "SELECT building_id, grid_code FROM household WHERE id = $1", uuid.UUID(created["household_id"])
    )
    assert stored is not None and (str(stored["building_id"]), stored["grid_code"]) == (
        created["building_id"],
        GRIDS[1],
    )
    text = json.dumps([payload for _, _, payload in found], ensure_ascii=False)
    assert "13900001234" not in text and "王大明" not in text and "张建国" not in text


async def test_a_household_moves_to_a_building_of_another_grid(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    target = ok(
        await residents.get("/api/v1/buildings", params={"grid_code": GRIDS[1], "limit": 1}, headers=staff(keys))
    )["items"][0]
    path = f"/api/v1/households/{HOME.id}"
    change = {"building_id": target["id"], "unit": "9单元", "room": "901"}
    assert (await residents.patch(path, json=change, headers=worker(keys, GRIDS[0]))).status_code == 403
    assert (await residents.patch(path, json=change, headers=other_staff(keys))).status_code == 404
    taken = {"building_id": target["id"], "unit": "1单元", "room": "101"}
    assert (await residents.patch(path, json=taken, headers=staff(keys))).status_code == 409

    moved = ok(await residents.patch(path, json=change, headers=staff(keys)))
    assert moved["grid_code"] == GRIDS[1] and moved["building_id"] == target["id"]
    assert moved["address"].endswith("9单元901") and moved["residents"]
    assert {r["grid_code"] for r in moved["residents"]} == {GRIDS[1]}
    kinds = [(kind, payload["grid_code"]) for kind, _, payload in await household_events(url)]
    assert kinds == [("household.moved", GRIDS[1])]
    assert {p["from_grid_code"] for p in await payloads(url, "resident.moved")} == {GRIDS[0]}
    assert len(await payloads(url, "resident.moved")) == len(moved["residents"])

    ok(await residents.patch(path, json={"room": "902"}, headers=staff(keys)))
    assert [kind for kind, _, _ in await household_events(url)][-1] == "household.updated"
    assert (await residents.patch(path, json={"room": None}, headers=staff(keys))).status_code == 422


async def test_a_household_moves_into_another_community_only_for_staff_of_both(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    compound_id, building_id = uuid.uuid4(), uuid.uuid4()
    await db.execute(
        url,
        "INSERT INTO compound (id, name, community_code, street_code) VALUES ($1, '邻苑', $2, $3)",
        compound_id,
        NEIGHBOUR_COMMUNITY,
        STREET,
    )
    await db.execute(
        url,
        "INSERT INTO building (id, compound_id, name, grid_code, community_code, street_code) "
        "VALUES ($1, $2, '1号楼', $3, $4, $5)",
        building_id,
        compound_id,
        NEIGHBOUR_COMMUNITY + "001",
        NEIGHBOUR_COMMUNITY,
        STREET,
    )
    path = f"/api/v1/households/{HOME.id}"
    refused = await residents.patch(path, json={"building_id": str(building_id)}, headers=staff(keys))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "building_id"
    assert await db.value(url, "SELECT grid_code FROM household WHERE id = $1", HOME.id) == GRIDS[0]
    assert await household_events(url) == []

    both = keys.headers(
        sub=str(uuid.uuid4()), roles=["community_staff"], places={"community_staff": [COMMUNITY, NEIGHBOUR_COMMUNITY]}
    )
    moved = ok(await residents.patch(path, json={"building_id": str(building_id)}, headers=both))
    assert (moved["community_code"], moved["address"]) == (NEIGHBOUR_COMMUNITY, f"邻苑1号楼{HOME.unit}单元{HOME.room}")


async def test_a_household_goes_only_once_nobody_lives_there(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None, demo_grids: None, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    lived_in = await residents.delete(f"/api/v1/households/{HOME.id}", headers=staff(keys))
    assert lived_in.status_code == 409
    assert await db.value(url, "SELECT count(*) FROM household WHERE id = $1", HOME.id) == 1

    empty = await new_household(residents, keys)
    assert (await residents.delete(f"/api/v1/households/{empty['id']}", headers=other_staff(keys))).status_code == 404
    gone = await residents.delete(f"/api/v1/households/{empty['id']}", headers=staff(keys))
    assert gone.status_code == 204
    assert await db.value(url, "SELECT count(*) FROM household WHERE id = $1", uuid.UUID(empty["id"])) == 0
    removed = [payload for kind, _, payload in await household_events(url) if kind == "household.removed"]
    assert len(removed) == 1 and removed[0]["removed"] is True and removed[0]["household_id"] == empty["id"]
    assert (await residents.delete(f"/api/v1/households/{empty['id']}", headers=staff(keys))).status_code == 404


async def test_the_resync_reads_every_household_a_page_at_a_time(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    seen: list[HouseholdFact] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"after": after} if after else {})
        page = ok(await residents.get("/internal/households", params=params, headers=internal(keys)))
        pages += 1
        seen += [HouseholdFact.model_validate(item) for item in page["items"]]
        if page["next_after"] is None:
            break
        assert page["next_after"] == page["items"][-1]["household_id"]
        after = page["next_after"]
    every = demo.households()
    assert pages == 3 and len(seen) == len(every) == 1296
    assert [f.household_id for f in seen] == sorted(h.id for h in every)
    home = next(f for f in seen if f.household_id == HOME.id)
    assert (home.address, home.grid_code, home.compound_name) == (HOME.address, GRIDS[0], HOME.compound)
    assert home.contact_name and home.contact_name.endswith("*") and len(home.contact_name) >= 2
    assert all(f.contact_phone is None or "****" in f.contact_phone for f in seen)

    assert (await residents.get("/internal/households", headers=staff(keys))).status_code == 403
    assert (
        await residents.get("/internal/households", params={"limit": 1001}, headers=internal(keys))
    ).status_code == 422


async def test_an_unknown_grid_is_refused_where_a_building_is_written(
    residents: httpx.AsyncClient, keys: TestKeys, demo_grids: None, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    compound = ok(
        await residents.post(
            "/api/v1/compounds", json={"name": "新苑小区", "community_code": COMMUNITY}, headers=staff(keys)
        ),
        201,
    )
    unknown = f"{COMMUNITY}099"
    refused = await residents.post(
        "/api/v1/buildings",
        json={"compound_id": compound["id"], "name": "1号楼", "grid_code": unknown},
        headers=staff(keys),
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "grid_code"
    assert await db.value(url, "SELECT count(*) FROM building") == 0

    report = ok(await upload(residents, keys, register(GOOD[0], GOOD[3].replace(GRIDS[1], unknown))))
    assert report["created"] == 0
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(3, "网格编码")]
    assert await db.value(url, "SELECT count(*) FROM household") == 0
    assert await db.value(url, "SELECT count(*) FROM outbox_event") == 0


async def test_while_the_grids_service_is_away_no_building_is_written(
    residents_without_grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    url = database_urls["residents"]
    compound = ok(
        await residents_without_grids.post(
            "/api/v1/compounds", json={"name": "新苑小区", "community_code": COMMUNITY}, headers=staff(keys)
        ),
        201,
    )
    away = await residents_without_grids.post(
        "/api/v1/buildings",
        json={"compound_id": compound["id"], "name": "1号楼", "grid_code": GRIDS[0]},
        headers=staff(keys),
    )
    assert away.status_code == 503
    assert (await upload(residents_without_grids, keys, register(*GOOD))).status_code == 503
    assert await db.value(url, "SELECT count(*) FROM building") == 0
    assert await db.value(url, "SELECT count(*) FROM resident") == 0


async def test_lists_of_places_are_scoped_and_paged(
    residents: httpx.AsyncClient, keys: TestKeys, registry: None
) -> None:
    compounds = ok(await residents.get("/api/v1/compounds", params={"limit": 1}, headers=staff(keys)))
    assert [c["name"] for c in compounds["items"]] == ["晴岚家园"] and compounds["next_cursor"]
    rest = ok(
        await residents.get(
            "/api/v1/compounds", params={"limit": 1, "cursor": compounds["next_cursor"]}, headers=staff(keys)
        )
    )
    assert [c["name"] for c in rest["items"]] == ["江南小区"] and rest["next_cursor"] is None
    filtered = ok(
        await residents.get("/api/v1/compounds", params={"community_code": OTHER_STREET_COMMUNITY}, headers=staff(keys))
    )
    assert filtered["items"] == []
    assert ok(await residents.get("/api/v1/compounds", headers=other_staff(keys)))["items"] == []

    jiangnan = rest["items"][0]["id"]
    whole = ok(
        await residents.get("/api/v1/buildings", params={"compound_id": jiangnan, "limit": 100}, headers=staff(keys))
    )
    names: list[str] = []
    cursor = None
    while True:
        params = {"compound_id": jiangnan, "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = ok(await residents.get("/api/v1/buildings", params=params, headers=staff(keys)))
        names += [b["name"] for b in page["items"]]
        assert {b["compound_id"] for b in page["items"]} <= {jiangnan}
        if not (cursor := page["next_cursor"]):
            break
    assert names == [b["name"] for b in whole["items"]] and len(set(names)) == 12  # in the database's order
    assert ok(await residents.get("/api/v1/buildings", headers=other_staff(keys)))["items"] == []
    gw = ok(await residents.get("/api/v1/buildings", params={"limit": 100}, headers=worker(keys, GRIDS[0])))
    assert gw["items"] and {b["grid_code"] for b in gw["items"]} == {GRIDS[0]}

    building = next(b for b in gw["items"] if b["name"] == f"{HOME.building}号楼")
    first = ok(
        await residents.get(
            "/api/v1/households", params={"building_id": building["id"], "limit": 5}, headers=worker(keys, GRIDS[0])
        )
    )
    second = ok(
        await residents.get(
            "/api/v1/households",
            params={"building_id": building["id"], "limit": 5, "cursor": first["next_cursor"]},
            headers=worker(keys, GRIDS[0]),
        )
    )
    whole = ok(
        await residents.get(
            "/api/v1/households", params={"building_id": building["id"], "limit": 10}, headers=worker(keys, GRIDS[0])
        )
    )
    addresses = [h["address"] for h in first["items"] + second["items"]]
    assert addresses == [h["address"] for h in whole["items"]] and len(set(addresses)) == 10
    item = first["items"][0]
    assert item["contact_name"].endswith("*") and "****" in (item["contact_phone"] or "****")
    assert (
        ok(await residents.get("/api/v1/households", params={"grid_code": GRIDS[1]}, headers=worker(keys, GRIDS[0])))[
            "items"
        ]
        == []
    )
    assert ok(await residents.get("/api/v1/households", headers=other_staff(keys)))["items"] == []
    street = keys.headers(sub=str(uuid.uuid4()), roles=["street_admin"], places={"street_admin": [STREET]})
    assert (
        ok(await residents.get("/api/v1/households", params={"grid_code": GRIDS[3], "limit": 1}, headers=street))[
            "items"
        ][0]["grid_code"]
        == GRIDS[3]
    )
