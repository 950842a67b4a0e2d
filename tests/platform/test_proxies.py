"""Forwarded addresses are believed only from the configured proxies (``<PREFIX>TRUSTED_PROXIES``):
a caller's own X-Forwarded-For changes nothing, so it cannot dodge a per-address limit or get someone
else's address blocked; and no launch of uvicorn brings back uvicorn's own trust of 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import APIRouter, Request

from deploy.processes import PROCESSES
from shared.app import create_process_app
from shared.settings import ProcessSettings

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parents[2]
router = APIRouter()


@router.get("/whoami")
async def whoami(request: Request) -> dict[str, Any]:
    return {"client": request.client.host if request.client else None, "scheme": request.url.scheme}


async def seen(trusted: str, peer: str, forwarded: str | None) -> dict[str, Any]:
    settings = ProcessSettings(profile="test", service_name="probe", trusted_proxies=trusted)
    app = create_process_app(settings=settings, title="probe", description="", routers=[router], dead_letters=False)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"} if forwarded else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://probe.test") as client:
        answer = await client.get("/whoami", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_callers_own_forwarded_for_changes_nothing() -> None:
    assert await seen("", "127.0.0.1", "203.0.113.9") == {"client": "127.0.0.1", "scheme": "http"}
    assert (await seen("10.0.0.0/8", "198.51.100.4", "203.0.113.9"))["client"] == "198.51.100.4"


async def test_a_trusted_proxys_forwarded_address_is_the_client() -> None:
    assert await seen("10.0.0.0/8", "10.1.2.3", "203.0.113.9") == {"client": "203.0.113.9", "scheme": "https"}
    # a spoofed entry before the proxy's own: the last address not of a trusted proxy is the client
    assert (await seen("10.0.0.0/8, 192.168.5.5", "10.1.2.3", "1.1.1.1, 203.0.113.9, 192.168.5.5"))[
        "client"
    ] == "203.0.113.9"


def _commands() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        if "uvicorn" in (service.get("command") or []):
            found[f"compose {name}"] = service["command"]
    for spec in PROCESSES:
        for document in yaml.safe_load_all((ROOT / "deploy" / "k8s" / f"{spec.name}.yaml").read_text(encoding="utf-8")):
            for container in (document or {}).get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                if "uvicorn" in container.get("command", []):
                    found[f"k8s {spec.name}"] = container["command"]
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    found["Dockerfile"] = yaml.safe_load(cmd.removeprefix("CMD"))
    local = (ROOT / "deploy" / "local.py").read_text(encoding="utf-8")
    found["deploy.local"] = ["uvicorn", *(["--no-proxy-headers"] if '"--no-proxy-headers"' in local else [])]
    return found


def test_no_launch_of_uvicorn_believes_forwarded_headers_itself() -> None:
    commands = _commands()
    assert len(commands) == 2 * len(PROCESSES) + 2
    assert [where for where, command in commands.items() if "--no-proxy-headers" not in command] == []
