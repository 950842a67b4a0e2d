"""Through the gateway with real processes on loopback: sign in with the demo accounts, reach a
service, lose it and get it back, and disable an account everywhere."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from deploy.demo import load_process
from deploy.processes import BY_NAME
from gateway.demo import demo_uuid
from shared.testing import TestKeys
from tests.support.live import LiveProcess, free_port

pytestmark = [pytest.mark.e2e]


@dataclass
class Platform:
    gateway: LiveProcess
    grids: LiveProcess
    grids_env: dict[str, str]
    database_urls: dict[str, str]

    def restart_grids(self) -> None:
        self.grids = LiveProcess(
            BY_NAME["grids"], self.database_urls["grids"], "", self.grids_env, port=self.grids.port
        )
        self.grids.wait_ready()


@pytest.fixture
async def platform(database_urls: dict[str, str], keys: TestKeys) -> AsyncIterator[Platform]:
    for name in ("grids", "gateway"):
        await load_process(BY_NAME[name], database_urls[name])
    gateway_port, grids_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    grids_env = {
        "GRIDS_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
        "GRIDS_JWT_ISSUER": "grid-platform-gateway",
        "GRIDS_REVOCATIONS_URL": f"{gateway_url}/.well-known/revocations.json",
        "GRIDS_REVOCATIONS_INTERVAL_SECONDS": "1",
    }
    upstreams = {name: f"http://127.0.0.1:{grids_port}" for name in ("residents", "grids", "orders", "jobs")}
    gateway_env = {
        "GATEWAY_JWT_ISSUER": "grid-platform-gateway",
        "GATEWAY_SERVICE_URLS": json.dumps(upstreams),
        "GATEWAY_PROXY_CONNECT_TIMEOUT": "1",
        "GATEWAY_PROXY_TOTAL_TIMEOUT": "3",
        "GATEWAY_CIRCUIT_FAILURE_THRESHOLD": "3",
        "GATEWAY_CIRCUIT_OPEN_SECONDS": "1",
    }
    gateway = LiveProcess(BY_NAME["gateway"], database_urls["gateway"], "", gateway_env, port=gateway_port)
    gateway.wait_ready()
    grids = LiveProcess(BY_NAME["grids"], database_urls["grids"], "", grids_env, port=grids_port)
    grids.wait_ready()
    running = Platform(gateway, grids, grids_env, database_urls)
    try:
        yield running
    finally:
        running.grids.stop()
        running.gateway.stop()


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": "demo12345"})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_grid_worker_sees_only_their_grid_through_the_gateway(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=10) as client:
        token = await sign_in(client, "gw1")
        listed = await client.get("/api/v1/grids", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
        assert [g["code"] for g in listed.json()["items"]] == ["110105001001001"]
        hidden = await client.get("/api/v1/grids/110105001001002", headers={"Authorization": f"Bearer {token}"})
        assert hidden.status_code == 404 and hidden.headers["content-type"] == "application/problem+json"
        assert hidden.json()["request_id"] == hidden.headers["x-request-id"]  # the service's problem, unchanged
        internal = await client.get("/internal/events")
        assert internal.status_code == 404


async def test_machine_and_user_tokens_stay_on_their_own_routes(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=10) as client:
        form = {"grant_type": "client_credentials", "client_id": "street-demo", "client_secret": "demo-secret"}
        machine = (await client.post("/api/v1/auth/token", data=form)).json()["access_token"]
        street_grids = await client.get("/api/v1/grids", headers={"Authorization": f"Bearer {machine}"})
        assert street_grids.status_code == 200 and len(street_grids.json()["items"]) == 4
        account = demo_uuid("account", "gw1")
        refused = await client.get(f"/api/v1/accounts/{account}", headers={"Authorization": f"Bearer {machine}"})
        assert refused.status_code == 403


async def test_a_stopped_service_answers_502_then_503_and_recovers_without_a_restart(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=10) as client:
        headers = {"Authorization": f"Bearer {await sign_in(client, 'staff')}"}
        assert (await client.get("/api/v1/grids", headers=headers)).status_code == 200
        platform.grids.stop()
        started = time.monotonic()
        down = await client.get("/api/v1/grids", headers=headers)
        assert down.status_code == 502 and time.monotonic() - started < 3
        assert down.headers["content-type"] == "application/problem+json"
        for _ in range(3):
            await client.get("/api/v1/grids", headers=headers)
        open_circuit = await client.get("/api/v1/grids", headers=headers)
        assert open_circuit.status_code == 503 and int(open_circuit.headers["retry-after"]) >= 1
        platform.restart_grids()
        deadline = time.monotonic() + 10
        while (back := await client.get("/api/v1/grids", headers=headers)).status_code != 200:
            assert time.monotonic() < deadline, back.text
            await asyncio.sleep(0.3)
        assert len(back.json()["items"]) == 4


async def test_a_disabled_account_stops_at_the_gateway_at_once_and_at_the_service_soon(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=10) as client:
        worker = await sign_in(client, "gw1")
        staff = await sign_in(client, "staff")
        worker_headers = {"Authorization": f"Bearer {worker}"}
        direct = httpx.AsyncClient(base_url=platform.grids.base_url, timeout=10)
        async with direct:
            assert (await direct.get("/api/v1/grids", headers=worker_headers)).status_code == 200
            target = demo_uuid("account", "gw1")
            disabled = await client.post(
                f"/api/v1/accounts/{target}/disable", headers={"Authorization": f"Bearer {staff}"}
            )
            assert disabled.status_code == 200
            assert (await client.get("/api/v1/grids", headers=worker_headers)).status_code == 401
            deadline = time.monotonic() + 10  # the services poll every second here, every 30 s by default
            while (await direct.get("/api/v1/grids", headers=worker_headers)).status_code != 401:
                assert time.monotonic() < deadline, "the service still accepts the disabled account's token"
                await asyncio.sleep(0.3)
