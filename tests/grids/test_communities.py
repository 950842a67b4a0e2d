"""Communities: street admins make and rename them in their own streets; everyone else sees, in SQL,
the communities of their places only; keyset pages by code."""

from __future__ import annotations

from typing import Any

import httpx

from shared.testing import TestKeys
from tests.support import db
from tests.support.answers import ok
from tests.support.factories import COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY, STREET, make_places
from tests.support.outbox import outbox
from tests.support.places import NEIGHBOUR_COMMUNITY
from tests.support.problems import assert_problem

NO_SUCH_STREET = "110105003"  # a street code no one has made in the grids service


def street_admin(keys: TestKeys, *streets: str) -> dict[str, str]:
    return keys.headers(roles=["street_admin"], places={"street_admin": list(streets or [STREET])})


def staff_of(keys: TestKeys, community: str) -> dict[str, str]:
    return keys.headers(roles=["community_staff"], places={"community_staff": [community]})


async def codes_listed(grids: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    body = ok(await grids.get("/api/v1/communities", params={"limit": 100, **params}, headers=headers))
    assert body["next_cursor"] is None
    return [item["code"] for item in body["items"]]


async def test_a_street_admin_creates_reads_lists_and_renames_a_community(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    admin = street_admin(keys)
    created = ok(
        await grids.post("/api/v1/communities", json={"code": NEIGHBOUR_COMMUNITY, "name": "河畔社区"}, headers=admin),
        201,
    )
    assert {k: created[k] for k in ("code", "name", "street_code", "grids")} == {
        "code": NEIGHBOUR_COMMUNITY,
        "name": "河畔社区",
        "street_code": STREET,
        "grids": 0,
    }
    assert (
        await db.value(database_urls["grids"], "SELECT street_code FROM community WHERE code = $1", NEIGHBOUR_COMMUNITY)
        == STREET
    )

    listed = ok(await grids.get("/api/v1/communities", headers=admin))["items"]
    assert [(c["code"], c["grids"]) for c in listed] == [(COMMUNITY, 3), (NEIGHBOUR_COMMUNITY, 0)]
    assert ok(await grids.get(f"/api/v1/communities/{COMMUNITY}", headers=admin))["name"] == "江南社区"

    renamed = ok(await grids.patch(f"/api/v1/communities/{COMMUNITY}", json={"name": "江南新社区"}, headers=admin))
    assert (renamed["name"], renamed["grids"]) == ("江南新社区", 3)
    assert ok(await grids.get(f"/api/v1/communities/{COMMUNITY}", headers=admin))["name"] == "江南新社区"

    taken = await grids.post("/api/v1/communities", json={"code": COMMUNITY, "name": "重复"}, headers=admin)
    assert_problem(taken, 409)
    events = await outbox(database_urls["grids"])
    assert [(e.type, e.aggregate_id, e.payload) for e in events] == [
        (
            "community.created",
            NEIGHBOUR_COMMUNITY,
            {"community_code": NEIGHBOUR_COMMUNITY, "street_code": STREET, "name": "河畔社区"},
        ),
        ("community.renamed", COMMUNITY, {"community_code": COMMUNITY, "street_code": STREET, "name": "江南新社区"}),
    ]


async def test_a_bad_code_names_the_field_and_writes_nothing(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    admin = street_admin(keys, STREET, NO_SUCH_STREET)
    for code in (STREET + "01", STREET + "0011", "11010500100x"):
        refused = await grids.post("/api/v1/communities", json={"code": code, "name": "坏代码"}, headers=admin)
        assert_problem(refused, 422, "code")
    outside_any_street = await grids.post(
        "/api/v1/communities", json={"code": f"{NO_SUCH_STREET}001", "name": "无街道"}, headers=admin
    )
    assert_problem(outside_any_street, 422, "code")
    assert await db.value(database_urls["grids"], "SELECT count(*) FROM community") == 2
    assert await outbox(database_urls["grids"]) == []


async def test_only_the_streets_admins_create_and_rename(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    staff = staff_of(keys, COMMUNITY)
    new = {"code": NEIGHBOUR_COMMUNITY, "name": "河畔"}
    assert_problem(await grids.post("/api/v1/communities", json=new, headers=staff), 403)
    assert_problem(await grids.patch(f"/api/v1/communities/{COMMUNITY}", json={"name": "改名"}, headers=staff), 403)

    other_admin = street_admin(keys, OTHER_STREET)
    assert_problem(await grids.post("/api/v1/communities", json=new, headers=other_admin), 403)
    hidden = await grids.patch(f"/api/v1/communities/{COMMUNITY}", json={"name": "改名"}, headers=other_admin)
    assert_problem(hidden, 404)
    assert await db.value(database_urls["grids"], "SELECT name FROM community WHERE code = $1", COMMUNITY) == "江南社区"
    assert await db.value(database_urls["grids"], "SELECT count(*) FROM community") == 2


async def test_each_caller_sees_the_communities_of_their_places_only(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    ok(
        await grids.post(
            "/api/v1/communities", json={"code": NEIGHBOUR_COMMUNITY, "name": "河畔社区"}, headers=street_admin(keys)
        ),
        201,
    )
    staff_a, staff_b = staff_of(keys, COMMUNITY), staff_of(keys, NEIGHBOUR_COMMUNITY)
    assert await codes_listed(grids, staff_a) == [COMMUNITY]
    assert await codes_listed(grids, staff_b) == [NEIGHBOUR_COMMUNITY]
    assert_problem(await grids.get(f"/api/v1/communities/{NEIGHBOUR_COMMUNITY}", headers=staff_a), 404)
    assert ok(await grids.get(f"/api/v1/communities/{NEIGHBOUR_COMMUNITY}", headers=staff_b))["grids"] == 0

    worker = keys.headers(roles=["grid_worker"], places={"grid_worker": [f"{OTHER_STREET_COMMUNITY}002"]})
    assert await codes_listed(grids, worker) == [OTHER_STREET_COMMUNITY]
    resident = keys.headers(roles=["resident"], grid_code=f"{COMMUNITY}001")
    assert await codes_listed(grids, resident) == [COMMUNITY]

    assert await codes_listed(grids, street_admin(keys)) == [COMMUNITY, NEIGHBOUR_COMMUNITY]
    assert await codes_listed(grids, street_admin(keys), street_code=OTHER_STREET) == []
    both = street_admin(keys, STREET, OTHER_STREET)
    assert await codes_listed(grids, both, street_code=OTHER_STREET) == [OTHER_STREET_COMMUNITY]

    client = {"Authorization": f"Bearer {keys.machine_token(street_code=OTHER_STREET, scopes=['grids:read'])}"}
    assert await codes_listed(grids, client) == [OTHER_STREET_COMMUNITY]
    webhooks_only = keys.machine_token(street_code=STREET, scopes=["webhooks:write"])
    assert_problem(await grids.get("/api/v1/communities", headers={"Authorization": f"Bearer {webhooks_only}"}), 403)


async def test_a_street_admin_pages_through_their_communities_by_code(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    admin = street_admin(keys)
    expected = [COMMUNITY] + [f"{STREET}{n:03d}" for n in range(2, 6)]
    for code in reversed(expected[1:]):
        ok(await grids.post("/api/v1/communities", json={"code": code, "name": f"社区{code[-3:]}"}, headers=admin), 201)
    seen: list[str] = []
    pages, cursor = 0, None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = ok(await grids.get("/api/v1/communities", params=params, headers=admin))
        assert len(body["items"]) <= 2
        seen += [item["code"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (expected, 3)
    assert_problem(await grids.get("/api/v1/communities", params={"cursor": "nonsense"}, headers=admin), 422, "cursor")
