"""Visit photos with the grids service on an S3-compatible object store (a real one on loopback): checked by
content before anything reaches the bucket, kept once however often they are sent, and served only to those
who may see the visit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.grids.config import Settings
from shared.objectstore import S3Storage
from shared.testing import TestKeys
from tests.conftest import AppFactory
from tests.grids.test_visits import GRID1, as_person, png, visit
from tests.support import db
from tests.support.objectstore import ObjectStore, fresh_prefix, photos_in
from tests.support.problems import assert_problem

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def prefix(start_app: AppFactory, object_store: ObjectStore) -> AsyncIterator[str]:
    with photos_in(await start_app("grids"), object_store, Settings) as prefix:
        yield prefix


async def test_a_visit_photo_is_kept_once_in_the_bucket_and_served_within_scope(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, object_store: ObjectStore, prefix: str
) -> None:
    gw1, gw5, gw2 = as_person(keys, "gw1"), as_person(keys, "gw5"), as_person(keys, "gw2")
    body = visit(GRID1[0].id)
    assert (await grids.post("/api/v1/visits", json=body, headers=gw1)).status_code == 201
    url = f"/api/v1/visits/{body['id']}/photos"

    fake = await grids.post(url, files={"file": ("x.jpg", b"GIF89a not an image", "image/jpeg")}, headers=gw1)
    assert fake.status_code == 422 and fake.json()["errors"][0]["field"] == "file"
    assert object_store.objects(prefix) == {}

    photo = png("green")
    stored = await grids.post(url, files={"file": ("x.png", photo, "image/png")}, headers=gw1)
    assert stored.status_code == 201, stored.text
    again = await grids.post(url, files={"file": ("again.png", photo, "image/png")}, headers=gw1)
    assert again.status_code == 200 and again.json()["id"] == stored.json()["id"]
    (name, kept), *others = object_store.objects(prefix).items()
    assert others == [] and kept == photo
    assert name == f"{prefix}{body['id']}/{stored.json()['id']}.png"

    not_theirs = await grids.post(url, files={"file": ("y.png", png("blue"), "image/png")}, headers=gw5)
    assert not_theirs.status_code == 403
    assert list(object_store.objects(prefix)) == [name]

    photo_url = f"{url}/{stored.json()['id']}"
    served = await grids.get(photo_url, headers=gw5)  # a colleague of the same grid
    assert served.status_code == 200 and served.content == photo and served.headers["content-type"] == "image/png"
    assert (await grids.get(photo_url, headers=gw2)).status_code == 404  # another grid's worker


async def test_a_store_that_refuses_the_process_is_503_and_nothing_is_kept(
    grids: httpx.AsyncClient,
    keys: TestKeys,
    roster: None,
    object_store: ObjectStore,
    start_app: AppFactory,
    database_urls: dict[str, str],
) -> None:
    gw1 = as_person(keys, "gw1")
    body = visit(GRID1[0].id)
    assert (await grids.post("/api/v1/visits", json=body, headers=gw1)).status_code == 201
    app = await start_app("grids")
    prefix = fresh_prefix()
    before, app.state.photos = (
        app.state.photos,
        S3Storage(
            endpoint=object_store.endpoint,
            bucket=object_store.bucket,
            access_key=object_store.access_key,
            secret_key="not-the-store-secret",
            prefix=prefix,
        ),
    )
    try:
        url = f"/api/v1/visits/{body['id']}/photos"
        refused = await grids.post(url, files={"file": ("x.png", png(), "image/png")}, headers=gw1)
    finally:
        app.state.photos = before
    problem = assert_problem(refused, 503)
    assert refused.headers["retry-after"] == "2" and "SignatureDoesNotMatch" in problem["detail"]
    assert "not-the-store-secret" not in refused.text
    assert await db.value(database_urls["grids"], "SELECT count(*) FROM visit_photo") == 0
    assert object_store.objects(prefix) == {}
