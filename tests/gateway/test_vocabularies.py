"""The vocabularies at the gateway, for anyone (forms need them before signing in)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI


async def test_anyone_reads_the_vocabularies_at_the_gateway(gateway_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=gateway_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        answer = await client.get("/api/v1/vocabularies")
    assert answer.status_code == 200 and "max-age" in answer.headers["cache-control"]
    fields = {v["field"]: v for v in answer.json()["items"]}
    relation = {t["value"]: t["label"] for t in fields["relation"]["terms"]}
    assert relation["head"] == "户主"
    assert {t["value"] for t in fields["order_state"]["terms"]} >= {"placed", "rated"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        one = await client.get("/api/v1/vocabularies?field=employment")
        unknown = await client.get("/api/v1/vocabularies?field=nothing")
    assert [v["field"] for v in one.json()["items"]] == ["employment"]
    assert unknown.status_code == 404 and "relation" in unknown.json()["detail"]
