"""What every process does the same way: health, metrics, problem+json errors, request ids, the
body limit and Idempotency-Key. Checked on every process where it is cheap, on grids otherwise."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from deploy.processes import PROCESSES
from shared.testing import TestKeys
from tests.conftest import AppFactory, ClientFactory
from tests.support import db
from tests.support.factories import COMMUNITY, make_places
from tests.support.outbox import outbox
from tests.support.places import STREET

PROCESS_NAMES = [spec.name for spec in PROCESSES]


@pytest.mark.parametrize("name", PROCESS_NAMES)
async def test_every_process_is_live_ready_and_has_metrics_on_a_port_of_their_own(
    client_for: ClientFactory, start_app: AppFactory, name: str
) -> None:
    client = await client_for(name)
    assert (await client.get("/livez")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    await client.get("/nowhere")
    assert (await client.get("/metrics")).status_code == 404  # not on the API's port
    port = (await start_app(name)).state.settings.metrics_port
    async with httpx.AsyncClient() as scraper:
        metrics = (await scraper.get(f"http://127.0.0.1:{port}/metrics")).text
    assert f'http_requests_total{{method="GET",route="unmatched",service="{name}",status="404"}}' in metrics
    assert f'db_pool_connections{{pool="orm",service="{name}"}}' in metrics
    assert f'db_pool_connections_in_use{{pool="orm",service="{name}"}}' in metrics


@pytest.mark.parametrize("name", PROCESS_NAMES)
async def test_unknown_route_is_a_problem_with_the_request_id(client_for: ClientFactory, name: str) -> None:
    client = await client_for(name)
    response = await client.get("/api/v1/nothing-here", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-123"
    body = response.json()
    assert body["status"] == 404 and body["request_id"] == "req-123" and body["type"].endswith("not-found")


async def test_a_request_id_is_made_when_none_is_given(grids: httpx.AsyncClient) -> None:
    first = await grids.get("/livez")
    second = await grids.get("/livez")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_wrong_method_is_405_problem(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    response = await grids.delete("/api/v1/grids", headers=keys.headers(roles=["street_admin"]))
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_malformed_json_is_422_naming_the_body(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    response = await grids.post(
        "/api/v1/grids", content=b'{"code": "1101', headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "malformed JSON"}]


async def test_validation_errors_name_fields_without_echoing_input(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    secret = "110105194912310021"
    response = await grids.post("/api/v1/grids", json={"code": secret, "name": "x", "extra": 1}, headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"code", "extra"}
    assert secret not in response.text


async def test_bad_limit_and_cursor_are_422(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(roles=["street_admin"], places={"street_admin": [STREET]})
    too_big = await grids.get("/api/v1/grids", params={"limit": 101}, headers=headers)
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "limit"
    forged = await grids.get("/api/v1/grids", params={"cursor": "not-a-cursor"}, headers=headers)
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "cursor"


async def test_body_over_the_limit_is_413_before_anything_is_written(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    huge = {"code": f"{COMMUNITY}050", "name": "x" * 7_000_000}  # grids takes up to 6 MiB (photos)
    response = await grids.post("/api/v1/grids", json=huge, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    async def chunks():  # no Content-Length: the limit is counted as the body streams in
        yield b'{"code": "' + COMMUNITY.encode() + b'051", "name": "'
        for _ in range(120):
            yield b"x" * 65536
        yield b'"}'

    streamed = await grids.post(
        "/api/v1/grids", content=chunks(), headers={**headers, "content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert (
        await db.value(
            database_urls["grids"], "SELECT count(*) FROM grid WHERE code LIKE '%05_' AND code > $1", f"{COMMUNITY}049"
        )
        == 0
    )


async def test_idempotency_key_replays_refuses_other_bodies_and_writes_once(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    headers = {
        **keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]}),
        "Idempotency-Key": "6f1c0f5e-create-grid-20",
    }
    body = {"code": f"{COMMUNITY}020", "name": "第二十网格"}
    first = await grids.post("/api/v1/grids", json=body, headers=headers)
    replay = await grids.post("/api/v1/grids", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    other = await grids.post("/api/v1/grids", json={**body, "name": "别的"}, headers=headers)
    assert other.status_code == 422
    assert len(await outbox(database_urls["grids"])) == 1


async def test_idempotency_key_in_flight_answers_409(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    token_headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    headers = {**token_headers, "Idempotency-Key": "in-flight-key"}
    body = {"code": f"{COMMUNITY}021", "name": "并发"}
    # Hold the grid row's insert lock from outside, so the first request stays in flight.
    async with db.connected(database_urls["grids"]) as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE grid IN EXCLUSIVE MODE")
        first = asyncio.create_task(grids.post("/api/v1/grids", json=body, headers=headers))
        await asyncio.sleep(0.3)
        second = await grids.post("/api/v1/grids", json=body, headers=headers)
        assert second.status_code == 409
        await tx.rollback()
        assert (await first).status_code == 201


async def test_same_key_from_another_caller_is_not_replayed(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await make_places(database_urls["grids"])
    staff = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    resident = keys.headers(roles=["resident"])
    body = {"code": f"{COMMUNITY}022", "name": "x"}
    assert (await grids.post("/api/v1/grids", json=body, headers={**staff, "Idempotency-Key": "k"})).status_code == 201
    refused = await grids.post("/api/v1/grids", json=body, headers={**resident, "Idempotency-Key": "k"})
    assert refused.status_code == 403


async def test_a_body_that_is_not_utf8_is_422_naming_the_body(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(roles=["community_staff"], places={"community_staff": [COMMUNITY]})
    response = await grids.post(
        "/api/v1/grids", content=b"\xff\xfe", headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


@pytest.mark.no_db
def test_production_refuses_missing_secrets_and_the_development_placeholder() -> None:
    from gateway.config import Settings
    from shared.settings import DEVELOPMENT_SECRET, SettingsError

    with pytest.raises(SettingsError, match="GATEWAY_KEY_ENCRYPTION_SECRET must be set"):
        Settings(profile="production", _env_file=None)
    with pytest.raises(SettingsError, match="GATEWAY_KEY_ENCRYPTION_SECRET must not be the development placeholder"):
        Settings(
            profile="production",
            key_encryption_secret=DEVELOPMENT_SECRET,
            pii_keys="k1:" + "A" * 43 + "=",
            blind_index_key="B" * 44,
        )
    development = Settings(profile="development")
    assert development.key_encryption_secret == DEVELOPMENT_SECRET
