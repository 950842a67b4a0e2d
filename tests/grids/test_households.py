"""The grids service's copy of the households, kept from the residents service's ``household.*`` events:
each applied once however often it arrives; a move keeps only the 十联户 links of the new grid's party
members; a removed household is neither listed, visited nor counted; a resident's compound notices
come from the copy, with no call to the residents service; the resync's check reads the copy back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from services.grids import households
from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.events import BATCH_PATH, EVENTS_PATH, signed_headers, signer
from shared.households import HouseholdFact
from shared.settings import DEVELOPMENT_SECRET
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.support import db
from tests.support.answers import ok
from tests.support.people import grid_worker, party_member, staff

QINGLAN = "晴岚家园"
pytestmark = pytest.mark.usefixtures("roster")  # the demo places, roster, households and their links


def fact(home: demo.DemoHousehold | None = None, **changes: Any) -> dict[str, Any]:
    """A household's facts as the residents service tells them: a demo household's, or a new one's."""
    if home is None:
        home = demo.DemoHousehold(
            id=uuid.uuid4(), grid_code=GRIDS[2], compound=QINGLAN, building=1, unit=1, room="101",
            contact_name="赵*", contact_phone="138****0000", resident_phone=None,
        )  # fmt: skip
    grid = changes.pop("grid_code", home.grid_code)
    return {
        "household_id": str(home.id),
        "building_id": str(demo_uuid("building", f"{home.compound}{home.building}")),
        "compound_id": str(demo_uuid("compound", home.compound)),
        "compound_name": home.compound,
        "address": home.address,
        "grid_code": grid,
        "community_code": COMMUNITY,
        "street_code": STREET,
        "contact_name": home.contact_name,
        "contact_phone": home.contact_phone,
        "removed": False,
    } | changes


def event(type: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type,
        "aggregate_id": payload["household_id"],
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": payload,
    }


async def deliver(grids: httpx.AsyncClient, sent: dict[str, Any]) -> httpx.Response:
    """One signed delivery of the event, as a relay makes it."""
    body = orjson.dumps(sent)
    return await grids.post(
        EVENTS_PATH, content=body, headers=signed_headers(signer(DEVELOPMENT_SECRET), sent["id"], body)
    )


async def twice(grids: httpx.AsyncClient, type: str, payload: dict[str, Any]) -> None:
    """The event delivered twice (at least once): applied the first time, a duplicate the second."""
    sent = event(type, payload)
    assert ok(await deliver(grids, sent)) == {"status": "applied"}
    assert ok(await deliver(grids, sent)) == {"status": "duplicate"}


async def copy_of(url: str, household_id: Any) -> Any:
    return await db.row(url, "SELECT * FROM household WHERE id = $1", uuid.UUID(str(household_id)))


def visit(household_id: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "household_id": str(household_id),
        "kind": "routine",
        "visited_at": datetime.now(UTC).isoformat(),
    }


async def sync(grids: httpx.AsyncClient, headers: dict[str, str], household_id: Any) -> dict[str, Any]:
    answer = await grids.post("/api/v1/visits/sync", json={"visits": [visit(household_id)]}, headers=headers)
    result: dict[str, Any] = ok(answer)["results"][0]
    return result


async def linked(grids: httpx.AsyncClient, headers: dict[str, str]) -> set[str]:
    answer = await grids.get("/api/v1/members/me/households", params={"limit": 100}, headers=headers)
    return {h["id"] for h in ok(answer)["items"]}


async def coverage(grids: httpx.AsyncClient, keys: TestKeys) -> dict[str, int]:
    answer = await grids.get("/api/v1/visits/coverage", headers=staff(keys))
    return {g["grid_code"]: g["households"] for g in ok(answer)["items"]}


