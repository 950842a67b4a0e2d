"""Through the gateway with real processes on loopback: sign in with the demo accounts, reach a
service, lose it and get it back, and disable an account everywhere."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image

from deploy.demo import load_process
from deploy.processes import BY_NAME
from shared import demo
from shared.demo import GRIDS, demo_uuid
from shared.testing import Truncator
from tests.support.live import LiveProcess, free_port
from tests.support.signin import login

# One platform for the module (started once, on the demo loaded once): the tests find what they make
# by its ids, and the one that disables an account disables one no other test signs in with.
pytestmark = [pytest.mark.e2e, pytest.mark.keep_tables]


@dataclass
class Platform:
    gateway: LiveProcess
    grids: LiveProcess
    grids_env: dict[str, str]
    database_urls: dict[str, str]
    residents: LiveProcess

    def restart_grids(self) -> None:
        self.grids = LiveProcess(
            BY_NAME["grids"], self.database_urls["grids"], "", self.grids_env, port=self.grids.port
        )
        self.grids.wait_ready()


@pytest.fixture(scope="module")
async def platform(
    database_urls: dict[str, str], truncator: Truncator, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    await truncator.truncate()
    tmp_path = tmp_path_factory.mktemp("gateway-e2e")
    for name in ("grids", "residents", "gateway"):
        await load_process(BY_NAME[name], database_urls[name])
    gateway_port, grids_port, residents_port = free_port(), free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    grids_env = {
        "GRIDS_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
        "GRIDS_JWT_ISSUER": "grid-platform-gateway",
        "GRIDS_REVOCATIONS_URL": f"{gateway_url}/.well-known/revocations.json",
        "GRIDS_REVOCATIONS_INTERVAL_SECONDS": "1",
        "GRIDS_PHOTO_DIR": str(tmp_path / "photos"),
    }
    residents_env = {
        "RESIDENTS_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
        "RESIDENTS_JWT_ISSUER": "grid-platform-gateway",
    }
    upstreams = {name: f"http://127.0.0.1:{grids_port}" for name in ("grids", "orders", "jobs")}
    upstreams["residents"] = f"http://127.0.0.1:{residents_port}"
    # No orders service runs here: the grids relay's follow-up events wait at an address nothing answers.
    grids_env["GRIDS_SERVICE_URLS"] = json.dumps(upstreams | {"orders": f"http://127.0.0.1:{free_port()}"})
    grids_env["GRIDS_GATEWAY_URL"] = gateway_url
    # The residents service asks the grids service whether a new building's grid exists.
    residents_env["RESIDENTS_SERVICE_URLS"] = json.dumps(upstreams)
    residents_env["RESIDENTS_GATEWAY_URL"] = gateway_url
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
    residents = LiveProcess(BY_NAME["residents"], database_urls["residents"], "", residents_env, port=residents_port)
    residents.wait_ready()
    running = Platform(gateway, grids, grids_env, database_urls, residents)
    try:
        yield running
    finally:
        running.residents.stop()
        running.grids.stop()
        running.gateway.stop()


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    token: str = (await login(client, username))["access_token"]
    return token


async def test_grid_worker_sees_only_their_grid_through_the_gateway(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=10) as client:
        token = await sign_in(client, "gw1")
        listed = await client.get("/api/v1/grids", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200, listed.text
        assert [g["code"] for g in listed.json()["items"]] == [GRIDS[0]]
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
        worker = await sign_in(client, "gw4")  # no other test here signs in as gw4
        staff = await sign_in(client, "staff")
        worker_headers = {"Authorization": f"Bearer {worker}"}
        direct = httpx.AsyncClient(base_url=platform.grids.base_url, timeout=10)
        async with direct:
            assert (await direct.get("/api/v1/grids", headers=worker_headers)).status_code == 200
            target = demo_uuid("account", "gw4")
            disabled = await client.post(
                f"/api/v1/accounts/{target}/disable", headers={"Authorization": f"Bearer {staff}"}
            )
            assert disabled.status_code == 200
            assert (await client.get("/api/v1/grids", headers=worker_headers)).status_code == 401
            deadline = time.monotonic() + 10  # the services poll every second here, every 30 s by default
            while (await direct.get("/api/v1/grids", headers=worker_headers)).status_code != 401:
                assert time.monotonic() < deadline, "the service still accepts the disabled account's token"
                await asyncio.sleep(0.3)


def noise_png(width: int, height: int) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_grid_workers_day_and_a_party_member_moved_between_grids(platform: Platform) -> None:
    """The grids issue's "done when", as the app and the staff meet it, through the gateway."""
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=20) as client:
        worker = {"Authorization": f"Bearer {await sign_in(client, 'gw1')}"}
        # Where am I? A GPS point in grid 1 is grid 1; a point in grid 2 is not one of gw1's.
        here = await client.get("/api/v1/grids/locate", params={"lat": 39.925, "lng": 116.475}, headers=worker)
        assert here.status_code == 200 and here.json()["code"] == GRIDS[0]
        there = await client.get("/api/v1/grids/locate", params={"lat": 39.925, "lng": 116.485}, headers=worker)
        assert there.status_code == 404

        # A visit made offline, synced twice (the app retries): one visit, then "exists".
        household = demo.households_of_grid(GRIDS[0])[5].id
        made_offline = {
            "id": str(uuid.uuid4()),
            "household_id": str(household),
            "kind": "illness",
            "visited_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
            "lat": 39.925,
            "lng": 116.475,
            "notes": "老人住院,家属在陪护",
            "follow_up": True,
        }
        for expected in ("created", "exists"):
            synced = await client.post("/api/v1/visits/sync", json={"visits": [made_offline]}, headers=worker)
            assert synced.status_code == 200, synced.text
            assert synced.json()["results"] == [{"id": made_offline["id"], "status": expected, "reason": None}]
        photo = noise_png(900, 800)
        assert len(photo) > 1_500_000  # more than the old 1 MB body limit, through the gateway
        url = f"/api/v1/visits/{made_offline['id']}/photos"
        for expected_status in (201, 200):
            sent = await client.post(url, files={"file": ("p.png", photo, "image/png")}, headers=worker)
            assert sent.status_code == expected_status, sent.text
        listed = await client.get("/api/v1/visits", params={"household_id": str(household)}, headers=worker)
        assert [v["id"] for v in listed.json()["items"] if v["id"] == made_offline["id"]] == [made_offline["id"]]
        served = await client.get(f"{url}/{sent.json()['id']}", headers=worker)
        assert served.status_code == 200 and served.content == photo
        other_worker = {"Authorization": f"Bearer {await sign_in(client, 'gw2')}"}
        assert (await client.get(f"{url}/{sent.json()['id']}", headers=other_worker)).status_code == 404

        # Staff move pm1 from grid 1 to grid 2; pm1's next refresh carries it.
        signed_in = await client.post("/api/v1/auth/login", json={"username": "pm1", "password": "demo12345"})
        pm1 = signed_in.json()
        before = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pm1['access_token']}"})
        assert before.json()["places"] == {"party_member": [GRIDS[0]]}
        staff = {"Authorization": f"Bearer {await sign_in(client, 'staff')}"}
        moved = await client.put(
            f"/api/v1/members/{demo_uuid('member', 'pm1')}/bindings",
            json={"bindings": [{"role": "party_member", "place_code": GRIDS[1]}]},
            headers=staff,
        )
        assert moved.status_code == 200, moved.text
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pm1["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        after = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
        assert after.json()["places"] == {"party_member": [GRIDS[1]]}


async def test_the_registry_through_the_gateway(platform: Platform) -> None:
    """The residents issue's "done when": a grid worker searches their grid and reveals a phone for a
    purpose, which the audit shows; staff import a register with mistakes, fix it, import, export."""
    async with httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=30) as client:
        worker = {"Authorization": f"Bearer {await sign_in(client, 'gw1')}"}
        listed = (await client.get("/api/v1/residents", params={"limit": 100}, headers=worker)).json()["items"]
        assert listed and {r["grid_code"] for r in listed} == {GRIDS[0]}
        found = (await client.get("/api/v1/residents", params={"q": "13900000001"}, headers=worker)).json()["items"]
        assert [r["id"] for r in found] == [str(demo_uuid("resident", "13900000001"))]
        assert found[0]["phone"] == "139****0001"
        elsewhere = await client.get("/api/v1/residents", params={"q": "13900000002"}, headers=worker)
        assert elsewhere.json()["items"] == []  # lives in grid 2
        revealed = await client.post(
            f"/api/v1/residents/{found[0]['id']}/reveal",
            json={"fields": ["phone"], "purpose": "联系家属安排上门走访"},
            headers=worker,
        )
        assert revealed.status_code == 200 and revealed.json()["phone"] == "13900000001"

        staff = {"Authorization": f"Bearer {await sign_in(client, 'staff')}"}
        audit = (await client.get("/api/v1/residents/reveals", headers=staff)).json()["items"]
        assert audit[0]["purpose"] == "联系家属安排上门走访" and audit[0]["fields"] == ["phone"]
        assert audit[0]["account_id"] == str(demo_uuid("account", "gw1"))

        header = "姓名,身份证号,手机号,小区,楼栋,单元,门牌号,与户主关系,居住类型,网格编码"
        good = f"赵新民,110105197005050512,13700001111,新苑小区,1号楼,1单元,101,户主,户籍,{GRIDS[0]}"
        bad = good.replace("110105197005050512", "110105197005050513").replace("户主", "房东")
        files = {"file": ("登记表.csv", f"{header}\n{bad}\n".encode(), "text/csv")}
        dry = await client.post("/api/v1/residents/import", params={"dry_run": "true"}, files=files, headers=staff)
        assert dry.status_code == 200, dry.text
        assert {(e["row"], e["column"]) for e in dry.json()["errors"]} == {(2, "身份证号"), (2, "与户主关系")}
        files = {"file": ("登记表.csv", f"{header}\n{good}\n".encode(), "text/csv")}
        done = await client.post("/api/v1/residents/import", files=files, headers=staff)
        assert done.json()["created"] == 1, done.text
        exported = await client.get("/api/v1/residents/export", params={"grid_code": GRIDS[0]}, headers=staff)
        assert exported.status_code == 200 and exported.content[:2] == b"PK"
        assert b"110105197005050512" not in exported.content
