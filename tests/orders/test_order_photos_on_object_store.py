"""Photos of the work on an order with the orders service on an S3-compatible object store (a real one on
loopback): checked by content before anything reaches the bucket, kept once, served to the resident who
placed the order and to no other."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.orders.config import Settings
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.orders.support import account, add_menu_item, party_member, place, resident, staff
from tests.orders.test_placing import jpeg
from tests.support.objectstore import ObjectStore, photos_in

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def prefix(start_app: AppFactory, object_store: ObjectStore) -> AsyncIterator[str]:
    with photos_in(await start_app("orders"), object_store, Settings) as prefix:
        yield prefix


@pytest.mark.usefixtures("roster")
async def test_a_photo_of_the_work_is_kept_once_in_the_bucket_and_shown_to_the_resident_only(
    orders: httpx.AsyncClient, keys: TestKeys, object_store: ObjectStore, prefix: str
) -> None:
    item = await add_menu_item(orders, keys)
    order = await place(orders, resident(keys), item["id"])
    url = f"/api/v1/orders/{order['id']}"
    await orders.post(f"{url}/dispatch", json={"assignee_id": account("pm1")}, headers=staff(keys))
    assert (await orders.post(f"{url}/accept", headers=party_member(keys, 1))).status_code == 200

    not_an_image = {"file": ("work.jpg", b"GIF89a not really", "image/jpeg")}
    refused = await orders.post(f"{url}/photos", files=not_an_image, headers=party_member(keys, 1))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "file"
    assert object_store.objects(prefix) == {}

    photo = {"file": ("work.jpg", jpeg(), "image/jpeg")}
    added = await orders.post(f"{url}/photos", files=photo, headers=party_member(keys, 1))
    assert added.status_code == 201, added.text
    same = await orders.post(f"{url}/photos", files=photo, headers=party_member(keys, 1))
    assert same.status_code == 200 and same.json()["id"] == added.json()["id"]
    assert object_store.objects(prefix) == {f"{prefix}{order['id']}/{added.json()['id']}.jpg": jpeg()}

    photo_url = f"{url}/photos/{added.json()['id']}"
    seen = await orders.get(photo_url, headers=resident(keys))
    assert seen.status_code == 200 and seen.content == jpeg() and seen.headers["content-type"] == "image/jpeg"
    assert (await orders.get(photo_url, headers=resident(keys, "13900000002"))).status_code == 404
