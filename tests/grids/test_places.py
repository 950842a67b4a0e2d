"""Boundaries as GeoJSON, "which grid is this GPS point in", and the street's tree."""

from __future__ import annotations

import httpx

from deploy.demo import load_process
from deploy.processes import BY_NAME
from shared.testing import TestKeys
from tests.support import db
from tests.support.places import COMMUNITY, STREET

GRID1, GRID2, GRID4 = f"{COMMUNITY}001", f"{COMMUNITY}002", f"{COMMUNITY}004"
INSIDE_GRID1 = {"lng": 116.475, "lat": 39.925}
INSIDE_GRID4 = {"lng": 116.485, "lat": 39.915}


async def demo(database_urls: dict[str, str]) -> None:
    await load_process(BY_NAME["grids"], database_urls["grids"])


async def test_locate_finds_the_grid_containing_the_point(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await demo(database_urls)
    staff = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    found = await grids.get("/api/v1/grids/locate", params=INSIDE_GRID1, headers=staff)
    assert found.status_code == 200, found.text
    assert found.json()["code"] == GRID1
    assert found.json()["boundary"]["type"] == "Polygon"
    assert (await grids.get("/api/v1/grids/locate", params=INSIDE_GRID4, headers=staff)).json()["code"] == GRID4
    nowhere = await grids.get("/api/v1/grids/locate", params={"lng": 100.0, "lat": 30.0}, headers=staff)
    assert nowhere.status_code == 404


async def test_a_grid_worker_locates_only_within_their_grids(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await demo(database_urls)
    worker = keys.headers(roles=["grid_worker"], places={"grid_worker": [GRID1]})
    assert (await grids.get("/api/v1/grids/locate", params=INSIDE_GRID1, headers=worker)).json()["code"] == GRID1
    assert (await grids.get("/api/v1/grids/locate", params=INSIDE_GRID4, headers=worker)).status_code == 404
    resident = keys.headers(roles=["resident"], grid_code=GRID1)
    assert (await grids.get("/api/v1/grids/locate", params=INSIDE_GRID1, headers=resident)).status_code == 403


async def test_locate_uses_the_gist_index(database_urls: dict[str, str]) -> None:
    async with db.connected(database_urls["grids"]) as conn:
        await conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN SELECT code FROM grid"
                " WHERE boundary @> polygon(box(point(116.475, 39.925), point(116.475, 39.925)))"
            )
        )
    assert "ix_grid_boundary" in plan


async def test_staff_set_a_boundary_and_bad_geojson_names_the_field(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await demo(database_urls)
    staff = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    square = [[116.0, 39.0], [116.1, 39.0], [116.1, 39.1], [116.0, 39.1], [116.0, 39.0]]
    changed = await grids.put(
        f"/api/v1/grids/{GRID2}/boundary",
        json={"boundary": {"type": "Polygon", "coordinates": [square]}},
        headers=staff,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["boundary"]["coordinates"] == [square]
    located = await grids.get("/api/v1/grids/locate", params={"lng": 116.05, "lat": 39.05}, headers=staff)
    assert located.json()["code"] == GRID2
    open_ring = square[:-1]
    bad = await grids.put(
        f"/api/v1/grids/{GRID2}/boundary",
        json={"boundary": {"type": "Polygon", "coordinates": [open_ring]}},
        headers=staff,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].startswith("boundary")
    worker = keys.headers(roles=["grid_worker"], places={"grid_worker": [GRID2]})
    refused = await grids.put(f"/api/v1/grids/{GRID2}/boundary", json={"boundary": None}, headers=worker)
    assert refused.status_code == 403


async def test_the_street_tree_shows_what_the_caller_may_see(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await demo(database_urls)
    admin = keys.headers(roles=["street_admin"], places={"street_admin": [STREET]})
    tree = (await grids.get(f"/api/v1/streets/{STREET}/tree", headers=admin)).json()
    assert tree["name"] == "示范街道"
    assert [c["code"] for c in tree["communities"]] == [COMMUNITY]
    assert len(tree["communities"][0]["grids"]) == 4
    worker = keys.headers(roles=["grid_worker"], places={"grid_worker": [GRID1]})
    narrow = (await grids.get(f"/api/v1/streets/{STREET}/tree", headers=worker)).json()
    assert [g["code"] for g in narrow["communities"][0]["grids"]] == [GRID1]
    other = await grids.get("/api/v1/streets/110105009/tree", headers=admin)
    assert other.status_code == 404
