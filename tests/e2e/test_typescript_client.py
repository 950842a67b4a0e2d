"""The TypeScript client (clients/typescript) with real Node: its generated types are those of the
committed docs/openapi.json, `tsc` accepts the client and refuses the mistakes of test/types.ts, and
test/loop.ts drives the closed loop through the live gateway (a resident's steps over the wx.request
transport, the others over fetch)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from shared.demo import PASSWORD

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
NPM = shutil.which("npm")


def run(*command: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        command, cwd=CLIENT, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def built() -> Path:
    """The client's locked dependencies installed (npm ci) and the client compiled by tsc."""
    if NPM is None:
        pytest.fail("npm is needed for the TypeScript client's test (Node 20 and npm)")
    run(NPM, "ci", "--no-audit", "--no-fund")
    run(NPM, "run", "build")
    return CLIENT / "dist"


def test_the_types_are_generated_from_the_committed_document(built: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "schema.d.ts"
    run(str(CLIENT / "node_modules" / ".bin" / "openapi-typescript"), "../../docs/openapi.json", "--output", str(fresh))
    assert fresh.read_text() == (CLIENT / "src" / "schema.d.ts").read_text(), (
        "clients/typescript/src/schema.d.ts is stale: run `npm run generate` in clients/typescript"
    )


async def test_the_client_drives_the_closed_loop(built: Path, gateway: httpx.AsyncClient) -> None:
    node = shutil.which("node")
    assert node is not None
    out = run(
        node, str(built / "test" / "loop.js"), env={"GATEWAY_URL": str(gateway.base_url), "DEMO_PASSWORD": PASSWORD}
    )
    assert "placed, dispatched, accepted, completed, rated 5" in out
    order_id = out.split("order ", 1)[1].split(" ", 1)[0]
    staff_token = (await gateway.post("/api/v1/auth/login", json={"username": "staff", "password": PASSWORD})).json()[
        "access_token"
    ]
    order = (await gateway.get(f"/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {staff_token}"})).json()
    assert order["state"] == "rated" and order["rating"]["stars"] == 5 and order["description"] == "周末陪老人散步"
