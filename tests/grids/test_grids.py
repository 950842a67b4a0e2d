"""The grids list and lookup: scope in SQL, keyset pages, and creating grids."""

from __future__ import annotations

import httpx

from shared.testing import TestKeys
from tests.support import db
from tests.support.factories import COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY, STREET, make_places
from tests.support.outbox import outbox


async def test_street_admin_pages_through_exactly_their_street(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    codes = await make_places(database_urls["grids"], grids_per_community=5)
    headers = keys.headers(roles=["street_admin"], places={"street_admin": [STREET]})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await grids.get("/api/v1/grids", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 2
        seen += [item["code"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [c for c in codes if c.startswith(STREET)]
    assert pages == 3


async def test_grid_worker_sees_only_their_grid_and_gets_404_for_others(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    codes = await make_places(database_urls["grids"])
    mine, other = codes[0], codes[1]
    headers = keys.headers(roles=["grid_worker"], places={"grid_worker": [mine]})
    listed = await grids.get("/api/v1/grids", headers=headers)
    assert [g["code"] for g in listed.json()["items"]] == [mine]
    assert (await grids.get(f"/api/v1/grids/{mine}", headers=headers)).json()["community_code"] == COMMUNITY
    hidden = await grids.get(f"/api/v1/grids/{other}", headers=headers)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"


async def test_machine_client_sees_its_street_only(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    token = keys.machine_token(street_code=STREET, scopes=["stats:read"])
    response = await grids.get("/api/v1/grids", headers={"Authorization": f"Bearer {token}"})
    assert {g["street_code"] for g in response.json()["items"]} == {STREET}
    no_scope = keys.machine_token(street_code=STREET, scopes=["webhooks:write"])
    refused = await grids.get("/api/v1/grids", headers={"Authorization": f"Bearer {no_scope}"})
    assert refused.status_code == 403


async def test_staff_create_a_grid_in_their_community_and_an_event_is_written(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    created = await grids.post("/api/v1/grids", json={"code": f"{COMMUNITY}010", "name": "第十网格"}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["street_code"] == STREET
    again = await grids.post("/api/v1/grids", json={"code": f"{COMMUNITY}010", "name": "重复"}, headers=headers)
    assert again.status_code == 409
    events = await outbox(database_urls["grids"])
    assert [(e.type, e.aggregate_id) for e in events] == [("grid.created", f"{COMMUNITY}010")]


async def test_staff_cannot_create_a_grid_in_another_community(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    response = await grids.post(
        "/api/v1/grids", json={"code": f"{OTHER_STREET_COMMUNITY}010", "name": "越界"}, headers=headers
    )
    assert response.status_code == 403
    assert (
        await grids.get(
            f"/api/v1/grids/{OTHER_STREET_COMMUNITY}010",
            headers=keys.headers(roles=["street_admin"], places={"street_admin": [OTHER_STREET]}),
        )
    ).status_code == 404


async def test_invalid_grid_code_names_the_field_and_writes_nothing(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    headers = keys.headers(roles=["street_admin"], places={"street_admin": ["990105001"]})
    response = await grids.post("/api/v1/grids", json={"code": "990105001001001", "name": "坏"}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "code"
    assert "county" in body["errors"][0]["message"]
    assert await db.value(database_urls["grids"], "SELECT count(*) FROM grid WHERE code = '990105001001001'") == 0
    assert await outbox(database_urls["grids"]) == []


async def test_resident_cannot_create_grids(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(roles=["resident"], grid_code=f"{COMMUNITY}001")
    response = await grids.post("/api/v1/grids", json={"code": f"{COMMUNITY}011", "name": "x"}, headers=headers)
    assert response.status_code == 403