async def test_each_event_is_applied_once_and_the_copy_follows_the_household(
    grids: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    url = database_urls["grids"]
    new = fact()
    await twice(grids, "household.created", new)
    row = await copy_of(url, new["household_id"])
    assert (row["grid_code"], row["compound_name"], row["removed_at"]) == (GRIDS[2], QINGLAN, None)
    assert str(row["compound_id"]) == new["compound_id"] and str(row["building_id"]) == new["building_id"]

    await twice(grids, "household.updated", new | {"contact_phone": "138****1111"})
    assert (await copy_of(url, new["household_id"]))["contact_phone"] == "138****1111"

    await twice(grids, "household.moved", new | {"grid_code": GRIDS[3], "address": "晴岚家园7号楼1单元101"})
    row = await copy_of(url, new["household_id"])
    assert (row["grid_code"], row["address"]) == (GRIDS[3], "晴岚家园7号楼1单元101")

    await twice(grids, "household.removed", new | {"grid_code": GRIDS[3], "removed": True})
    removed_at = (await copy_of(url, new["household_id"]))["removed_at"]
    assert removed_at is not None
    inbox = await db.rows(url, "SELECT type FROM inbox_event ORDER BY received_at")
    assert [r["type"] for r in inbox] == [
        "household.created", "household.updated", "household.moved", "household.removed",
    ]  # fmt: skip
    # A removal told again (another event, the resync) changes nothing; a later fact brings it back.
    await twice(grids, "household.removed", new | {"grid_code": GRIDS[3], "removed": True})
    assert (await copy_of(url, new["household_id"]))["removed_at"] == removed_at
    await twice(grids, "household.created", new)
    row = await copy_of(url, new["household_id"])
    assert (row["grid_code"], row["removed_at"]) == (GRIDS[2], None)


async def test_a_payload_that_is_not_a_households_facts_is_refused_and_applies_nothing(
    grids: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    new = fact()
    cases = [
        event("household.created", {k: v for k, v in new.items() if k != "compound_id"}),
        event("household.created", new | {"grid_code": "not-a-grid"}),
        event("household.created", new | {"removed": True}),
        event("household.removed", new),
    ]
    for sent in cases:
        answer = await deliver(grids, sent)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "payload"
        assert "138****0000" not in answer.text
    assert await db.value(database_urls["grids"], "SELECT count(*) FROM inbox_event") == 0
    assert await copy_of(database_urls["grids"], new["household_id"]) is None
    other = event("household.merged", new)
    assert ok(await deliver(grids, other)) == {"status": "ignored"}


async def test_a_moved_household_keeps_only_the_links_of_its_new_grids_party_members(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    url = database_urls["grids"]
    home = demo.links()["pm1"][0]  # in grid 1, linked to pm1 (bound to grid 1)
    pm1, pm3 = party_member(keys, 1), party_member(keys, 3)  # pm3 is bound to grid 2
    link = f"/api/v1/members/{demo_uuid('member', 'pm3')}/households/{home.id}"
    assert (await grids.put(link, headers=staff(keys))).status_code == 201
    before = await sync(grids, grid_worker(keys, 1), home.id)
    assert before["status"] == "created"

    await twice(grids, "household.moved", fact(home, grid_code=GRIDS[1]))
    assert str(home.id) not in await linked(grids, pm1)
    assert str(home.id) in await linked(grids, pm3)
    # Its visits stay as they were; its next ones are its new grid's.
    old = await db.row(url, "SELECT grid_code FROM visit WHERE id = $1", uuid.UUID(before["id"]))
    assert old is not None and old["grid_code"] == GRIDS[0]
    assert (await sync(grids, grid_worker(keys, 1), home.id))["status"] == "rejected"
    after = await sync(grids, grid_worker(keys, 2), home.id)
    assert after["status"] == "created"
    new = await db.row(url, "SELECT grid_code FROM visit WHERE id = $1", uuid.UUID(after["id"]))
    assert new is not None and new["grid_code"] == GRIDS[1]


async def test_a_removed_household_is_not_listed_visited_or_counted_until_it_comes_back(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    home = demo.links()["pm1"][1]
    pm1, gw1 = party_member(keys, 1), grid_worker(keys, 1)
    counted = await coverage(grids, keys)
    assert counted[GRIDS[0]] == len(demo.households_of_grid(GRIDS[0]))
    visited = await sync(grids, gw1, home.id)

    await twice(grids, "household.removed", fact(home, removed=True))
    assert str(home.id) not in await linked(grids, pm1)
    for headers in (pm1, gw1):
        refused = await sync(grids, headers, home.id)
        assert (refused["status"], refused["reason"]) == ("rejected", "no household of yours with this id")
    assert (await coverage(grids, keys))[GRIDS[0]] == counted[GRIDS[0]] - 1
    relink = await grids.put(f"/api/v1/members/{demo_uuid('member', 'pm1')}/households/{home.id}", headers=staff(keys))
    assert relink.status_code == 404
    # Its visit is history: still there, still seen by who recorded it.
    assert (await grids.get(f"/api/v1/visits/{visited['id']}", headers=gw1)).status_code == 200

    await twice(grids, "household.updated", fact(home))
    assert (await coverage(grids, keys))[GRIDS[0]] == counted[GRIDS[0]]
    assert (await sync(grids, gw1, home.id))["status"] == "created"
    assert str(home.id) not in await linked(grids, pm1)  # its links went with the removal


@pytest.mark.usefixtures("registry")  # the compound a notice is published to is the residents service's
async def test_a_compound_notice_reaches_a_resident_of_a_household_the_copy_learnt_from_an_event(
    grids: httpx.AsyncClient, keys: TestKeys
) -> None:
    new = fact()  # a household the residents service's registry does not have: only the event told
    body = {"category": "safety", "title": "晴岚家园电梯检修", "body": "...", "compound_id": new["compound_id"]}
    ok(await grids.post("/api/v1/notices", json=body, headers=staff(keys)), 201)
    me = keys.headers(
        sub=str(uuid.uuid4()), roles=["resident"], resident_id=str(uuid.uuid4()),
        household_id=new["household_id"], grid_code=GRIDS[2],
    )  # fmt: skip

    async def titles() -> list[str]:
        return [n["title"] for n in ok(await grids.get("/api/v1/notices", headers=me))["items"]]

    assert await titles() == []
    await twice(grids, "household.created", new)
    assert await titles() == ["晴岚家园电梯检修"]
    await twice(grids, "household.removed", new | {"removed": True})
    assert await titles() == []


async def test_the_demo_copy_knows_the_residents_services_compounds_and_buildings(
    database_urls: dict[str, str],
) -> None:
    home = demo.households_of_grid(GRIDS[3])[0]
    row = await copy_of(database_urls["grids"], home.id)
    assert row["compound_id"] == demo_uuid("compound", QINGLAN) and row["compound_name"] == QINGLAN
    assert row["building_id"] == demo_uuid("building", f"{QINGLAN}{home.building}")


async def test_apply_fact_says_what_it_did_and_copy_facts_reads_the_copy_back(
    start_app: AppFactory, database_urls: dict[str, str]
) -> None:
    app = await start_app("grids")
    url = database_urls["grids"]
    await db.execute(url, "DELETE FROM visit")
    await db.execute(url, "DELETE FROM household")
    old = uuid.uuid4()  # a row from before the copy knew compounds
    await db.execute(
        url,
        "INSERT INTO household (id, grid_code, community_code, street_code, address, updated_at)"
        " VALUES ($1, $2, $3, $4, '江南小区1号楼1单元101', now())",
        old, GRIDS[0], COMMUNITY, STREET,
    )  # fmt: skip
    a, b = HouseholdFact.model_validate(fact()), HouseholdFact.model_validate(fact())
    steps = [
        (a, "created"),
        (a, "unchanged"),
        (a.model_copy(update={"contact_name": "钱*"}), "updated"),
        (a.model_copy(update={"contact_name": "钱*", "grid_code": GRIDS[3]}), "moved"),
        (b, "created"),
        (b.model_copy(update={"removed": True}), "removed"),
        (b.model_copy(update={"removed": True}), "unchanged"),
    ]
    async with app.state.db.sessionmaker() as session, session.begin():
        assert [await households.apply_fact(session, f) for f, _ in steps] == [what for _, what in steps]

    async with app.state.db.sessionmaker() as session:
        first = await households.copy_facts(session, after=None, limit=2)
        rest = await households.copy_facts(session, after=first.next_after, limit=2)
    assert rest.next_after is None and first.next_after == first.items[-1].household_id
    pages = first.items + rest.items
    assert [f.household_id for f in pages] == sorted([a.household_id, b.household_id, old])
    by_id = {f.household_id: f for f in pages}
    assert by_id[a.household_id] == a.model_copy(update={"contact_name": "钱*", "grid_code": GRIDS[3]})
    assert by_id[b.household_id].removed is True
    assert by_id[old].compound_id == households.UNKNOWN and not by_id[old].removed


async def deliver_batch(grids: httpx.AsyncClient, events: list[dict[str, Any]]) -> httpx.Response:
    body = orjson.dumps({"events": events})
    headers = signed_headers(signer(DEVELOPMENT_SECRET), f"batch_{uuid.uuid4().hex}", body)
    return await grids.post(BATCH_PATH, content=body, headers=headers)


async def test_a_batch_of_new_households_is_applied_in_order_and_each_once(
    grids: httpx.AsyncClient, database_urls: dict[str, str]
) -> None:
    new = [fact(), fact(), fact()]
    created = [event("household.created", f) for f in new]
    renamed = event("household.updated", new[0] | {"contact_name": "钱*"})
    gone = event("household.removed", new[2] | {"removed": True})
    answer = await deliver_batch(grids, [*created, renamed, gone, created[1], event("visit.recorded", new[0])])
    assert ok(answer) == {"statuses": ["applied"] * 5 + ["duplicate", "ignored"]}
    first, second, third = [await copy_of(database_urls["grids"], f["household_id"]) for f in new]
    assert first["contact_name"] == "钱*" and first["removed_at"] is None
    assert second["address"] == new[1]["address"] and third["removed_at"] is not None
    again = await deliver_batch(grids, created)
    assert ok(again) == {"statuses": ["duplicate"] * 3}
    # A bad one fails the whole batch, which leaves nothing behind.
    fresh = fact()
    refused = await deliver_batch(
        grids, [event("household.created", fresh), event("household.created", {"household_id": str(uuid.uuid4())})]
    )
    assert refused.status_code == 422
    assert await copy_of(database_urls["grids"], fresh["household_id"]) is None
