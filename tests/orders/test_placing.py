"""点单 through every channel: a resident's own app, a grid worker for a resident (代办) and staff
taking a call, with the resident's home taken from the registry under the caller's own scope; an
issue in a grid; retries that place nothing twice; photos of the work."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from PIL import Image

from shared import demo
from shared.demo import COMMUNITY, GRIDS, demo_uuid
from shared.testing import TestKeys
from tests.orders.support import account, add_menu_item, grid_worker, party_member, place, resident, staff
from tests.support.places import NEIGHBOUR_COMMUNITY, OTHER_STREET, STREET

# A head of household in grid 1 and one in grid 2 who have no account of their own.
ELDER = demo.households_of_grid(GRIDS[0])[50]
ELSEWHERE = demo.households_of_grid(GRIDS[1])[50]


def head_of(home: demo.DemoHousehold) -> str:
    return str(demo_uuid("resident", home.resident_phone or str(home.id)))


@pytest.mark.usefixtures("registry")
async def test_a_grid_worker_orders_for_a_resident_of_their_grid(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, grid_worker(keys, 1), item["id"], resident_id=head_of(ELDER))
    assert order["channel"] == "proxy" and order["resident_id"] == head_of(ELDER)
    assert order["household_id"] == str(ELDER.id) and order["grid_code"] == GRIDS[0]
    assert order["placed_by"] == account("gw1")
    other_grid = await orders.post(
        "/api/v1/orders",
        json={"kind": "service", "menu_item_id": item["id"], "resident_id": head_of(ELSEWHERE)},
        headers=grid_worker(keys, 1),
    )
    assert other_grid.status_code == 404  # the registry does not show gw1 a resident of grid 2
    by_call = await place(orders, staff(keys), item["id"], resident_id=head_of(ELSEWHERE))
    assert by_call["channel"] == "phone" and by_call["grid_code"] == GRIDS[1]
    # The resident is the one who rates; the worker who ordered in their name may rate for them too.
    timeline = (await orders.get(f"/api/v1/orders/{order['id']}/timeline", headers=grid_worker(keys, 1))).json()
    assert timeline["steps"][0]["actor_role"] == "grid_worker"


@pytest.mark.usefixtures("registry")
async def test_an_issue_found_in_a_grid(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    issue = {
        "kind": "issue",
        "title": "楼道飞线充电",
        "grid_code": GRIDS[0],
        "household_id": str(ELDER.id),
        "address": "幸福里小区3号楼",
    }
    answer = await orders.post("/api/v1/orders", json=issue, headers=grid_worker(keys, 1))
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "issue" and answer.json()["resident_id"] is None
    assert answer.json()["address"] == "幸福里小区3号楼"
    wrong_grid = await orders.post("/api/v1/orders", json=issue | {"grid_code": GRIDS[1]}, headers=grid_worker(keys, 1))
    assert wrong_grid.status_code == 422 and wrong_grid.json()["errors"][0]["field"] == "household_id"
    not_mine = await orders.post(
        "/api/v1/orders", json={"kind": "issue", "title": "噪声", "grid_code": GRIDS[1]}, headers=grid_worker(keys, 1)
    )
    assert not_mine.status_code == 404
    wish_without_resident = await orders.post(
        "/api/v1/orders", json={"kind": "wish", "title": "想要一台收音机", "grid_code": GRIDS[0]}, headers=staff(keys)
    )
    assert wish_without_resident.status_code == 422
    listed = (await orders.get("/api/v1/orders", headers=staff(keys))).json()["items"]
    assert [(o["title"], o["address"]) for o in listed] == [("楼道飞线充电", "幸福里小区3号楼")]
    addressed_wish = {"kind": "wish", "title": "想要一台收音机", "address": "幸福里小区3号楼"}
    refused = await orders.post("/api/v1/orders", json=addressed_wish, headers=resident(keys))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "address"


async def test_a_wish_and_bad_input_name_the_field(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    wish = await orders.post(
        "/api/v1/orders", json={"kind": "wish", "description": "想要一套儿童读物"}, headers=resident(keys)
    )
    assert wish.status_code == 201 and wish.json()["title"] == "想要一套儿童读物"
    for body, field in [
        ({"kind": "service"}, "body"),
        ({"kind": "gift", "description": "x"}, "kind"),
        ({"kind": "wish", "description": "x", "stars": 5}, "stars"),
        ({"kind": "wish", "description": "x", "resident_id": "not-a-uuid"}, "resident_id"),
    ]:
        answer = await orders.post("/api/v1/orders", json=body, headers=resident(keys))
        assert answer.status_code == 422, body
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
        assert "not-a-uuid" not in answer.text
    not_registered = keys.headers(roles=["resident"])
    answer = await orders.post("/api/v1/orders", json={"kind": "wish", "description": "x"}, headers=not_registered)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "resident_id"
    assert len((await orders.get("/api/v1/orders", headers=resident(keys))).json()["items"]) == 1


async def test_retrying_a_placement_places_one_order(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    body = {"kind": "service", "menu_item_id": item["id"]}
    headers = resident(keys) | {"Idempotency-Key": "order-1"}
    first = await orders.post("/api/v1/orders", json=body, headers=headers)
    replay = await orders.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    assert replay.headers["idempotent-replayed"] == "true"
    changed = await orders.post("/api/v1/orders", json=body | {"description": "x"}, headers=headers)
    assert changed.status_code == 422
    own_id = str(uuid.uuid4())
    created = await orders.post("/api/v1/orders", json=body | {"id": own_id}, headers=resident(keys))
    again = await orders.post("/api/v1/orders", json=body | {"id": own_id}, headers=resident(keys))
    assert (created.status_code, again.status_code) == (201, 200) and again.json()["id"] == own_id
    taken = await orders.post("/api/v1/orders", json=body | {"id": own_id}, headers=resident(keys, "13900000005"))
    assert taken.status_code == 409
    assert len((await orders.get("/api/v1/orders", headers=staff(keys))).json()["items"]) == 2


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.usefixtures("roster")
async def test_the_taker_adds_photos_and_completes_with_them(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    url = f"/api/v1/orders/{order['id']}"
    await orders.post(f"{url}/dispatch", json={"assignee_id": account("pm1")}, headers=staff(keys))
    photo = {"file": ("work.jpg", jpeg(), "image/jpeg")}
    early = await orders.post(f"{url}/photos", files=photo, headers=party_member(keys, 1))
    assert early.status_code == 409
    await orders.post(f"{url}/accept", headers=party_member(keys, 1))
    added = await orders.post(f"{url}/photos", files=photo, headers=party_member(keys, 1))
    assert added.status_code == 201 and added.json()["content_type"] == "image/jpeg"
    same = await orders.post(f"{url}/photos", files=photo, headers=party_member(keys, 1))
    assert same.status_code == 200 and same.json()["id"] == added.json()["id"]
    not_an_image = {"file": ("work.jpg", b"GIF89a not really", "image/jpeg")}
    refused = await orders.post(f"{url}/photos", files=not_an_image, headers=party_member(keys, 1))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "file"
    stranger = await orders.post(
        f"{url}/complete", json={"note": "好", "photo_ids": [str(uuid.uuid4())]}, headers=party_member(keys, 1)
    )
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "photo_ids"
    done = await orders.post(
        f"{url}/complete", json={"note": "修好了", "photo_ids": [added.json()["id"]]}, headers=party_member(keys, 1)
    )
    assert done.status_code == 200 and done.json()["photo_ids"] == [added.json()["id"]]
    seen = await orders.get(f"{url}/photos/{added.json()['id']}", headers=resident(keys))
    assert seen.status_code == 200 and seen.content == jpeg() and seen.headers["content-type"] == "image/jpeg"
    hidden = await orders.get(f"{url}/photos/{added.json()['id']}", headers=resident(keys, "13900000002"))
    assert hidden.status_code == 404


async def test_staff_see_their_community_and_machines_their_street(orders: httpx.AsyncClient, keys: TestKeys) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    elsewhere = keys.headers(roles=["community_staff"], places={"community_staff": [NEIGHBOUR_COMMUNITY]})
    assert (await orders.get("/api/v1/orders", headers=elsewhere)).json()["items"] == []
    client = keys.machine_token(street_code=STREET, scopes=["orders:read"])
    seen = await orders.get("/api/v1/orders", headers={"Authorization": f"Bearer {client}"})
    assert [o["id"] for o in seen.json()["items"]] == [order["id"]]
    other_street = keys.machine_token(street_code=OTHER_STREET, scopes=["orders:read"])
    assert (await orders.get("/api/v1/orders", headers={"Authorization": f"Bearer {other_street}"})).json()[
        "items"
    ] == []
    no_scope = keys.machine_token(street_code=STREET, scopes=["jobs:read"])
    assert (await orders.get("/api/v1/orders", headers={"Authorization": f"Bearer {no_scope}"})).status_code == 403
    writer = await orders.post(
        f"/api/v1/orders/{order['id']}/cancel", json={}, headers={"Authorization": f"Bearer {client}"}
    )
    assert writer.status_code == 403
    assert COMMUNITY == order["community_code"]
