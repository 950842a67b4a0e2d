"""Two replicas of the grids service on different hosts share their photos through the object store: a photo
uploaded through one replica is served, byte for byte, by the other, and to no one outside the visit's grid.
Here the replicas are two real processes on loopback on the same database and the same bucket, each with a
local photo directory of its own (as two hosts would have), so only the object store can carry the photo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.processes import BY_NAME
from shared.testing import TestKeys
from tests.grids.test_visits import GRID1, as_person, png, visit
from tests.support.live import JwksServer, LiveProcess
from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.objectstore import ObjectStore, fresh_prefix

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120), pytest.mark.usefixtures("roster")]


@pytest.fixture
def replicas(
    database_urls: dict[str, str], keys: TestKeys, object_store: ObjectStore, tmp_path: Path
) -> Iterator[tuple[LiveProcess, LiveProcess, str]]:
    jwks = JwksServer(keys.jwks)
    nowhere = LoopbackServer(QuietHandler)
    nowhere.close()  # the gateway the replicas would send events to: not there
    prefix = fresh_prefix()
    started: list[LiveProcess] = []
    try:
        for name in ("a", "b"):
            env = {
                "GRIDS_GATEWAY_URL": nowhere.base_url,
                "GRIDS_REVOCATIONS_URL": "",
                "GRIDS_PHOTO_DIR": str(tmp_path / f"host-{name}"),
                **object_store.settings("GRIDS_", prefix=prefix),
            }
            started.append(LiveProcess(BY_NAME["grids"], database_urls["grids"], jwks.url, env))
        for process in started:
            process.wait_ready()
        yield started[0], started[1], prefix
    finally:
        for process in started:
            process.stop()
        jwks.close()


async def test_a_photo_uploaded_through_one_replica_is_served_by_the_other(
    replicas: tuple[LiveProcess, LiveProcess, str], keys: TestKeys, object_store: ObjectStore, tmp_path: Path
) -> None:
    one, other, prefix = replicas
    gw1, gw5, gw2 = as_person(keys, "gw1"), as_person(keys, "gw5"), as_person(keys, "gw2")
    body = visit(GRID1[0].id)
    photo = png("purple", (320, 240))
    async with httpx.AsyncClient(base_url=one.base_url, timeout=30) as first:
        assert (await first.post("/api/v1/visits", json=body, headers=gw1)).status_code == 201
        url = f"/api/v1/visits/{body['id']}/photos"
        stored = await first.post(url, files={"file": ("visit.png", photo, "image/png")}, headers=gw1)
        assert stored.status_code == 201, stored.text
    photo_url = f"{url}/{stored.json()['id']}"

    async with httpx.AsyncClient(base_url=other.base_url, timeout=30) as second:
        served = await second.get(photo_url, headers=gw5)
        assert served.status_code == 200, served.text
        assert served.content == photo and served.headers["content-type"] == "image/png"
        assert (await second.get(photo_url, headers=gw2)).status_code == 404  # another grid's worker
        again = await second.post(url, files={"file": ("same.png", photo, "image/png")}, headers=gw1)
        assert again.status_code == 200 and again.json()["id"] == stored.json()["id"]

    assert list(object_store.objects(prefix).values()) == [photo]
    kept_on_disk = [path for path in tmp_path.rglob("*") if path.is_file()]  # noqa: ASYNC240 - a test's look
    assert kept_on_disk == []  # no host kept it on its own disk
