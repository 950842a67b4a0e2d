"""Bodies: 1 MiB of JSON on every route of every process; a photo, an offline sync of visits and a
register to import take their own limits, declared on the route and documented (``x-max-body-bytes``)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.config import LARGE_BODIES
from gateway.contract import COMMITTED
from shared.middleware import IMPORT_BODY_BYTES, JSON_BODY_BYTES, PHOTO_BODY_BYTES, SYNC_BODY_BYTES
from shared.testing import TestKeys
from tests.support import db
from tests.support.people import staff

MIB = 1024 * 1024
JSON_ROUTES = [
    ("residents", "POST", "/api/v1/residents"),
    ("grids", "POST", "/api/v1/grids"),
    ("orders", "POST", "/api/v1/orders"),
    ("jobs", "POST", "/api/v1/postings"),
]


def padded(size: int) -> bytes:
    return json.dumps({"note": "x" * size}).encode()


@pytest.mark.parametrize(("service", "method", "path"), JSON_ROUTES)
async def test_json_over_1_mib_is_413_problem_and_under_it_reaches_the_route(
    client_for: Any, service: str, method: str, path: str
) -> None:
    client: httpx.AsyncClient = await client_for(service)
    headers = {"content-type": "application/json"}
    refused = await client.request(method, path, content=padded(JSON_BODY_BYTES), headers=headers)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    assert str(JSON_BODY_BYTES) in refused.json()["detail"]
    taken = await client.request(method, path, content=padded(JSON_BODY_BYTES - 1024), headers=headers)
    assert taken.status_code == 401  # read whole, then refused for want of a token


async def test_a_large_patch_of_a_resident_stores_nothing(
    client_for: Any, keys: TestKeys, database_urls: dict[str, str], registry: None
) -> None:
    """The finding: a 5 MB PATCH of a resident was stored."""
    residents: httpx.AsyncClient = await client_for("residents")
    url = database_urls["residents"]
    before = await db.row(url, "SELECT id, updated_at FROM resident ORDER BY id LIMIT 1")
    assert before is not None
    resident_id, updated = before["id"], before["updated_at"]
    change = {"skills": ["x" * 5_000_000]}
    refused = await residents.patch(f"/api/v1/residents/{resident_id}", json=change, headers=staff(keys))
    assert refused.status_code == 413
    assert await db.value(url, "SELECT updated_at FROM resident WHERE id = $1", resident_id) == updated


@pytest.mark.parametrize(
    ("service", "path", "limit"),
    [
        ("grids", "/api/v1/visits/00000000-0000-0000-0000-000000000001/photos", PHOTO_BODY_BYTES),
        ("orders", "/api/v1/orders/00000000-0000-0000-0000-000000000001/photos", PHOTO_BODY_BYTES),
        ("grids", "/api/v1/visits/sync", SYNC_BODY_BYTES),
        ("residents", "/api/v1/residents/import", IMPORT_BODY_BYTES),
    ],
)
async def test_photos_syncs_and_imports_take_their_own_limit(
    client_for: Any, service: str, path: str, limit: int
) -> None:
    client: httpx.AsyncClient = await client_for(service)
    headers = {"content-type": "application/octet-stream"}
    taken = await client.post(path, content=b"\0" * (2 * MIB), headers=headers)
    assert taken.status_code != 413, taken.text  # over the JSON limit, within the route's
    refused = await client.post(path, content=b"\0" * (limit + 1), headers=headers)
    assert refused.status_code == 413 and str(limit) in refused.json()["detail"]


def test_the_gateway_knows_the_limit_of_every_route_that_takes_more_than_json() -> None:
    """The gateway refuses a body before passing it on, by the same limits the services declare in the
    API document (an operation's ``x-max-body-bytes``)."""
    document = json.loads(COMMITTED.read_text())
    declared = {
        f"{method.upper()} {path}": operation["x-max-body-bytes"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "x-max-body-bytes" in operation
    }
    assert declared == LARGE_BODIES
